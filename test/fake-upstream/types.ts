import type { PlanLimitOptions } from './plan-limits.ts';
/**
 * Public types of the fake Anthropic upstream. Everything a test sees (recorded requests, the ledger,
 * scenarios) is defined here; see README.md in this folder for the semantics.
 */

/** One inbound request exactly as received (admin routes under /__mock are not recorded). */
export interface RecordedRequest {
  /** The `request-id` this server answered with (links to the ledger); null when none was issued. */
  requestId: string | null;
  method: string;
  /** Raw path + query exactly as sent on the request line. */
  url: string;
  /** Headers in received order, original casing, duplicates kept (from `req.rawHeaders`). */
  rawHeaders: [string, string][];
  /** Request body bytes, base64. Empty when the body exceeded the 32 MB limit (see bodyTooLarge). */
  bodyBase64: string;
  /** sha256 (hex) of the full body bytes as received. */
  bodySha256: string;
  bodyBytes: number;
  bodyTooLarge: boolean;
  /** Wall-clock epoch ms when the request head arrived. */
  receivedAt: number;
}

/** The Anthropic `usage` object, snake_case, exactly as the API sends it. */
export interface WireUsage {
  input_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
  cache_creation?: { ephemeral_5m_input_tokens: number; ephemeral_1h_input_tokens: number };
  output_tokens: number;
  output_tokens_details?: { thinking_tokens: number };
  server_tool_use?: { web_search_requests: number; web_fetch_requests?: number };
  service_tier?: string;
  inference_geo?: string;
  speed?: string;
}

/** How a response ended, from the server's point of view. */
export type Completion =
  | 'complete' // JSON body sent, or SSE through message_stop
  | 'error_event' // SSE `event: error` sent, body ended cleanly
  | 'truncated' // body ended cleanly without message_stop (or a JSON body cut short, cleanly)
  | 'cut' // socket destroyed mid-body (no terminating chunk)
  | 'client_aborted' // the client closed the connection first
  | 'error_status'; // an HTTP error status was answered (validation or scripted)

/** Ground truth for one billable response (POST /v1/messages and /v1/complete). */
export interface LedgerEntry {
  requestId: string;
  messageId: string | null;
  /** `model` in the response (the requested id, or its alias target). */
  model: string | null;
  /** `model` in the request body. */
  modelRequested: string | null;
  path: string;
  stream: boolean;
  httpStatus: number;
  status: Completion;
  /**
   * Final usage as a correct client would have accumulated it from what was actually sent:
   * the JSON body's usage; for SSE, message_start usage overwritten by the fields of the last
   * message_delta sent. Partial streams therefore carry message_start usage (output_tokens 1) unless
   * the message_delta already went out. null when no usage was sent (error status, /v1/complete).
   */
  usage: WireUsage | null;
  /** Output tokens the fake actually generated and sent (text + thinking + tool input so far). */
  emittedOutputTokens: number;
  /** Usage the full response would have had (equals `usage` when status is complete). */
  plannedUsage: WireUsage | null;
  errorType: string | null;
  /** Credential kind used; never the credential itself. */
  auth: 'api-key' | 'oauth' | 'bearer' | 'none';
  startedAt: number;
  endedAt: number;
}

export type Chunking = 'event' | 'coalesce' | 'random';

/**
 * A scenario shapes one response. Queue with `script()` / POST /__mock/script (FIFO; an entry with
 * `match` is consumed only by a request that matches), or select with the `x-mock-scenario` header
 * (`status:529`, `mid_error:3;chunking:random`, …) or a `claude-test-<keyword>-<n>` model id.
 */
export interface Scenario {
  /** Consume this scripted entry only for a matching request (path without query; request model). */
  match?: { path?: string; model?: string };
  /** Answer with this HTTP error status and the §1.5 body for it. */
  status?: number;
  errorType?: string;
  errorMessage?: string;
  /** Seconds for `retry-after` (429 default 15; 529 only when set). */
  retryAfter?: number;
  /** SSE: send `event: error` after n content_block_delta events (before message_stop if fewer). */
  midError?: number;
  /** End the body cleanly after n content_block_delta events, without message_stop. */
  truncate?: number;
  /** Destroy the socket after n content_block_delta events. */
  cut?: number;
  /** Stop sending after n deltas but keep the socket open (pings continue unless pings:false). */
  stallAfter?: number;
  pings?: boolean;
  /** Delay before the response head. */
  ttfbMs?: number;
  /** Delay between SSE events. */
  gapMs?: number;
  /** First k attempts answer `retryStatus` (default 529), then this scenario proceeds normally. */
  retryThenOk?: number;
  retryStatus?: number;
  /** Output side: total output tokens (incl. thinking); default deterministic from seed + request. */
  outputTokens?: number;
  thinkingTokens?: number;
  /** Force a tool_use block (uses the first custom tool of the request, or a made-up one). */
  toolUse?: boolean;
  /** Number of web searches (needs no tool in the request). */
  webSearch?: number;
  stopReason?: string;
  /** Response `model` (e.g. an alias target). */
  responseModel?: string;
  serviceTier?: string;
  /** Wire format. Defaults: chunking event, compact true, pad true (1–16 spaces), gzip per server. */
  chunking?: Chunking;
  compact?: boolean;
  pad?: boolean | number;
  gzip?: boolean;
}

export interface FakeUpstreamOptions {
  port?: number;
  host?: string;
  seed?: number;
  /** Default true: gzip JSON and SSE bodies when `accept-encoding` allows. */
  gzip?: boolean;
  /** Minimum cacheable prefix length in tokens (default 1024). */
  minCacheTokens?: number;
  /** Ping every this many ms of silence on SSE streams (default 5000). */
  pingIntervalMs?: number;
  /** Extra betas to accept besides the default allow-list. */
  extraBetas?: string[];
  /** Subscription plan limits (see plan-limits.ts): window capacities, warning level, which credentials. */
  planLimits?: PlanLimitOptions;
}

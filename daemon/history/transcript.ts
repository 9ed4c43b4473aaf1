/**
 * One Claude Code transcript line (`~/.claude/projects/<project>/<session>.jsonl`, and
 * `<session>/subagents/agent-*.jsonl`) → the facts of one API response, or why it is not one.
 *
 * Claude Code writes an `assistant` line per content block of a response, each with the response's
 * `message.id`, the `requestId` (the API's `request-id` header) and the usage known at that moment, so one
 * request appears several times with growing usage ("streaming repeats"); the caller keeps the last.
 * Lines without `message.usage` (user turns, tool results, summaries) are not requests. Model
 * `<synthetic>` marks messages Claude Code made up itself (API errors, interruptions): not requests either.
 */
import type { AnthropicUsage } from '../../shared/contract.ts';

export interface TranscriptEntry {
  /** `message.id` (`msg_…`). */
  messageId: string;
  /** `requestId` (`req_…`), the API's request-id; null in old transcripts. */
  requestId: string | null;
  /** `timestamp` as epoch ms. */
  at: number;
  model: string;
  usage: AnthropicUsage;
  sessionId: string | null;
  /** `cwd`: the project directory. */
  project: string | null;
  gitBranch: string | null;
  agentId: string | null;
  isSidechain: boolean;
  /** Claude Code's version (`version`). */
  version: string | null;
}

export type LineVerdict =
  | { kind: 'entry'; entry: TranscriptEntry }
  | { kind: 'skip'; why: 'no-usage' | 'synthetic' | 'no-id' }
  | { kind: 'malformed'; why: string };

const USAGE_KEY = Buffer.from('"usage"');
type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

/**
 * Whether a raw line can hold usage at all. Lines without the bytes `"usage"` (most of a transcript by
 * size: tool results, file contents) are passed over without decoding or parsing them.
 */
export function mayHoldUsage(line: Buffer): boolean {
  return line.indexOf(USAGE_KEY) !== -1;
}

function numberOrNull(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

/** The usage object, with only the members CCO reads (a transcript may carry more). */
function readUsage(u: Obj): AnthropicUsage {
  const usage: AnthropicUsage = {
    input_tokens: numberOrNull(u.input_tokens),
    cache_creation_input_tokens: numberOrNull(u.cache_creation_input_tokens),
    cache_read_input_tokens: numberOrNull(u.cache_read_input_tokens),
    output_tokens: numberOrNull(u.output_tokens),
  };
  if (isObj(u.cache_creation)) {
    usage.cache_creation = {
      ephemeral_5m_input_tokens: numberOrNull(u.cache_creation.ephemeral_5m_input_tokens),
      ephemeral_1h_input_tokens: numberOrNull(u.cache_creation.ephemeral_1h_input_tokens),
    };
  }
  if (isObj(u.server_tool_use)) {
    usage.server_tool_use = {
      web_search_requests: numberOrNull(u.server_tool_use.web_search_requests),
      web_fetch_requests: numberOrNull(u.server_tool_use.web_fetch_requests),
    };
  }
  if (isObj(u.output_tokens_details)) usage.output_tokens_details = { thinking_tokens: numberOrNull(u.output_tokens_details.thinking_tokens) };
  if (typeof u.service_tier === 'string') usage.service_tier = u.service_tier;
  if (typeof u.inference_geo === 'string') usage.inference_geo = u.inference_geo;
  if (typeof u.speed === 'string') usage.speed = u.speed;
  return usage;
}

/** Parses one line (UTF-8 bytes, without its newline). */
export function parseTranscriptLine(line: Buffer): LineVerdict {
  if (!mayHoldUsage(line)) return { kind: 'skip', why: 'no-usage' };
  let value: unknown;
  try {
    value = JSON.parse(line.toString('utf8'));
  } catch (err) {
    return { kind: 'malformed', why: (err as Error).message.slice(0, 200) };
  }
  if (!isObj(value)) return { kind: 'malformed', why: 'not a JSON object' };
  const message = value.message;
  if (!isObj(message) || !isObj(message.usage)) return { kind: 'skip', why: 'no-usage' };
  const model = str(message.model);
  if (model === '<synthetic>') return { kind: 'skip', why: 'synthetic' };
  const messageId = str(message.id);
  const at = typeof value.timestamp === 'string' ? Date.parse(value.timestamp) : NaN;
  if (messageId === null || model === null) return { kind: 'skip', why: 'no-id' };
  if (!Number.isFinite(at)) return { kind: 'malformed', why: 'missing or invalid timestamp' };
  return {
    kind: 'entry',
    entry: {
      messageId,
      requestId: str(value.requestId),
      at,
      model,
      usage: readUsage(message.usage),
      sessionId: str(value.sessionId),
      project: str(value.cwd),
      gitBranch: str(value.gitBranch),
      agentId: str(value.agentId),
      isSidechain: value.isSidechain === true,
      version: str(value.version),
    },
  };
}

/** The de-duplication key of a response: message id + request id. */
export function entryKey(e: Pick<TranscriptEntry, 'messageId' | 'requestId'>): string {
  return `${e.messageId}:${e.requestId ?? ''}`;
}

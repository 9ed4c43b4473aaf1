/**
 * Finished request (transport facts + attribution + observation) → the stored RequestRecord, priced.
 * Pure: no I/O, no clock except the ULID.
 */
import { newRecordId } from './ids.ts';
import { UNPRICED_USAGE_UNREADABLE, type AnthropicUsage, type RequestRecord, type TokenCounts } from '../../shared/contract.ts';
import type { Pricer } from '../pricing/index.ts';
import type { FinishedRequest } from './forward.ts';
import { redactText } from '../logging/redact.ts';
import { pathOnly } from './attribution.ts';

const ZERO_TOKENS: TokenCounts = { input: 0, cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: 0, output: 0 };

/** Responses that always report usage when they succeed: POST /v1/messages (JSON or SSE). */
function reportsUsage(method: string, path: string): boolean {
  if (method !== 'POST' && method.toUpperCase() !== 'POST') return false;
  let p = pathOnly(path);
  if (p.length > 1 && p.endsWith('/')) p = p.slice(0, -1);
  return p === '/v1/messages';
}

/**
 * A successful Messages response that ended (whole or truncated) but whose usage CCO could not read: it was
 * most likely billed, so it must not be booked as a free call.
 */
export function usageUnreadable(f: FinishedRequest): boolean {
  return (
    f.observation?.usage == null &&
    f.status !== null &&
    f.status >= 200 &&
    f.status < 300 &&
    (f.state === 'complete' || f.state === 'truncated') &&
    reportsUsage(f.method, f.path)
  );
}

/** The `error.type` of the envelope CCO sent with a refusal (anthropicError). */
function refusalType(body: string): string | null {
  try {
    const t = (JSON.parse(body) as { error?: { type?: unknown } }).error?.type;
    return typeof t === 'string' ? t : null;
  } catch {
    return null;
  }
}

export function buildRecord(f: FinishedRequest, pricer: Pricer, id: string = newRecordId(f.startedAt)): RequestRecord {
  const obs = f.observation;
  const usage: AnthropicUsage | null = obs?.usage ?? null;
  const model = obs?.model ?? null;
  // A call is billed when the API reported usage for a billable endpoint; an error before any usage costs $0.
  // A success whose usage could not be read is billable with an unknown cost (counted with the unpriced).
  const unreadable = !f.cacheHit && usageUnreadable(f);
  const billable = !f.cacheHit && ((f.attribution.billable && usage !== null) || unreadable);

  let tokens = ZERO_TOKENS;
  let costNanoUsd: number | null = 0;
  let priceVersion: string | null = null;
  let unpricedReason: string | null = null;
  let cacheSavingsNanoUsd = 0;
  if (f.cacheHit) {
    // Answered from the response cache: nothing was billed. The price of the replayed usage is what it saved.
    if (usage && f.attribution.billable) {
      const result = pricer.cost(usage, model ?? f.attribution.modelRequested, f.startedAt, { context1m: f.attribution.context1m });
      priceVersion = result.priceVersion;
      if (result.priced) cacheSavingsNanoUsd = result.nanoUsd;
    }
  } else if (unreadable) {
    costNanoUsd = null;
    unpricedReason = UNPRICED_USAGE_UNREADABLE;
  } else if (billable) {
    const result = pricer.cost(usage!, model ?? f.attribution.modelRequested, f.startedAt, { context1m: f.attribution.context1m });
    tokens = result.tokens;
    priceVersion = result.priceVersion;
    if (result.priced) {
      costNanoUsd = result.nanoUsd;
      cacheSavingsNanoUsd = result.cacheSavingsNanoUsd;
    } else {
      costNanoUsd = null;
      unpricedReason = result.reason;
    }
  }

  return {
    id,
    startedAt: f.startedAt,
    endedAt: f.endedAt,
    method: f.method,
    // A credential in the query (`?key=sk-ant-…`) is forwarded as sent but never stored: the logger's redaction.
    path: redactText(f.path),
    status: f.status,
    state: f.state,
    upstreamRequestId: f.upstreamRequestId,
    messageId: obs?.messageId ?? null,
    modelRequested: f.attribution.modelRequested,
    model,
    stream: f.attribution.stream,
    ttfbMs: f.ttfbMs,
    durationMs: Math.max(0, f.endedAt - f.startedAt),
    tokens,
    thinkingTokens: usage?.output_tokens_details?.thinking_tokens ?? 0,
    webSearchRequests: usage?.server_tool_use?.web_search_requests ?? 0,
    serviceTier: usage?.service_tier ?? null,
    speed: usage?.speed ?? null,
    inferenceGeo: usage?.inference_geo ?? null,
    billable,
    costNanoUsd,
    priceVersion,
    unpricedReason,
    cacheSavingsNanoUsd,
    sessionId: f.attribution.sessionId,
    agentId: f.attribution.agentId,
    parentAgentId: f.attribution.parentAgentId,
    project: f.attribution.project,
    client: f.attribution.client,
    credentialId: f.attribution.credentialId,
    source: 'proxy',
    cacheHit: f.cacheHit === true,
    errorType: obs?.errorType ?? (f.refusal ? refusalType(f.refusal.body) : f.state === 'upstream_error' ? 'upstream_unreachable' : null),
    // the proxy cannot know the branch; a subagent names its agent, a Claude Code session's main thread does not
    gitBranch: null,
    isSidechain: f.attribution.agentId !== null ? true : f.attribution.sessionId !== null ? false : null,
    bytesIn: f.bytesIn,
    bytesOut: f.bytesOut,
  };
}

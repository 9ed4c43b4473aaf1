/**
 * CSV rendering of stored requests (RFC 4180): a header row, then one CRLF-terminated line per request.
 * Fields holding a comma, a double quote, CR or LF are quoted, with inner quotes doubled; everything else
 * is written as is (UTF-8 is the caller's encoding). Money is USD with exactly 9 decimals, converted from
 * integer nano-USD without floating point. An unpriced request has an EMPTY cost and `priced` = false —
 * never 0 (issue #4: unpriced is shown as unpriced in every export).
 */
import type { RequestRecord } from '../../shared/contract.ts';

export type CsvValue = string | number | boolean | null;

const NEEDS_QUOTES = /[",\r\n]/;

/** One field: null → empty; booleans → true/false; strings quoted when RFC 4180 requires it. */
export function csvField(v: CsvValue): string {
  if (v === null) return '';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new RangeError(`not a finite number: ${v}`);
    return String(v);
  }
  return NEEDS_QUOTES.test(v) ? `"${v.replaceAll('"', '""')}"` : v;
}

/** One record line, CRLF-terminated. */
export function csvLine(values: readonly CsvValue[]): string {
  return values.map(csvField).join(',') + '\r\n';
}

const NANO_PER_USD = 1_000_000_000n;

/** Integer nano-USD → "D.DDDDDDDDD" (exact, any size, negative allowed). Throws on a non-integer. */
export function nanoToUsd(nano: number | bigint): string {
  if (typeof nano === 'number' && !Number.isSafeInteger(nano)) throw new RangeError(`not an exact integer nano-USD amount: ${nano}`);
  const n = BigInt(nano);
  const abs = n < 0n ? -n : n;
  const whole = abs / NANO_PER_USD;
  const frac = (abs % NANO_PER_USD).toString().padStart(9, '0');
  return `${n < 0n ? '-' : ''}${whole}.${frac}`;
}

const iso = (ms: number): string => new Date(ms).toISOString();

/** Column name → value of a record, in output order. */
const COLUMNS: readonly [string, (r: RequestRecord) => CsvValue][] = [
  ['id', (r) => r.id],
  ['started_at', (r) => iso(r.startedAt)],
  ['ended_at', (r) => iso(r.endedAt)],
  ['method', (r) => r.method],
  ['path', (r) => r.path],
  ['status', (r) => r.status],
  ['state', (r) => r.state],
  ['model', (r) => r.model],
  ['model_requested', (r) => r.modelRequested],
  ['project', (r) => r.project],
  ['session_id', (r) => r.sessionId],
  ['agent_id', (r) => r.agentId],
  ['parent_agent_id', (r) => r.parentAgentId],
  ['client', (r) => r.client],
  ['source', (r) => r.source],
  ['stream', (r) => r.stream],
  ['ttfb_ms', (r) => r.ttfbMs],
  ['duration_ms', (r) => r.durationMs],
  ['input_tokens', (r) => r.tokens.input],
  ['cache_write_5m_tokens', (r) => r.tokens.cacheWrite5m],
  ['cache_write_1h_tokens', (r) => r.tokens.cacheWrite1h],
  ['cache_read_tokens', (r) => r.tokens.cacheRead],
  ['output_tokens', (r) => r.tokens.output],
  ['thinking_tokens', (r) => r.thinkingTokens],
  ['web_search_requests', (r) => r.webSearchRequests],
  ['service_tier', (r) => r.serviceTier],
  ['speed', (r) => r.speed],
  ['inference_geo', (r) => r.inferenceGeo],
  ['billable', (r) => r.billable],
  ['priced', (r) => r.costNanoUsd !== null],
  ['cost_usd', (r) => (r.costNanoUsd === null ? null : nanoToUsd(r.costNanoUsd))],
  ['price_version', (r) => r.priceVersion],
  ['unpriced_reason', (r) => r.unpricedReason],
  ['cache_savings_usd', (r) => nanoToUsd(r.cacheSavingsNanoUsd)],
  ['cache_hit', (r) => r.cacheHit],
  ['error_type', (r) => r.errorType],
  ['upstream_request_id', (r) => r.upstreamRequestId],
  ['message_id', (r) => r.messageId],
  ['credential_id', (r) => r.credentialId],
  ['bytes_in', (r) => r.bytesIn],
  ['bytes_out', (r) => r.bytesOut],
  ['git_branch', (r) => r.gitBranch],
  ['is_sidechain', (r) => r.isSidechain],
];

export const CSV_COLUMNS: readonly string[] = COLUMNS.map(([name]) => name);

/** The header row (CRLF-terminated). */
export function csvHeader(): string {
  return csvLine(CSV_COLUMNS);
}

/** One request as a CSV line (CRLF-terminated). */
export function recordToCsv(r: RequestRecord): string {
  return csvLine(COLUMNS.map(([, get]) => get(r)));
}

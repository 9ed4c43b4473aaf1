/**
 * The log line of a finished request: `request` (info) for a Messages call, `upstream error` (warn) for an
 * HTTP error or a failed call, and other calls (model lists, Claude Code's telemetry batches) at debug.
 * Fields: status, model, tokens in (input + cache writes + cache reads) and out, cost, duration, session,
 * path and id. Only what the record holds, and the record holds no credential: its path was redacted
 * when it was built, and the file logger redacts again. Pure.
 */
import type { RequestRecord } from '../../shared/contract.ts';
import { formatUsd } from '../api/format.ts';
import { requestOutcome } from '../api/outcome.ts';
import type { LogFields, Logger, LogLevel } from '../log.ts';

export interface RequestLogEntry {
  level: LogLevel;
  msg: 'request' | 'upstream error';
  fields: LogFields;
}

export function requestLogEntry(r: RequestRecord): RequestLogEntry {
  const outcome = requestOutcome(r);
  const failed = outcome.kind === 'error' || r.state === 'upstream_error' || r.state === 'proxy_error' || r.state === 'error_event';
  const fields: LogFields = {
    status: r.status ?? '-',
    ...(outcome.kind !== 'complete' && { outcome: outcome.label }),
    model: r.model ?? r.modelRequested ?? '-',
    in: r.tokens.input + r.tokens.cacheWrite5m + r.tokens.cacheWrite1h + r.tokens.cacheRead,
    out: r.tokens.output,
    cost: r.costNanoUsd === null ? (r.billable ? 'unpriced' : '-') : formatUsd(r.costNanoUsd),
    ms: r.durationMs,
    ...(r.errorType && { error: r.errorType }),
    ...(r.sessionId && { session: r.sessionId }),
    path: r.path,
    id: r.id,
  };
  if (failed) return { level: 'warn', msg: 'upstream error', fields };
  return { level: r.billable ? 'info' : 'debug', msg: 'request', fields };
}

export function logRequest(log: Logger, r: RequestRecord): void {
  const e = requestLogEntry(r);
  log[e.level](e.msg, e.fields);
}

/**
 * What happened to a request, as people read it: an upstream HTTP error is an error whatever the stream
 * state says ("429 rate limited", "529 overloaded", "400 invalid request"), never a green "complete".
 * Shared by the renderer (badges) and the CLI.
 */
import { ERROR_STATES, STATE_FILTER_ERRORS, type RequestRecord, type RequestStateFilter } from '../../shared/contract.ts';

const REASONS: Record<number, string> = {
  400: 'invalid request',
  401: 'authentication failed',
  403: 'permission denied',
  404: 'not found',
  408: 'timed out',
  413: 'request too large',
  429: 'rate limited',
  500: 'server error',
  502: 'bad gateway',
  503: 'unavailable',
  504: 'gateway timeout',
  529: 'overloaded',
};

const REFUSED_LABEL = 'refused by budget';

export interface Outcome {
  /** 'error' for an upstream HTTP error or a failed request; otherwise the record's state. */
  kind: 'error' | RequestRecord['state'];
  label: string;
}

export function requestOutcome(r: Pick<RequestRecord, 'status' | 'state'>): Outcome {
  // CCO's own refusal (budget hard cap, paused session): its 400 is not an upstream error
  if (r.state === 'refused') return { kind: 'refused', label: REFUSED_LABEL };
  if (r.status !== null && r.status >= 400) {
    return { kind: 'error', label: `${r.status} ${REASONS[r.status] ?? (r.status >= 500 ? 'server error' : 'client error')}` };
  }
  return { kind: r.state, label: r.state.replace('_', ' ') };
}

/**
 * The kind of failure a request is, or null when it did not fail: the upstream HTTP status ("429", "529",
 * "400") when it is an error, else the failed state ("upstream_error", "error_event", "proxy_error").
 * The same rule as the store's `state=errors` filter and its error counts.
 */
export function errorKind(r: Pick<RequestRecord, 'status' | 'state'>): string | null {
  if (r.state === 'refused') return 'refused'; // counted apart from the upstream's own 400s
  if (r.status !== null && r.status >= 400) return String(r.status);
  return ERROR_STATES.includes(r.state) ? r.state : null;
}

/** Whether a record passes a `state` filter (one state, or 'errors'). */
export function matchesStateFilter(filter: RequestStateFilter, r: Pick<RequestRecord, 'status' | 'state'>): boolean {
  return filter === STATE_FILTER_ERRORS ? errorKind(r) !== null : r.state === filter;
}

/** People's words for an error kind: "429 rate limited", "upstream error". */
export function errorKindLabel(kind: string): string {
  const status = /^\d{3}$/.test(kind) ? Number(kind) : null;
  if (status !== null) return requestOutcome({ status, state: 'complete' }).label;
  if (kind === 'refused') return REFUSED_LABEL;
  return kind.replace('_', ' ');
}

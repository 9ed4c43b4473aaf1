/**
 * What happened to a request, as people read it: an upstream HTTP error is an error whatever the stream
 * state says ("429 rate limited", "529 overloaded", "400 invalid request"), never a green "complete".
 * Shared by the renderer (badges) and the CLI.
 */
import type { RequestRecord } from './contract.ts';

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

export interface Outcome {
  /** 'error' for an upstream HTTP error or a failed request; otherwise the record's state. */
  kind: 'error' | RequestRecord['state'];
  label: string;
}

export function requestOutcome(r: Pick<RequestRecord, 'status' | 'state'>): Outcome {
  if (r.status !== null && r.status >= 400) {
    return { kind: 'error', label: `${r.status} ${REASONS[r.status] ?? (r.status >= 500 ? 'server error' : 'client error')}` };
  }
  return { kind: r.state, label: r.state.replace('_', ' ') };
}

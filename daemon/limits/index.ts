/** Plan limits: parse rate-limit headers per response, keep state + history per credential, forecast. */
import type { FinishedRequest } from '../proxy/forward.ts';
import type { RequestRecord } from '../../shared/contract.ts';
import { parseRateLimitHeaders } from './parse.ts';
import type { LimitTracker } from './tracker.ts';

export { createLimitTracker, type LimitTracker } from './tracker.ts';
export { parseRateLimitHeaders } from './parse.ts';

/** The proxy's hook: books one finished request into the tracker. Cheap, never throws. */
export function observeFinished(tracker: LimitTracker, finished: FinishedRequest, record: RequestRecord | null): void {
  try {
    const parsed = finished.responseHeaders ? parseRateLimitHeaders(finished.responseHeaders) : null;
    if (!parsed && !record?.costNanoUsd) return;
    tracker.observe(finished.attribution.credentialId, parsed, record?.costNanoUsd ?? null, finished.endedAt);
  } catch {
    // a limit-state problem must never touch forwarding or the record
  }
}

/** The first requests each view makes; main.tsx primes them before React mounts. */
import type { RequestQuery } from '../../../daemon/api/contract.ts';
import type { PrimeSpec, RangeQuery } from '../api/client.ts';

export const POPOVER_TODAY: RangeQuery = { range: 'today' };
export const POPOVER_MONTH: RangeQuery = { range: 'month' };
export const POPOVER_RECENT: RequestQuery = { limit: 10 };

export const DASHBOARD_DEFAULT_RANGE: RangeQuery = { range: '7d' };
/** One row is enough to know whether anything was ever recorded (empty state). */
export const DASHBOARD_ANY: RequestQuery = { limit: 1 };

/**
 * In the order the daemon should answer them (its store answers one query at a time): the popover's first
 * render needs today + recent; this month's (larger) summary comes after.
 */
export function primeFor(view: 'popover' | 'dashboard'): PrimeSpec[] {
  return view === 'popover'
    ? [{ summaries: [POPOVER_TODAY] }, { requests: [POPOVER_RECENT] }, { summaries: [POPOVER_MONTH] }]
    : [{ summaries: [DASHBOARD_DEFAULT_RANGE] }, { requests: [DASHBOARD_ANY], prices: true }];
}

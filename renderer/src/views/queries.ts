/** The first requests each view makes; main.tsx primes them before React mounts. */
import type { RequestQuery } from '../../../shared/contract.ts';
import type { PrimeSpec, RangeQuery } from '../api/client.ts';

// The popover shows no per-session list: the daemon can skip computing it.
export const POPOVER_TODAY: RangeQuery = { range: 'today', sessions: false };
export const POPOVER_MONTH: RangeQuery = { range: 'month', sessions: false };
export const POPOVER_RECENT: RequestQuery = { limit: 10 };

const HOUR_MS = 3_600_000;
/**
 * The sparkline's window: the last 24 hours by hour, ending with the current hour. Aligned to the hour so
 * the query (and its cache key) stays the same for an hour and live updates refetch the same window.
 */
export function popoverLast24h(now: number = Date.now()): RangeQuery {
  const end = (Math.floor(now / HOUR_MS) + 1) * HOUR_MS;
  return { range: 'custom', from: end - 24 * HOUR_MS, to: end, sessions: false };
}

export const DASHBOARD_DEFAULT_RANGE: RangeQuery = { range: '7d' };
/** One row is enough to know whether anything was ever recorded (empty state). */
export const DASHBOARD_ANY: RequestQuery = { limit: 1 };

/**
 * In the order the daemon should answer them (its store answers one query at a time): the popover's first
 * render needs today + recent. This month's summary (several times costlier in the store) is not primed:
 * the popover asks for it once mounted, so its computation does not compete for the CPU with the first
 * render (measured: first renders ~40 ms later when it ran alongside). `tz` (the zone of the last visit,
 * see api/timezone.ts) spares the first requests the wait for Intl; without it the client asks Intl.
 */
export function primeFor(view: 'popover' | 'dashboard', tz?: string | null): PrimeSpec[] {
  const z = (q: RangeQuery): RangeQuery => (tz ? { ...q, tz } : q);
  return view === 'popover'
    ? [{ summaries: [z(POPOVER_TODAY)] }, { requests: [POPOVER_RECENT] }]
    : [{ summaries: [z(DASHBOARD_DEFAULT_RANGE)] }, { requests: [DASHBOARD_ANY], prices: true }];
}

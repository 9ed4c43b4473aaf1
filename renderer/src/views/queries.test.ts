import { describe, expect, it } from 'vitest';
import { popoverLast24h, primeFor } from './queries.ts';

describe('popover queries', () => {
  it('covers the last 24 hours ending with the current hour, stable within the hour', () => {
    const t = Date.UTC(2026, 10, 22, 0, 40);
    const q = popoverLast24h(t);
    expect(q).toEqual({ range: 'custom', from: Date.UTC(2026, 10, 21, 1), to: Date.UTC(2026, 10, 22, 1), sessions: false });
    expect(popoverLast24h(t + 15 * 60_000)).toEqual(q);
    expect(popoverLast24h(Date.UTC(2026, 10, 22, 1))).not.toEqual(q);
  });

  it('primes only what the first render needs, without the per-session list', () => {
    const [summaries] = primeFor('popover', 'UTC');
    expect(summaries!.summaries).toEqual([{ range: 'today', sessions: false, tz: 'UTC' }]);
  });
});

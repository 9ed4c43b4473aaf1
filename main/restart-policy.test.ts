import { describe, expect, it } from 'vitest';
import { DEFAULT_RESTART_POLICY, backoffDelay, crashesInWindow, decideRestart } from './restart-policy.ts';

const P = DEFAULT_RESTART_POLICY;
const mid = () => 0.5; // zero jitter

describe('restart-policy', () => {
  it('doubles the delay per attempt up to the cap', () => {
    const delays = [0, 1, 2, 3, 10].map((n) => backoffDelay(n, P, mid));
    expect(delays).toEqual([500, 1000, 2000, 4000, 30_000]);
  });

  it('keeps jitter within ±jitterRatio and uses the random source', () => {
    expect(backoffDelay(2, P, () => 0)).toBe(1600);
    expect(backoffDelay(2, P, () => 0.999999)).toBe(2400);
    const seen = new Set<number>();
    for (let i = 0; i < 50; i++) {
      const d = backoffDelay(3, P, Math.random);
      expect(d).toBeGreaterThanOrEqual(3200);
      expect(d).toBeLessThanOrEqual(4800);
      seen.add(d);
    }
    expect(seen.size).toBeGreaterThan(5);
  });

  it('counts only crashes inside the window', () => {
    expect(crashesInWindow([0, 100_000, 299_999, 300_000], 300_000, 300_000)).toEqual([100_000, 299_999, 300_000]);
  });

  it('restarts after one or two crashes and gives up on the third within 5 minutes', () => {
    expect(decideRestart([1000], 1000, 0, P, mid)).toEqual({ kind: 'restart', delayMs: 500, crashesInWindow: 1 });
    expect(decideRestart([1000, 2000], 2000, 1, P, mid)).toEqual({ kind: 'restart', delayMs: 1000, crashesInWindow: 2 });
    expect(decideRestart([1000, 2000, 3000], 3000, 2, P, mid)).toEqual({ kind: 'give-up', crashesInWindow: 3 });
  });

  it('keeps restarting when crashes are spread further apart than the window', () => {
    const times = [0, 200_000, 400_000, 600_000];
    expect(decideRestart(times, 600_000, 0, P, mid).kind).toBe('restart');
  });
});

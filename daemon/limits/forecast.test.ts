import { describe, expect, it } from 'vitest';
import type { LimitSample } from '../../shared/contract.ts';
import { currentWindowSamples, forecastWindow, lookbackMs, windowLengthMs } from './forecast.ts';
import { describeForecast, windowLabel } from './describe.ts';

const MIN = 60_000;
const T0 = Date.UTC(2026, 11, 3, 12, 0); // 12:00 UTC
const RESET = T0 + 4 * 60 * MIN; // 16:00
const s = (min: number, u: number, resetsAt: number | null = RESET): LimitSample => ({ t: T0 + min * MIN, u, resetsAt });

describe('forecastWindow', () => {
  it('steady pace: 1 % every 2 min reaches 100 % before the reset', () => {
    const samples = Array.from({ length: 31 }, (_, i) => s(i * 2, 0.3 + i * 0.01)); // 12:00 → 13:00, 0.30 → 0.60
    const f = forecastWindow('5h', samples, T0 + 60 * MIN, RESET);
    expect(f.ratePerHour).toBeCloseTo(0.3, 6);
    // 0.40 left at 0.30/h → 80 min after 13:00 = 14:20
    expect(f.reachesAt).toBe(T0 + 140 * MIN);
    expect(f.confidence).toBe('high');
    expect(describeForecast(f, T0 + 60 * MIN, 'UTC')).toBe('at this pace the 5-hour limit is reached at 14:20 (in ~1 h 20 min)');
    expect(describeForecast(f, T0 + 60 * MIN, 'Asia/Kolkata')).toBe('at this pace the 5-hour limit is reached at 19:50 (in ~1 h 20 min)');
  });

  it('slow pace: not before it resets', () => {
    const samples = Array.from({ length: 13 }, (_, i) => s(i * 5, 0.1 + i * 0.001));
    const f = forecastWindow('5h', samples, T0 + 60 * MIN, RESET);
    expect(f.reachesAt).toBeNull();
    expect(f.ratePerHour).toBeCloseTo(0.012, 6);
    expect(describeForecast(f, T0 + 60 * MIN, 'UTC')).toBe('5-hour: not reached before it resets at 16:00');
  });

  it('a burst is averaged over the look-back, and idle time since slows the pace', () => {
    // flat for 50 min, then +0.3 in 2 minutes, then idle until 13:00
    const samples = [s(0, 0.1), s(25, 0.1), s(50, 0.1), s(51, 0.25), s(52, 0.4)];
    const f = forecastWindow('5h', samples, T0 + 60 * MIN, RESET);
    expect(f.ratePerHour).toBeCloseTo(0.3, 6); // 0.3 over the hour, not 0.3 per 2 minutes
    expect(f.reachesAt).toBe(T0 + 60 * MIN + 2 * 60 * MIN); // 0.6 left at 0.3/h = 2 h after 13:00
    const later = forecastWindow('5h', samples, T0 + 120 * MIN, RESET);
    // at 14:00 the look-back holds no sample: the last two are used, and the pace includes the idle hour
    expect(later.ratePerHour!).toBeLessThan(f.ratePerHour!);
  });

  it('a window that reset mid-history: only samples after the reset count', () => {
    const oldReset = T0 + 30 * MIN;
    const samples = [s(0, 0.9, oldReset), s(20, 0.98, oldReset), s(35, 0.02), s(45, 0.05), s(60, 0.08)];
    expect(currentWindowSamples(samples)).toHaveLength(3);
    const f = forecastWindow('5h', samples, T0 + 60 * MIN, RESET);
    expect(f.ratePerHour).toBeCloseTo(0.06 / 25 * 60, 6);
    expect(f.confidence).toBe('medium');
    // a drop alone (same reset header) also marks a reset
    expect(currentWindowSamples([s(0, 0.5), s(1, 0.6), s(2, 0.01), s(3, 0.02)])).toHaveLength(2);
  });

  it('no data, one sample, thin data', () => {
    const none = forecastWindow('5h', [], T0, RESET);
    expect(none).toMatchObject({ ratePerHour: null, reachesAt: null, confidence: 'none', note: 'no data yet' });
    expect(describeForecast(none, T0, 'UTC')).toBe('5-hour: not enough data for a forecast');
    expect(forecastWindow('5h', [s(0, 0.2)], T0, RESET)).toMatchObject({ confidence: 'none', note: '1 sample so far' });
    const thin = forecastWindow('5h', [s(0, 0.2), s(4, 0.3)], T0 + 4 * MIN, RESET);
    expect(thin.confidence).toBe('low');
    expect(thin.note).toBe('2 samples over 4 min');
    expect(describeForecast(thin, T0 + 4 * MIN, 'UTC')).toBe('at this pace the 5-hour limit is reached at 12:32 (in ~28 min) (rough: 2 samples over 4 min)');
  });

  it('reached and already reset', () => {
    expect(forecastWindow('5h', [s(0, 0.5), s(10, 1)], T0 + 10 * MIN, RESET)).toMatchObject({ reachesAt: T0 + 10 * MIN, note: 'the limit is reached' });
    expect(forecastWindow('5h', [s(0, 0.5)], RESET + 1, RESET)).toMatchObject({ reachesAt: null, confidence: 'none' });
  });

  it('weekly windows look back a fifth of the window', () => {
    expect(windowLengthMs('7d_sonnet')).toBe(7 * 24 * 60 * MIN);
    expect(lookbackMs('7d')).toBe((7 * 24 * 60 * MIN) / 5);
    expect(lookbackMs('5h')).toBe(60 * MIN);
    expect(windowLabel('7d_sonnet')).toBe('weekly Sonnet');
    expect(windowLabel('7d')).toBe('weekly');
    expect(windowLabel('30d_new')).toBe('30d_new');
  });
});

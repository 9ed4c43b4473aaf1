import { describe, expect, it } from 'vitest';
import {
  addDays,
  isValidTimeZone,
  localDate,
  startOfDayContaining,
  startOfDaysAgo,
  startOfLocalDay,
  startOfMonthContaining,
  startOfNextDay,
  tzOffsetMs,
} from './tz.ts';

const iso = (t: number): string => new Date(t).toISOString();

describe('tz', () => {
  it('computes offsets for whole, half and DST zones', () => {
    const jan = Date.UTC(2026, 0, 15, 12);
    const jul = Date.UTC(2026, 6, 15, 12);
    expect(tzOffsetMs(jan, 'UTC')).toBe(0);
    expect(tzOffsetMs(jan, 'Europe/Paris')).toBe(3_600_000);
    expect(tzOffsetMs(jul, 'Europe/Paris')).toBe(7_200_000);
    expect(tzOffsetMs(jan, 'Asia/Kolkata')).toBe(5.5 * 3_600_000);
    expect(tzOffsetMs(jan, 'America/New_York')).toBe(-5 * 3_600_000);
    expect(tzOffsetMs(jul, 'America/New_York')).toBe(-4 * 3_600_000);
  });

  it('finds local midnight', () => {
    const t = Date.UTC(2026, 2, 10, 3, 30); // 2026-03-10 03:30Z = 2026-03-09 23:30 in New York
    expect(localDate(t, 'America/New_York')).toEqual({ year: 2026, month: 3, day: 9 });
    expect(iso(startOfDayContaining(t, 'America/New_York'))).toBe('2026-03-09T04:00:00.000Z');
    expect(iso(startOfDayContaining(t, 'UTC'))).toBe('2026-03-10T00:00:00.000Z');
    expect(iso(startOfDayContaining(t, 'Asia/Kolkata'))).toBe('2026-03-09T18:30:00.000Z');
  });

  it('handles DST days (23 and 25 hour days)', () => {
    // US spring forward 2026-03-08: that day is 23 hours long in New York.
    const mar8 = startOfLocalDay({ year: 2026, month: 3, day: 8 }, 'America/New_York');
    const mar9 = startOfLocalDay({ year: 2026, month: 3, day: 9 }, 'America/New_York');
    expect(iso(mar8)).toBe('2026-03-08T05:00:00.000Z');
    expect(mar9 - mar8).toBe(23 * 3_600_000);
    // EU fall back 2026-10-25: 25 hours in Paris.
    const oct25 = startOfLocalDay({ year: 2026, month: 10, day: 25 }, 'Europe/Paris');
    expect(startOfNextDay(oct25, 'Europe/Paris') - oct25).toBe(25 * 3_600_000);
  });

  it('finds the first instant of a day whose midnight does not exist', () => {
    // America/Santiago springs forward at 24:00 → 2026-09-06 starts at 01:00 local (= 04:00Z).
    const start = startOfLocalDay({ year: 2026, month: 9, day: 6 }, 'America/Santiago');
    expect(localDate(start, 'America/Santiago')).toEqual({ year: 2026, month: 9, day: 6 });
    expect(localDate(start - 1000, 'America/Santiago')).toEqual({ year: 2026, month: 9, day: 5 });
  });

  it('steps days back across months and years', () => {
    expect(addDays({ year: 2026, month: 1, day: 3 }, -6)).toEqual({ year: 2025, month: 12, day: 28 });
    const now = Date.UTC(2026, 0, 3, 12);
    expect(iso(startOfDaysAgo(now, 6, 'UTC'))).toBe('2025-12-28T00:00:00.000Z');
    expect(iso(startOfMonthContaining(now, 'Europe/Paris'))).toBe('2025-12-31T23:00:00.000Z');
  });

  it('validates zone names', () => {
    expect(isValidTimeZone('Europe/Berlin')).toBe(true);
    expect(isValidTimeZone('Mars/Olympus')).toBe(false);
  });

  it('cached offsets agree with Intl at every instant, across transitions and odd offsets', () => {
    const direct = (t: number, tz: string): number => {
      const f = new Intl.DateTimeFormat('en-US', {
        timeZone: tz, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric',
      });
      const p = Object.fromEntries(f.formatToParts(new Date(t)).filter((x) => x.type !== 'literal').map((x) => [x.type, Number(x.value)]));
      return Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!) - Math.floor(t / 1000) * 1000;
    };
    // Lord Howe moves by 30 minutes, Kathmandu is +5:45, Paris and New York have DST, Amsterdam 1900 had
    // a seconds offset (+0:19:32).
    const zones = ['Australia/Lord_Howe', 'Asia/Kathmandu', 'Europe/Paris', 'America/New_York', 'Europe/Amsterdam'];
    const windows = [Date.UTC(2026, 2, 7), Date.UTC(2026, 3, 4), Date.UTC(2026, 9, 24), Date.UTC(1900, 0, 1)];
    let checked = 0;
    for (const tz of zones) {
      for (const w of windows) {
        // every 7 min 13.5 s for 3 days: hits each transition hour at several points
        for (let t = w; t < w + 3 * 86_400_000; t += 433_500) {
          expect(tzOffsetMs(t, tz), `${tz} ${iso(t)}`).toBe(direct(t, tz));
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(10_000);
  });

  it('local dates agree with Intl on both sides of a midnight transition', () => {
    const tz = 'America/Santiago';
    const start = startOfLocalDay({ year: 2026, month: 9, day: 6 }, tz);
    for (let t = start - 2 * 3_600_000; t < start + 2 * 3_600_000; t += 60_000) {
      const parts = new Intl.DateTimeFormat('en-US', { timeZone: tz, year: 'numeric', month: 'numeric', day: 'numeric' }).formatToParts(new Date(t));
      const get = (k: string): number => Number(parts.find((p) => p.type === k)?.value);
      expect(localDate(t, tz)).toEqual({ year: get('year'), month: get('month'), day: get('day') });
    }
  });
});


import { describe, expect, it } from 'vitest';
import { parseDate, splitPeriods } from './report-periods.ts';

const utc = (s: string) => Date.parse(s);

describe('report periods', () => {
  it('days in a zone, clipped to the range, across a DST change', () => {
    const from = utc('2026-03-28T10:00:00Z');
    const to = utc('2026-03-30T05:00:00Z');
    const days = splitPeriods(from, to, 'Europe/Paris', 'day');
    expect(days.map((d) => d.label)).toEqual(['2026-03-28', '2026-03-29', '2026-03-30']);
    expect(days[0]!.from).toBe(from);
    // 29 March 2026 is 23 hours long in Paris (clocks go forward).
    expect(days[1]!.from).toBe(utc('2026-03-28T23:00:00Z'));
    expect(days[1]!.to).toBe(utc('2026-03-29T22:00:00Z'));
    expect(days[2]!.to).toBe(to);
  });
  it('weeks start on Monday; months on the 1st; consecutive and covering', () => {
    const from = utc('2026-12-03T00:00:00Z'); // a Thursday
    const to = utc('2027-01-20T00:00:00Z');
    const weeks = splitPeriods(from, to, 'UTC', 'week');
    expect(weeks[0]).toEqual({ label: '2026-11-30', from, to: utc('2026-12-07T00:00:00Z') });
    expect(weeks.at(-1)!.label).toBe('2027-01-18');
    for (let i = 1; i < weeks.length; i++) expect(weeks[i]!.from).toBe(weeks[i - 1]!.to);
    expect(weeks.at(-1)!.to).toBe(to);
    expect(splitPeriods(from, to, 'UTC', 'month').map((m) => m.label)).toEqual(['2026-12', '2027-01']);
  });
  it('parses --since/--until dates as local dates (until = end of that day)', () => {
    expect(parseDate('2026-12-01', 'UTC')).toBe(utc('2026-12-01T00:00:00Z'));
    expect(parseDate('20261201', 'Europe/Paris')).toBe(utc('2026-11-30T23:00:00Z'));
    expect(parseDate('2026-12-01', 'UTC', true)).toBe(utc('2026-12-02T00:00:00Z'));
    expect(parseDate('2026-02-30', 'UTC')).toBeNull();
    expect(parseDate('yesterday', 'UTC')).toBeNull();
  });
});

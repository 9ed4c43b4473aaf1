import { describe, expect, it } from 'vitest';
import type { RequestRecord, Summary } from '../../shared/contract.ts';
import { makeRecord } from '../store/test-fixtures.ts';
import { periodContaining } from './periods.ts';
import { createBudgetTracker } from './tracker.ts';

const T = Date.parse('2026-12-03T10:00:00Z'); // a Thursday
const rec = (usd: number, over: Partial<RequestRecord> = {}): RequestRecord => makeRecord({ startedAt: T, billable: true, costNanoUsd: Math.round(usd * 1e9), project: null, ...over });

describe('budget periods', () => {
  it('day, Monday-first week and month in the time zone', () => {
    expect(periodContaining('daily', T, 'UTC')).toEqual({ start: Date.parse('2026-12-03T00:00:00Z'), end: Date.parse('2026-12-04T00:00:00Z') });
    expect(periodContaining('weekly', T, 'UTC')).toEqual({ start: Date.parse('2026-11-30T00:00:00Z'), end: Date.parse('2026-12-07T00:00:00Z') });
    expect(periodContaining('monthly', Date.parse('2026-12-31T23:00:00Z'), 'UTC')).toEqual({ start: Date.parse('2026-12-01T00:00:00Z'), end: Date.parse('2027-01-01T00:00:00Z') });
    expect(periodContaining('daily', T, 'Asia/Tokyo').start).toBe(Date.parse('2026-12-02T15:00:00Z'));
  });
});

describe('budget tracker', () => {
  it('adds the store totals and booked records; states ok → warning → exceeded', async () => {
    let t = T;
    const b = createBudgetTracker({ tz: 'UTC', dataDir: null, now: () => t, rules: [{ period: 'daily', usd: 10, project: null, hard: true }, { period: 'weekly', usd: 5, project: '/p', hard: false }] });
    const summary = { totals: { costNanoUsd: 7e9 }, byProject: [{ key: '/p', costNanoUsd: 3e9 }] } as unknown as Summary;
    await b.init(async () => summary);
    expect(b.status().map((s) => s.state)).toEqual(['ok', 'ok']);
    b.book(rec(1.5, { project: '/p' }));
    expect(b.status().map((s) => s.state)).toEqual(['warning', 'warning']);
    expect(b.refusal(null, null)).toBeNull();
    b.book(rec(2, { project: '/p' }));
    expect(b.status().map((s) => s.state)).toEqual(['exceeded', 'exceeded']);
    const r = b.refusal('/anything', null)!;
    expect(r.message).toMatch(/daily budget of \$10\.00 is spent \(\$10\.50\).*cco budget override --for 1h/);
    // the project budget is soft: no refusal from it alone, and no need for the body
    expect(b.needsAttribution()).toBe(false);
    b.override(t + 3_600_000);
    expect(b.refusal(null, null)).toBeNull();
    t += 3_600_001;
    expect(b.refusal(null, null)).not.toBeNull();
    // the next day starts at 0
    t = T + 86_400_000;
    expect(b.refusal(null, null)).toBeNull();
    expect(b.status()[0]!.spentNanoUsd).toBe(0);
  });

  it('a hard project cap refuses only that project and needs the attribution; pauses refuse a session', () => {
    const b = createBudgetTracker({ tz: 'UTC', dataDir: null, now: () => T, rules: [{ period: 'daily', usd: 1, project: '/p', hard: true }] });
    b.book(rec(0.5, { project: '/p' }));
    b.book(rec(5, { project: '/q', billable: true }));
    b.book(rec(5, { project: '/p', billable: false }));
    expect(b.needsAttribution()).toBe(false);
    b.book(rec(0.6, { project: '/p' }));
    expect(b.needsAttribution()).toBe(true);
    expect(b.refusal('/q', null)).toBeNull();
    expect(b.refusal('/p', null)!.kind).toBe('budget');
    b.pause('s1', 'runaway: 120 requests in a minute');
    expect(b.refusal('/q', 's1')!.message).toMatch(/paused this session \(runaway: 120 requests/);
    expect(b.response().pausedSessions).toHaveLength(1);
    b.override(T + 60_000);
    expect(b.isPaused('s1')).toBe(false);
  });
});

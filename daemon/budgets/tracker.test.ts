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

describe('per-user budgets', () => {
  const rules = [
    { period: 'daily' as const, usd: 1, project: null, user: 'alice', hard: true },
    { period: 'daily' as const, usd: 2, project: null, user: '*', hard: true },
    { period: 'weekly' as const, usd: 100, project: null, user: '*', hard: false },
  ];
  // spend booked today per user, then who is refused: alice has her own $1 daily cap (it replaces the $2
  // default's daily cap for her), everyone else the $2 default; requests without a user meet no user cap.
  it.each([
    { spent: { alice: 0.99 }, refused: [] },
    { spent: { alice: 1 }, refused: ['alice'] },
    { spent: { alice: 1.5, bob: 1.99 }, refused: ['alice'] },
    { spent: { bob: 2 }, refused: ['bob'] },
    { spent: { bob: 2, carol: 3 }, refused: ['bob', 'carol'] },
    { spent: { '': 50 }, refused: [] },
  ])('spent $spent → refused $refused', ({ spent, refused }) => {
    const b = createBudgetTracker({ tz: 'UTC', dataDir: null, now: () => T, rules });
    for (const [u, usd] of Object.entries(spent)) b.book(rec(usd, u ? { user: u } : {}));
    const who = ['alice', 'bob', 'carol', 'dave'].filter((u) => b.refusal(null, null, u) !== null);
    expect(who).toEqual(refused);
    expect(b.refusal(null, null, null)).toBeNull();
  });

  it('statuses: the own cap, and the default once per user who spent (by spend); the refusal names the user', () => {
    const b = createBudgetTracker({ tz: 'UTC', dataDir: null, now: () => T, rules });
    b.book(rec(1.2, { user: 'alice' }));
    b.book(rec(0.5, { user: 'bob' }));
    b.book(rec(1.8, { user: 'carol' }));
    const rows = b.status().map((s) => [s.period, s.user, s.perUser ?? false, s.spentNanoUsd, s.state]);
    expect(rows).toEqual([
      ['daily', 'alice', false, 1.2e9, 'exceeded'],
      ['daily', 'carol', true, 1.8e9, 'warning'],
      ['daily', 'bob', true, 0.5e9, 'ok'],
      ['weekly', 'carol', true, 1.8e9, 'ok'],
      ['weekly', 'alice', true, 1.2e9, 'ok'],
      ['weekly', 'bob', true, 0.5e9, 'ok'],
    ]);
    expect(b.response().rules).toEqual(rules);
    const r = b.refusal(null, null, 'alice')!;
    expect(r.message).toMatch(/daily budget of user alice of \$1\.00 is spent \(\$1\.20\), so CCO refuses alice's new requests until .*cco budget override --for 1h.*cco budget set daily <USD> --user alice --hard/);
    b.book(rec(0.3, { user: 'carol' }));
    expect(b.refusal(null, null, 'carol')!.message).toMatch(/daily budget of user carol \(the per-user budget\) of \$2\.00 .*--per-user/);
    // the override lifts user caps too; user caps never need the body
    expect(b.needsAttribution()).toBe(false);
    b.override(T + 60_000);
    expect(b.refusal(null, null, 'alice')).toBeNull();
  });

  it('start-up spend: the PostgreSQL summary byUser; on the embedded store the daemon own user (federated), else a warning', async () => {
    const summary = (byUser?: { key: string; costNanoUsd: number }[]) => async () => ({ totals: { costNanoUsd: 3e9 }, byProject: [], ...(byUser && { byUser }) }) as unknown as Summary;
    const pg = createBudgetTracker({ tz: 'UTC', dataDir: null, now: () => T, rules });
    await pg.init(summary([{ key: 'alice', costNanoUsd: 1e9 }, { key: '(none)', costNanoUsd: 2e9 }]));
    expect(pg.refusal(null, null, 'alice')).not.toBeNull();
    expect(pg.status().filter((s) => s.period === 'daily').map((s) => s.user)).toEqual(['alice']);

    const fed = createBudgetTracker({ tz: 'UTC', dataDir: null, now: () => T, rules, defaultUser: 'bob' });
    await fed.init(summary());
    expect(fed.refusal(null, null, null)!.message).toMatch(/user bob/); // $3 of bob's $2 default
    fed.setRules([]);
    expect(fed.refusal(null, null, null)).toBeNull();

    const warnings: string[] = [];
    const gw = createBudgetTracker({ tz: 'UTC', dataDir: null, now: () => T, rules, warn: (m) => warnings.push(m) });
    await gw.init(summary());
    expect(warnings).toEqual([expect.stringMatching(/per-user spend counts from this start: the embedded store keeps no user/)]);
    expect(gw.refusal(null, null, 'alice')).toBeNull();
  });
});

import { describe, expect, it } from 'vitest';
import type { BudgetStatus, CcoAlert, UnifiedLimits } from '../../shared/contract.ts';
import { makeRecord } from '../store/test-fixtures.ts';
import { createAlertCenter, type AlertSettings } from './alerts.ts';

const R1 = 1_795_000_000_000;
const R2 = R1 + 5 * 3_600_000;
const T = R1 - 3_600_000;

function unified(u: number, status = 'allowed', reset = R1, overageInUse: boolean | null = null): UnifiedLimits {
  return {
    status,
    resetsAt: reset,
    representativeClaim: 'five_hour',
    fallback: null,
    fallbackPercentage: null,
    windows: { '5h': { name: '5h', utilization: u, resetsAt: reset, status } },
    overage: { status: null, resetsAt: null, inUse: overageInUse, disabledReason: null, other: {} },
  };
}

function center(over: Partial<AlertSettings> = {}) {
  const logged: CcoAlert[] = [];
  const delivered: CcoAlert[] = [];
  const paused: string[] = [];
  let now = T;
  const settings: AlertSettings = { thresholds: [80, 95], cooldownMs: 3_600_000, runawayRequestsPerMinute: 0, runawayUsdPerMinute: 0, runawayPause: false, ...over };
  const c = createAlertCenter({
    settings: () => settings,
    log: (a) => logged.push(a),
    deliver: (a) => delivered.push(a),
    pauseSession: (s) => paused.push(s),
    endOfDay: (t) => t + 1000,
    now: () => now,
  });
  return { c, logged, delivered, paused, setNow: (t: number) => (now = t) };
}

describe('alert center', () => {
  it('fires each threshold once per window, and again in the next window', () => {
    const { c, delivered } = center();
    let prev: UnifiedLimits | null = null;
    const step = (u: number, reset = R1, status = 'allowed') => {
      const next = unified(u, status, reset);
      c.limits('cred', prev, next, T);
      prev = next;
    };
    step(0.5);
    step(0.81);
    step(0.85);
    step(0.7); // a dip (e.g. a stale response) does not re-arm the crossing
    step(0.82);
    step(0.96);
    expect(delivered.map((a) => a.key)).toEqual([`limit:cred:5h:${R1}:80`, `limit:cred:5h:${R1}:95`]);
    step(0.1, R2);
    step(0.9, R2);
    expect(delivered.map((a) => a.key).slice(2)).toEqual([`limit:cred:5h:${R2}:80`]);
  });

  it('status warning/rejected, overage start and the reset after a rejection', () => {
    const { c, delivered } = center({ thresholds: [] });
    const a = unified(0.5);
    const warn = unified(0.85, 'allowed_warning');
    const rejected = unified(1, 'rejected');
    c.limits('x', null, a, T);
    c.limits('x', a, warn, T);
    c.limits('x', warn, warn, T); // no repeat
    c.limits('x', warn, rejected, T);
    const over = unified(1, 'rejected', R1, true);
    c.limits('x', rejected, over, T);
    c.limits('x', over, unified(0.01, 'allowed', R2), R1 + 1);
    expect(delivered.map((d) => d.kind)).toEqual(['limit-status', 'limit-status', 'overage', 'limit-reset']);
    expect(delivered[1]!.title).toBe('Claude plan limit reached');
    expect(delivered[3]!.title).toBe('5-hour limit has reset');
  });

  it('mute for today: logged, not delivered; budgets cross once per period', () => {
    const { c, logged, delivered, setNow } = center();
    expect(c.mute('today')).toBe(T + 1000);
    const b = (fraction: number, periodStart = 0): BudgetStatus => ({ period: 'daily', usd: 10, project: null, hard: true, spentNanoUsd: fraction * 10e9, fraction, state: fraction >= 1 ? 'exceeded' : 'ok', periodStart, periodEnd: periodStart + 86_400_000 });
    c.budgets([b(0.5)], [b(0.85)], T);
    expect(logged).toHaveLength(1);
    expect(delivered).toHaveLength(0);
    setNow(T + 2000);
    expect(c.mutedUntil()).toBeNull();
    c.budgets([b(0.85)], [b(1.01)], T + 2000);
    c.budgets([b(1.01)], [b(1.2)], T + 3000);
    expect(delivered.map((d) => d.title)).toEqual(['Daily budget at 101%']);
    expect(delivered[0]).not.toHaveProperty('user'); // everyone's spend: the admin's alert only
    expect(delivered[0]!.body).toMatch(/\$10\.10 of \$10\.00 spent; new requests are refused/);
  });

  it('per-user budget rows are matched by user, not by position: a new user row crossing alerts once, for that user', () => {
    const { c, delivered } = center();
    const u = (user: string, fraction: number): BudgetStatus => ({ period: 'daily', usd: 2, project: null, user, perUser: true, hard: true, spentNanoUsd: fraction * 2e9, fraction, state: fraction >= 1 ? 'exceeded' : 'ok', periodStart: 0, periodEnd: 86_400_000 });
    // carol's row appears first in the list (she spends most) and pushes bob's down
    c.budgets([u('bob', 0.9)], [u('carol', 1.05), u('bob', 0.9)], T);
    c.budgets([u('carol', 1.05), u('bob', 0.9)], [u('carol', 1.1), u('bob', 0.91)], T + 1000);
    expect(delivered.map((d) => d.title)).toEqual(['Daily budget of user carol at 105%', 'Daily budget of user carol at 105%']);
    expect(new Set(delivered.map((d) => d.key)).size).toBe(2);
    expect(delivered[0]!.body).toMatch(/\$2\.10 of \$2\.00 spent; carol's new requests are refused/);
    // the user the cap is on: the live feed also sends it to that user's own sockets (daemon/api/live.ts)
    expect(delivered.map((d) => d.user)).toEqual(['carol', 'carol']);
  });

  it('runaway: more than N requests a minute from one session notifies (with a cooldown) and can pause it', () => {
    const { c, delivered, paused } = center({ runawayRequestsPerMinute: 3, runawayPause: true });
    for (let i = 0; i < 10; i++) c.record(makeRecord({ sessionId: 's1', endedAt: T + i * 1000, costNanoUsd: 1 }));
    for (let i = 0; i < 3; i++) c.record(makeRecord({ sessionId: 's2', endedAt: T + i * 1000 }));
    expect(delivered).toHaveLength(1);
    expect(delivered[0]!.body).toMatch(/^Session s1: 4 requests in a minute; paused/);
    expect(paused[0]).toBe('s1');
  });
});

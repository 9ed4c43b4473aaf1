/**
 * The coach's figures on generated sessions with known answers, priced with the one price table
 * (Sonnet 4.6: input $3, 5m write $3.75, 1h write $6, read $0.30 per MTok = 3000 / 3750 / 6000 / 300 nano-USD a token).
 */
import { describe, expect, it } from 'vitest';
import type { RequestRecord } from '../../shared/contract.ts';
import { createPricer } from '../pricing/index.ts';
import { usageOf } from './analyze.ts';
import { analyzeRecords } from './coach.ts';

const pricer = createPricer();
const T0 = Date.UTC(2026, 11, 1, 10, 0, 0);
const MIN = 60_000;
const SONNET = 'claude-sonnet-4-6';
let n = 0;

function rec(session: string, atMin: number, t: { input?: number; w5?: number; w1?: number; read?: number }, model = SONNET, extra: Partial<RequestRecord> = {}): RequestRecord {
  const tok = { input: t.input ?? 0, w5: t.w5 ?? 0, w1: t.w1 ?? 0, read: t.read ?? 0, output: 0 };
  const startedAt = T0 + atMin * MIN;
  const base = { serviceTier: null, speed: null, inferenceGeo: null };
  const c = pricer.cost(usageOf(tok, base), model, startedAt);
  if (!c.priced) throw new Error('unpriced');
  n++;
  return {
    id: `r${String(n).padStart(4, '0')}`, startedAt, endedAt: startedAt + 1000, method: 'POST', path: '/v1/messages', status: 200, state: 'complete',
    upstreamRequestId: null, messageId: null, modelRequested: model, model, stream: true, ttfbMs: 1, durationMs: 1000,
    tokens: { input: tok.input, cacheWrite5m: tok.w5, cacheWrite1h: tok.w1, cacheRead: tok.read, output: 0 }, thinkingTokens: 0, webSearchRequests: 0,
    ...base, billable: true, costNanoUsd: c.nanoUsd, priceVersion: c.priceVersion, unpricedReason: null, cacheSavingsNanoUsd: c.cacheSavingsNanoUsd,
    sessionId: session, agentId: null, parentAgentId: null, project: `/p/${session}`, client: null, credentialId: null, source: 'proxy', cacheHit: false,
    errorType: null, gitBranch: null, isSidechain: null, bytesIn: 0, bytesOut: 0, ...extra,
  };
}

const run = (records: RequestRecord[], now = T0 + 24 * 60 * MIN) =>
  analyzeRecords([...records].sort((a, b) => a.startedAt - b.startedAt), pricer, { from: T0, to: T0 + 12 * 60 * MIN, now, tz: 'UTC' });

describe('prompt-cache coach arithmetic', () => {
  it('a healthy conversation: hit ratio, reads saved, writes cost, nothing wasted, no advice but the context', () => {
    const r = run([rec('ok', 0, { input: 100, w5: 10_000 }), rec('ok', 2, { input: 100, read: 10_000, w5: 1_000 }), rec('ok', 4, { input: 100, read: 11_000 })]);
    expect(r.totals.hitRatio).toBe(21_000 / (21_000 + 300 + 11_000));
    expect(r.totals.savedNanoUsd).toBe(21_000 * (3000 - 300));
    expect(r.totals.writeNanoUsd).toBe(11_000 * 3750);
    expect(r.totals.wastedNanoUsd).toBe(0);
    expect(r.busters).toEqual([]);
    expect(r.ttl).toEqual([]);
    expect(r.advice).toHaveLength(1);
    expect(r.advice[0]!.text).toMatch(/hit ratio 65\.0 %/);
  });

  it('turns 10 min apart on 5m writes: every write wasted, a ttl-expiry buster, and 1h would have saved an exact amount', () => {
    const recs = [rec('slow', 0, { w5: 20_000 }), rec('slow', 10, { w5: 20_000 }), rec('slow', 20, { w5: 20_000 })];
    const r = run(recs);
    expect(r.totals.wasted5mNanoUsd).toBe(3 * 20_000 * (3750 - 3000));
    expect(r.totals.wastedRequestIds).toEqual(recs.map((x) => x.id));
    expect(r.busters).toMatchObject([{ sessionId: 'slow', turns: 3, cause: 'ttl-expiry', writeNanoUsd: 3 * 20_000 * 3750, requestIds: recs.map((x) => x.id) }]);
    // 5m: three full writes; 1h: one 1h write, then two reads of 20,000
    expect(r.ttl).toMatchObject([{ sessionId: 'slow', current: '5m', cost5mNanoUsd: 3 * 20_000 * 3750, cost1hNanoUsd: 20_000 * 6000 + 2 * 20_000 * 300, switchTo: '1h', savingNanoUsd: 93_000_000, gaps: { under5m: 0, under1h: 2, over1h: 0 } }]);
    expect(r.ttlSavingNanoUsd).toBe(93_000_000);
    expect(r.advice.some((a) => /^1-hour cache writes instead of 5-minute ones would have saved \$0\.09 .*2 gaps/.test(a.text))).toBe(true);
    expect(r.advice[0]!.text).toMatch(/^Session slow .* 3 turns in a row .*\$0\.23 of writes.*cache expired before each next turn/);
  });

  it('a model switch right before a run of writes is named as the cause', () => {
    const r = run([rec('sw', 0, { w5: 5_000 }, 'claude-haiku-4-5'), rec('sw', 1, { read: 5_000 }, 'claude-haiku-4-5'), rec('sw', 2, { w5: 5_000 }), rec('sw', 3, { w5: 5_000 }), rec('sw', 4, { w5: 5_000 })]);
    expect(r.busters).toHaveLength(1);
    expect(r.busters[0]).toMatchObject({ model: SONNET, turns: 3, cause: 'model-switch', startedAt: T0 + 2 * MIN });
    expect(r.busters[0]!.detail).toMatch(/from claude-haiku-4-5 to claude-sonnet-4-6/);
    expect(r.byModel.find((g) => g.key === SONNET)!.wasted5mNanoUsd).toBe(3 * 5_000 * 750);
  });

  it('a prefix whose size changes from call to call says so', () => {
    const r = run([rec('sz', 0, { w5: 8_000 }), rec('sz', 1, { w5: 8_040 }), rec('sz', 2, { w5: 8_100 })]);
    expect(r.busters[0]!.detail).toMatch(/from 8,000 to 8,100: the cached block's size changes between calls/);
  });

  it('writes within the TTL that are never read: a prefix that changes on every call', () => {
    const r = run([rec('px', 0, { w5: 8_000 }), rec('px', 1, { w5: 8_000 }), rec('px', 2, { w5: 8_000 })]);
    expect(r.busters).toMatchObject([{ cause: 'prefix-changes', turns: 3 }]);
    expect(r.busters[0]!.detail).toMatch(/8,000 tokens on average/);
    expect(r.totals.wastedNanoUsd).toBe(3 * 8_000 * 750);
    expect(r.ttl).toEqual([]); // no TTL fixes this
  });

  it('a 1h write never read costs its 1× premium; one still inside its hour is not judged', () => {
    const once = rec('one', 0, { w1: 10_000 });
    expect(run([once]).totals).toMatchObject({ wasted1hNanoUsd: 10_000 * 3000, unreadWriteTokens: 10_000 });
    expect(run([once], T0 + 30 * MIN).totals).toMatchObject({ wasted1hNanoUsd: 0, unreadWriteTokens: 0 });
  });

  it('1h writes on turns a minute apart: 5m would have been cheaper', () => {
    const r = run([rec('fast', 0, { w1: 10_000 }), rec('fast', 1, { read: 10_000, w1: 1_000 })]);
    expect(r.ttl).toMatchObject([{ current: '1h', switchTo: '5m', cost5mNanoUsd: 10_000 * 3750 + 10_000 * 300 + 1_000 * 3750, cost1hNanoUsd: 10_000 * 6000 + 10_000 * 300 + 1_000 * 6000, savingNanoUsd: 24_750_000 }]);
  });

  it('groups per session, project and model, and leaves response-cache hits and later records out of the figures', () => {
    const r = run([
      rec('a', 0, { w5: 1_000 }), rec('a', 1, { read: 1_000 }), rec('b', 0, { input: 50 }, 'claude-haiku-4-5'),
      rec('a', 2, { read: 1_000 }, SONNET, { cacheHit: true, billable: false }),
      rec('a', 13 * 60, { read: 1_000 }), // after `to`: only a later read
    ]);
    expect(r.totals.requests).toBe(3);
    expect(r.bySession.map((g) => [g.key, g.requests])).toEqual([['a', 2], ['b', 1]]);
    expect(r.byProject.map((g) => g.key).sort()).toEqual(['/p/a', '/p/b']);
    expect(r.byModel.map((g) => g.key).sort()).toEqual(['claude-haiku-4-5', SONNET]);
  });
});

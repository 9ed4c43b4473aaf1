import { describe, expect, it } from 'vitest';
import { applyRecord, isUnpriced } from './merge.ts';
import { makeRecord, makeSummary } from '../test-fixtures.ts';

describe('applyRecord', () => {
  it('adds a record to totals, groups and its hour bucket', () => {
    const s = makeSummary();
    const r = makeRecord({ startedAt: Date.parse('2026-01-10T10:15:00Z'), costNanoUsd: 2_000_000, cacheSavingsNanoUsd: 7 });
    const out = applyRecord(s, r);
    expect(out.totals.requests).toBe(1);
    expect(out.totals.costNanoUsd).toBe(2_000_000);
    expect(out.totals.cacheSavingsNanoUsd).toBe(7);
    expect(out.totals.tokens.output).toBe(50);
    expect(out.byModel).toEqual([expect.objectContaining({ key: 'claude-sonnet-4-5-20250929', requests: 1, costNanoUsd: 2_000_000 })]);
    expect(out.byProject[0]?.key).toBe('/home/u/code/app');
    expect(out.series[10]?.costNanoUsd).toBe(2_000_000);
    expect(out.series[10]?.byModel['claude-sonnet-4-5-20250929']).toBe(2_000_000);
    expect(out.series[9]?.requests).toBe(0);
    expect(s.totals.requests).toBe(0); // input untouched
  });

  it('counts a response-cache hit apart in the totals and in its groups, also in a summary narrowed to its session', () => {
    const hit = makeRecord({ startedAt: Date.parse('2026-01-10T10:15:00Z'), costNanoUsd: 0, cacheHit: true, billable: false, cacheSavingsNanoUsd: 900 });
    const base = makeSummary();
    const start = { ...base, totals: { ...base.totals, requests: 1, responseCacheHits: 1, responseCacheSavedNanoUsd: 100 }, bySession: [] };
    const out = applyRecord(start, hit);
    expect([out.totals.requests, out.totals.responseCacheHits, out.totals.responseCacheSavedNanoUsd]).toEqual([2, 2, 1000]);
    expect(out.byModel[0]).toMatchObject({ responseCacheHits: 1, responseCacheSavedNanoUsd: 900 });
    expect(out.bySession?.[0]).toMatchObject({ key: 'sess-1', responseCacheHits: 1, responseCacheSavedNanoUsd: 900 });
    const session = applyRecord({ ...base, session: 'sess-1' }, hit);
    expect([session.totals.responseCacheHits, session.totals.responseCacheSavedNanoUsd]).toEqual([1, 900]);
    const miss = applyRecord(start, { ...hit, cacheHit: false });
    expect([miss.totals.requests, miss.totals.responseCacheHits, miss.totals.responseCacheSavedNanoUsd]).toEqual([2, 1, 100]);
  });

  it('adds a live record to its user group on the team store only', () => {
    const at = Date.parse('2026-01-10T10:15:00Z');
    const team = { ...makeSummary(), byUser: [] };
    const one = applyRecord(team, makeRecord({ startedAt: at, user: 'alice', costNanoUsd: 3 }));
    const two = applyRecord(one, makeRecord({ startedAt: at, costNanoUsd: 4 }));
    expect(two.byUser?.map((g) => [g.key, g.requests, g.costNanoUsd])).toEqual([
      ['(none)', 1, 4],
      ['alice', 1, 3],
    ]);
    expect(applyRecord(makeSummary(), makeRecord({ startedAt: at, user: 'alice' })).byUser).toBeUndefined();
  });

  it('counts unpriced billable records without adding cost', () => {
    const out = applyRecord(makeSummary(), makeRecord({ costNanoUsd: null, model: 'claude-future-9' }));
    expect(out.totals.unpricedRequests).toBe(1);
    expect(out.totals.costNanoUsd).toBe(0);
    expect(out.byModel[0]?.unpricedRequests).toBe(1);
  });

  it('ignores records before the range, and after it for custom ranges', () => {
    const s = makeSummary();
    expect(applyRecord(s, makeRecord({ startedAt: Date.parse('2026-01-09T23:59:59Z') }))).toBe(s);
    const custom = makeSummary({ range: 'custom' });
    expect(applyRecord(custom, makeRecord({ startedAt: Date.parse('2026-01-11T00:00:00Z') }))).toBe(custom);
  });

  it('accepts records past a preset range end fixed at query time', () => {
    const s = makeSummary({ range: '7d', to: '2026-01-10T10:00:00.000Z' });
    expect(applyRecord(s, makeRecord({ startedAt: Date.parse('2026-01-10T10:15:00Z') })).totals.requests).toBe(1);
  });

  it('keeps groups sorted by cost', () => {
    let s = applyRecord(makeSummary(), makeRecord({ model: 'a', costNanoUsd: 1 }));
    s = applyRecord(s, makeRecord({ model: 'b', costNanoUsd: 5 }));
    expect(s.byModel.map((g) => g.key)).toEqual(['b', 'a']);
  });
});

describe('isUnpriced', () => {
  it('is true only for billable records without a cost', () => {
    expect(isUnpriced({ billable: true, costNanoUsd: null })).toBe(true);
    expect(isUnpriced({ billable: false, costNanoUsd: null })).toBe(false);
    expect(isUnpriced({ billable: true, costNanoUsd: 0 })).toBe(false);
  });
});

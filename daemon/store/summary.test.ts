import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RequestRecord } from '../../shared/contract.ts';
import { openStore, type Store } from './index.ts';
import { TOP_SESSIONS } from './summary.ts';
import { makeRecord, tempDir } from './test-fixtures.ts';

const Z = (s: string): number => Date.parse(s);
const NY = 'America/New_York';
// 2026-03-10 11:30 in New York (EDT since 2026-03-08).
const NOW = Z('2026-03-10T15:30:00Z');

describe('summary', () => {
  let store: Store;
  const rec = (at: string, over: Partial<RequestRecord>): RequestRecord =>
    makeRecord({ startedAt: Z(at), cacheSavingsNanoUsd: 0, ...over });
  const records = {
    r1: rec('2026-03-10T14:10:00Z', { model: 'A', project: '/p1', costNanoUsd: 100 }), // today 10:10
    r2: rec('2026-03-10T04:30:00Z', { model: 'B', project: '/p2', costNanoUsd: 50 }), // today 00:30
    r3: rec('2026-03-10T03:30:00Z', { model: 'A', project: '/p1', costNanoUsd: null }), // Mar 9 23:30, unpriced
    r4: rec('2026-03-04T06:00:00Z', { model: 'A', project: null, costNanoUsd: 1000 }), // Mar 4 01:00 EST
    r5: rec('2026-03-04T04:30:00Z', { model: null, modelRequested: 'C', project: '/p1', costNanoUsd: 3 }), // Mar 3 23:30
    r6: rec('2026-02-20T12:00:00Z', { model: 'A', project: '/p1', costNanoUsd: 20 }),
    r7: rec('2025-12-01T12:00:00Z', { model: null, modelRequested: null, project: '/p1', costNanoUsd: 9 }),
    // Kolkata: 18:10Z is 23:40 IST, counted in the next day by the midpoint rule; 17:50Z is not.
    k1: rec('2026-03-09T18:10:00Z', { model: 'K', project: '/k', costNanoUsd: 1 }),
    k2: rec('2026-03-09T17:50:00Z', { model: 'K', project: '/k', costNanoUsd: 2 }),
  };

  beforeAll(async () => {
    store = await openStore({ dataDir: tempDir(), retentionDays: 36_500, log: () => undefined });
    for (const r of Object.values(records)) store.add(r);
    await store.flush();
  });
  afterAll(() => store.close());

  const withoutK = (s: { key: string }[]): { key: string }[] => s.filter((g) => g.key !== 'K' && g.key !== '/k');

  it('today: local midnight to now, hour buckets', async () => {
    const s = await store.summary({ range: 'today', tz: NY, now: NOW });
    expect(s.from).toBe('2026-03-10T04:00:00.000Z');
    expect(s.to).toBe('2026-03-10T15:30:00.000Z');
    expect(s.bucket).toBe('hour');
    expect(s.totals).toEqual({
      requests: 2,
      costNanoUsd: 150,
      unpricedRequests: 0,
      cacheSavingsNanoUsd: 0,
      responseCacheHits: 0,
      responseCacheSavedNanoUsd: 0,
      tokens: { input: 20, cacheWrite5m: 40, cacheWrite1h: 60, cacheRead: 80, output: 100 },
    });
    expect(s.byModel.map((g) => [g.key, g.costNanoUsd])).toEqual([['A', 100], ['B', 50]]);
    expect(s.series.length).toBe(12);
    expect(s.series[0]).toEqual({ t: '2026-03-10T04:00:00.000Z', costNanoUsd: 50, requests: 1, byModel: { B: 50 }, byProject: { '/p2': 50 } });
    expect(s.series[10]).toMatchObject({ t: '2026-03-10T14:00:00.000Z', costNanoUsd: 100, byModel: { A: 100 } });
  });

  it('7d: rolling from local midnight six days ago, day buckets across the DST change', async () => {
    const s = await store.summary({ range: '7d', tz: NY, now: NOW });
    expect(s.from).toBe('2026-03-04T05:00:00.000Z');
    expect(s.bucket).toBe('day');
    // r1–r4 plus both Kolkata records (Mar 9 afternoon in New York).
    expect(s.totals).toMatchObject({ requests: 6, costNanoUsd: 1153, unpricedRequests: 1 });
    expect(s.series.map((p) => p.t)).toEqual([
      '2026-03-04T05:00:00.000Z', '2026-03-05T05:00:00.000Z', '2026-03-06T05:00:00.000Z', '2026-03-07T05:00:00.000Z',
      '2026-03-08T05:00:00.000Z', '2026-03-09T04:00:00.000Z', '2026-03-10T04:00:00.000Z',
    ]);
    expect(s.series.map((p) => p.requests)).toEqual([1, 0, 0, 0, 0, 3, 2]);
    expect(s.series.map((p) => p.costNanoUsd)).toEqual([1000, 0, 0, 0, 0, 3, 150]);
    expect(s.byProject.map((g) => [g.key, g.costNanoUsd, g.requests])).toEqual([
      ['(none)', 1000, 1], ['/p1', 100, 2], ['/p2', 50, 1], ['/k', 3, 2],
    ]);
    expect(s.byModel.find((g) => g.key === 'A')).toMatchObject({ requests: 3, unpricedRequests: 1, costNanoUsd: 1100 });
  });

  it('30d, month and all', async () => {
    const d30 = await store.summary({ range: '30d', tz: NY, now: NOW });
    expect(d30.from).toBe('2026-02-09T05:00:00.000Z');
    expect(d30.series.length).toBe(30);
    expect(d30.totals.costNanoUsd).toBe(1173 + 3); // r1..r6 + Kolkata's 1 + 2
    expect(withoutK(d30.byModel).map((g) => g.key)).toEqual(['A', 'B', 'C']);

    const month = await store.summary({ range: 'month', tz: NY, now: NOW });
    expect(month.from).toBe('2026-03-01T05:00:00.000Z');
    expect(month.series.length).toBe(10);
    expect(month.totals.costNanoUsd).toBe(1153 + 3);

    const all = await store.summary({ range: 'all', tz: NY, now: NOW });
    expect(all.from).toBe('2025-12-01T05:00:00.000Z');
    expect(all.totals.requests).toBe(9);
    expect(all.totals.costNanoUsd).toBe(1182 + 3);
    expect(all.byModel.find((g) => g.key === '(none)')).toMatchObject({ requests: 1, costNanoUsd: 9 });
    const seriesSum = all.series.reduce((a, p) => a + p.costNanoUsd, 0);
    expect(seriesSum).toBe(all.totals.costNanoUsd);
    expect(all.series[0]?.requests).toBe(1);
  });

  it('half-hour zones attribute each UTC hour by its midpoint', async () => {
    const s = await store.summary({ range: 'today', tz: 'Asia/Kolkata', now: Z('2026-03-10T12:00:00Z') });
    expect(s.from).toBe('2026-03-09T18:30:00.000Z');
    expect(s.byModel.find((g) => g.key === 'K')).toMatchObject({ requests: 1, costNanoUsd: 1 });
    expect(s.series[0]).toMatchObject({ t: '2026-03-09T18:30:00.000Z', byModel: { K: 1 } });
  });

  it('custom ranges pick hour buckets up to 48 h, days beyond', async () => {
    const short = await store.summary({ range: 'custom', tz: 'UTC', from: Z('2026-03-10T00:00:00Z'), to: Z('2026-03-11T00:00:00Z') });
    expect(short.bucket).toBe('hour');
    expect(short.series.length).toBe(24);
    expect(short.totals.requests).toBe(3);
    const long = await store.summary({ range: 'custom', tz: 'UTC', from: Z('2026-03-01T00:00:00Z'), to: Z('2026-03-11T00:00:00Z') });
    expect(long.bucket).toBe('day');
    expect(long.series.length).toBe(10);
  });

  it('rejects unknown zones and incomplete custom ranges with RangeError', async () => {
    await expect(store.summary({ range: 'today', tz: 'Mars/Olympus' })).rejects.toBeInstanceOf(RangeError);
    await expect(store.summary({ range: 'custom', tz: 'UTC', from: 5 })).rejects.toThrow(/from < to/);
  });
});

describe('summary per session (session_rollups)', () => {
  let store: Store;
  const NOW2 = Z('2026-05-20T18:00:00Z');
  const rec = (at: string, over: Partial<RequestRecord>): RequestRecord =>
    makeRecord({ startedAt: Z(at), cacheSavingsNanoUsd: 7, ...over });
  const records = [
    rec('2026-05-20T09:10:00Z', { sessionId: 's-a', model: 'A', project: '/p1', costNanoUsd: 100 }),
    rec('2026-05-20T09:40:00Z', { sessionId: 's-a', model: 'B', project: '/p1', costNanoUsd: 30 }),
    rec('2026-05-20T11:00:00Z', { sessionId: 's-a', model: 'A', project: '/p2', costNanoUsd: null }), // unpriced
    rec('2026-05-20T10:00:00Z', { sessionId: 's-b', model: 'A', project: '/p1', costNanoUsd: 500 }),
    rec('2026-05-20T10:05:00Z', { sessionId: null, model: 'A', project: '/p1', costNanoUsd: 1 }),
    rec('2026-05-18T10:00:00Z', { sessionId: 's-old', model: 'A', project: '/p1', costNanoUsd: 9 }),
    rec('2026-05-19T23:30:00Z', { sessionId: 's-a', model: 'A', project: '/p1', costNanoUsd: 4 }), // yesterday in UTC
  ];

  beforeAll(async () => {
    store = await openStore({ dataDir: tempDir(), retentionDays: 36_500, log: () => undefined });
    for (const r of records) store.add(r);
    await store.flush();
  });
  afterAll(() => store.close());

  it('bySession lists the sessions of the range, costliest first, with every counter', async () => {
    const s = await store.summary({ range: 'today', tz: 'UTC', now: NOW2 });
    expect(s.bySession?.map((g) => [g.key, g.costNanoUsd, g.requests, g.unpricedRequests])).toEqual([
      ['s-b', 500, 1, 0], ['s-a', 130, 3, 1], ['(none)', 1, 1, 0],
    ]);
    expect(s.bySession?.[1]).toMatchObject({ cacheSavingsNanoUsd: 21, tokens: { input: 30, cacheWrite5m: 60, cacheWrite1h: 90, cacheRead: 120, output: 150 } });
    const sum = (s.bySession ?? []).reduce((a, g) => a + g.costNanoUsd, 0);
    expect(sum).toBe(s.totals.costNanoUsd);
    const week = await store.summary({ range: '7d', tz: 'UTC', now: NOW2 });
    expect(week.bySession?.map((g) => g.key)).toEqual(['s-b', 's-a', 's-old', '(none)']);
    expect(week.bySession?.find((g) => g.key === 's-a')?.costNanoUsd).toBe(134);
  });

  it('session narrows totals, groups and series to one session', async () => {
    const s = await store.summary({ range: 'today', tz: 'UTC', now: NOW2, session: 's-a' });
    expect(s.session).toBe('s-a');
    expect(s.totals).toMatchObject({ requests: 3, costNanoUsd: 130, unpricedRequests: 1, cacheSavingsNanoUsd: 21 });
    expect(s.byModel.map((g) => [g.key, g.costNanoUsd])).toEqual([['A', 100], ['B', 30]]);
    expect(s.byProject.map((g) => [g.key, g.requests])).toEqual([['/p1', 2], ['/p2', 1]]);
    expect(s.bySession?.map((g) => g.key)).toEqual(['s-a']);
    expect(s.series[9]).toMatchObject({ costNanoUsd: 130, requests: 2, byModel: { A: 100, B: 30 } });
    expect(s.series.reduce((a, p) => a + p.requests, 0)).toBe(3);
  });

  it('range all with a session starts at that session’s first day; unknown sessions are empty', async () => {
    const all = await store.summary({ range: 'all', tz: 'UTC', now: NOW2, session: 's-a' });
    expect(all.from).toBe('2026-05-19T00:00:00.000Z');
    expect(all.totals).toMatchObject({ requests: 4, costNanoUsd: 134 });
    const none = await store.summary({ range: 'all', tz: 'UTC', now: NOW2, session: '(none)' });
    expect(none.totals).toMatchObject({ requests: 1, costNanoUsd: 1 });
    const unknown = await store.summary({ range: 'all', tz: 'UTC', now: NOW2, session: 'nope' });
    expect(unknown.totals.requests).toBe(0);
    expect(unknown.bySession).toEqual([]);
  });

  it('repricing moves cost and unpriced counts in the session cells too', async () => {
    const target = records[2]!;
    await store.applyReprice([{ id: target.id, costNanoUsd: 70, priceVersion: 'v2', cacheSavingsNanoUsd: 7, unpricedReason: null }]);
    const s = await store.summary({ range: 'today', tz: 'UTC', now: NOW2, session: 's-a' });
    expect(s.totals).toMatchObject({ requests: 3, costNanoUsd: 200, unpricedRequests: 0 });
    const whole = await store.summary({ range: 'today', tz: 'UTC', now: NOW2 });
    expect(whole.bySession?.find((g) => g.key === 's-a')?.costNanoUsd).toBe(200);
  });
});

describe('top sessions: ties rank by the session text, not by the order sessions were first seen', () => {
  let store: Store;
  const NOW3 = Z('2026-06-10T18:00:00Z');
  // TOP_SESSIONS + 1 sessions of equal cost and requests, first seen in the reverse of their text order (so their
  // ids in `strings` run the other way): the text order keeps tie-00 … tie-49 and leaves tie-50 out.
  const names = Array.from({ length: TOP_SESSIONS + 1 }, (_, i) => `tie-${String(i).padStart(2, '0')}`);

  beforeAll(async () => {
    store = await openStore({ dataDir: tempDir(), retentionDays: 36_500, log: () => undefined });
    [...names].reverse().forEach((sessionId, i) => {
      store.add(makeRecord({ startedAt: Z('2026-06-10T09:00:00Z') + i * 1000, sessionId, costNanoUsd: 25, cacheSavingsNanoUsd: 0 }));
    });
    // one more, costlier, first seen last
    store.add(makeRecord({ startedAt: Z('2026-06-09T09:00:00Z'), sessionId: 'zz-costly', costNanoUsd: 99, cacheSavingsNanoUsd: 0 }));
    await store.flush();
  });
  afterAll(() => store.close());

  it('in the summary of one day (hour buckets) and of a week (the kept day folds)', async () => {
    const want = ['zz-costly', ...names.slice(0, TOP_SESSIONS - 1)];
    const today = await store.summary({ range: 'custom', from: Z('2026-06-09T00:00:00Z'), to: NOW3, tz: 'UTC' });
    expect(today.bucket).toBe('hour');
    expect(today.bySession?.map((g) => g.key)).toEqual(want);
    const week = await store.summary({ range: '7d', tz: 'UTC', now: NOW3 });
    expect(week.bucket).toBe('day');
    expect(week.bySession?.map((g) => g.key)).toEqual(want);
  });
});

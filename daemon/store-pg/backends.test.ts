/**
 * The store's shared suite, run against both backends: the embedded sql.js store and PostgreSQL (a
 * throwaway cluster, test/pg/cluster.ts). Every test speaks only the `Store` interface.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REQUEST_SORTS, type RequestQuery, type RequestRecord, type Summary } from '../../shared/contract.ts';
import { compareRecords } from '../../shared/record-values.ts';
import type { Store } from '../store/index.ts';
import { pgSkipReason, startPgCluster, type PgCluster } from '../../test/pg/cluster.ts';
import { pgBackend, rec, sqljsBackend, type Backend } from './test-backends.ts';

const skipPg = pgSkipReason() !== null;
let cluster: PgCluster | undefined;
beforeAll(async () => {
  if (!skipPg) cluster = await startPgCluster();
});
afterAll(async () => {
  await cluster?.destroy();
});

const backends: { b: Backend; skip: boolean }[] = [
  { b: sqljsBackend(), skip: false },
  { b: pgBackend(() => cluster!), skip: skipPg },
];

const DAY = 86_400_000;
const BASE = Date.UTC(2026, 2, 1);

async function collect(store: Store, q: RequestQuery): Promise<RequestRecord[]> {
  const out: RequestRecord[] = [];
  let cursor: string | null = null;
  do {
    const page = await store.listRequests({ ...q, ...(cursor ? { cursor } : {}) });
    out.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return out;
}

const strip = (s: Summary): Summary => {
  const { byUser: _byUser, ...rest } = s;
  return rest;
};

for (const { b, skip } of backends) {
  describe.skipIf(skip)(`Store on ${b.name}`, () => {
    let store: Store;
    const records: RequestRecord[] = [];

    beforeAll(async () => {
      store = await b.open();
      for (let i = 0; i < 120; i++) {
        const r = rec({
          startedAt: BASE + Math.floor(i / 3) * 3_600_000, // three per start time: ties break by id
          model: i % 4 === 0 ? null : i % 2 ? 'claude-opus-4-1' : 'claude-haiku-4-5',
          modelRequested: i % 8 === 0 ? null : 'claude-sonnet-4-5',
          project: i % 5 === 0 ? null : `/p${i % 3}`,
          sessionId: i % 6 === 0 ? null : `s${i % 7}`,
          state: i % 10 === 0 ? 'client_aborted' : i % 17 === 0 ? 'upstream_error' : 'complete',
          status: i % 10 === 0 ? null : i % 17 === 0 ? null : i % 11 === 0 ? 429 : i % 13 === 0 ? 529 : 200,
          endedAt: BASE + Math.floor(i / 3) * 3_600_000 + 1000 + i,
          costNanoUsd: i % 9 === 0 ? null : 1000 * ((i * 37) % 50),
          durationMs: (i * 131) % 977,
          tokens: { input: i, cacheWrite5m: (i * 3) % 11, cacheWrite1h: 0, cacheRead: (i * 7) % 13, output: (i * 5) % 17 },
          gitBranch: i % 3 === 0 ? null : `branch-${i % 2}`,
          isSidechain: i % 4 === 0 ? null : i % 4 === 1,
          // a response-cache hit: $0, not billable, what it would have cost in the savings
          ...((i % 8 === 5 || i % 12 === 6) && { cacheHit: true, billable: false, costNanoUsd: 0, cacheSavingsNanoUsd: 1000 + i }),
        });
        records.push(r);
        store.add(r);
      }
      await store.flush();
    });
    afterAll(() => store?.close());

    it('getRequest returns the record as added, null for an unknown id', async () => {
      const r = records[17]!;
      expect(await store.getRequest(r.id)).toEqual(r);
      expect(await store.getRequest('01UNKNOWN')).toBeNull();
    });

    it('a record added twice is stored and counted once', async () => {
      const s = await b.open();
      try {
        const r = rec({ startedAt: BASE });
        s.add(r);
        s.add(r);
        await s.flush();
        s.add(r);
        await s.flush();
        const sum = await s.summary({ range: 'all', tz: 'UTC', now: BASE + DAY });
        expect(sum.totals.requests).toBe(1);
        expect((await s.listRequests({})).items).toHaveLength(1);
      } finally {
        await s.close();
      }
    });

    it('pages every sort and order completely, in the shared order', async () => {
      for (const sort of REQUEST_SORTS) {
        for (const order of ['asc', 'desc'] as const) {
          const seen = await collect(store, { sort, order, limit: 17 });
          expect(seen.map((r) => r.id), `${sort} ${order}`).toEqual([...records].sort(compareRecords(sort, order)).map((r) => r.id));
        }
      }
    });

    it('filters by model (response, else requested), "(none)", project, session, state and time', async () => {
      const ids = async (q: RequestQuery) => (await collect(store, { ...q, limit: 500 })).map((r) => r.id).sort();
      const want = (f: (r: RequestRecord) => boolean) => records.filter(f).map((r) => r.id).sort();
      expect(await ids({ model: 'claude-sonnet-4-5' })).toEqual(want((r) => r.model === null && r.modelRequested === 'claude-sonnet-4-5'));
      expect(await ids({ model: 'claude-opus-4-1' })).toEqual(want((r) => r.model === 'claude-opus-4-1'));
      expect(await ids({ model: '(none)' })).toEqual(want((r) => r.model === null && r.modelRequested === null));
      expect(await ids({ project: '(none)' })).toEqual(want((r) => r.project === null));
      expect(await ids({ project: '/p1', session: 's3' })).toEqual(want((r) => r.project === '/p1' && r.sessionId === 's3'));
      expect(await ids({ state: 'client_aborted' })).toEqual(want((r) => r.state === 'client_aborted'));
      expect(await ids({ state: 'errors' })).toEqual(want((r) => (r.status ?? 0) >= 400 || r.state === 'upstream_error'));
      expect(await ids({ from: BASE + 5 * 3_600_000, to: BASE + 9 * 3_600_000 })).toEqual(
        want((r) => r.startedAt >= BASE + 5 * 3_600_000 && r.startedAt < BASE + 9 * 3_600_000),
      );
    });

    it('rejects a cursor of another sort', async () => {
      const page = await store.listRequests({ sort: 'cost', limit: 5 });
      await expect(store.listRequests({ sort: 'time', cursor: page.nextCursor! })).rejects.toThrow(/cursor/);
    });

    it('summarises totals, groups, sessions and series in an IANA zone', async () => {
      const s = await store.summary({ range: 'custom', from: BASE - DAY, to: BASE + 3 * DAY, tz: 'America/Los_Angeles' });
      const cost = records.reduce((a, r) => a + (r.costNanoUsd ?? 0), 0);
      expect(s.totals.requests).toBe(records.length);
      expect(s.totals.costNanoUsd).toBe(cost);
      expect(s.totals.unpricedRequests).toBe(records.filter((r) => r.costNanoUsd === null).length);
      expect(s.totals.tokens.input).toBe(records.reduce((a, r) => a + r.tokens.input, 0));
      expect(s.byModel.find((g) => g.key === '(none)')?.requests).toBe(records.filter((r) => !r.model && !r.modelRequested).length);
      expect(s.series.reduce((a, p) => a + p.costNanoUsd, 0)).toBe(cost);
      expect(s.series).toHaveLength(5); // four UTC days span five local days in Los Angeles
      const one = await store.summary({ range: 'all', tz: 'Europe/Paris', now: BASE + 3 * DAY, session: 's3' });
      expect(one.totals.requests).toBe(records.filter((r) => r.sessionId === 's3').length);
      expect(strip(one).session).toBe('s3');
    });

    it('counts response-cache hits apart in the totals, every group and a summary narrowed to one session', async () => {
      const hits = (rs: RequestRecord[]) => [rs.filter((r) => r.cacheHit).length, rs.filter((r) => r.cacheHit).reduce((a, r) => a + r.cacheSavingsNanoUsd, 0)];
      const s = await store.summary({ range: 'custom', from: BASE - DAY, to: BASE + 3 * DAY, tz: 'UTC' });
      expect(hits(records)[0]).toBe(25);
      expect([s.totals.responseCacheHits, s.totals.responseCacheSavedNanoUsd]).toEqual(hits(records));
      expect(s.totals.cacheSavingsNanoUsd).toBe(records.reduce((a, r) => a + r.cacheSavingsNanoUsd, 0));
      const modelOf = (r: RequestRecord) => r.model ?? r.modelRequested ?? '(none)';
      for (const g of s.byModel) expect([g.key, g.responseCacheHits, g.responseCacheSavedNanoUsd]).toEqual([g.key, ...hits(records.filter((r) => modelOf(r) === g.key))]);
      for (const g of s.byProject) expect([g.key, g.responseCacheHits]).toEqual([g.key, hits(records.filter((r) => (r.project ?? '(none)') === g.key))[0]]);
      for (const g of s.bySession!) expect([g.key, g.responseCacheHits]).toEqual([g.key, hits(records.filter((r) => (r.sessionId ?? '(none)') === g.key))[0]]);
      for (const session of ['s5', '(none)']) {
        const one = await store.summary({ range: 'all', tz: 'UTC', now: BASE + 3 * DAY, session });
        const mine = records.filter((r) => (r.sessionId ?? '(none)') === session);
        expect(hits(mine)[0]).toBeGreaterThan(0);
        expect([one.totals.requests, one.totals.responseCacheHits, one.totals.responseCacheSavedNanoUsd], session).toEqual([mine.length, ...hits(mine)]);
      }
    });

    it('counts failed requests by kind, in the range and per session', async () => {
      const kinds = (rs: RequestRecord[]) => {
        const m = new Map<string, number>();
        for (const r of rs) {
          const k = (r.status ?? 0) >= 400 ? String(r.status) : r.state === 'upstream_error' ? 'upstream_error' : null;
          if (k) m.set(k, (m.get(k) ?? 0) + 1);
        }
        return [...m.entries()].map(([kind, requests]) => ({ kind, requests })).sort((a, b) => b.requests - a.requests || (a.kind < b.kind ? -1 : 1));
      };
      const s = await store.summary({ range: 'custom', from: BASE - DAY, to: BASE + 3 * DAY, tz: 'UTC' });
      const want = kinds(records);
      expect(want.map((k) => k.kind).sort()).toEqual(['429', '529', 'upstream_error']);
      expect(s.errors).toEqual({ requests: want.reduce((a, k) => a + k.requests, 0), byKind: want });
      const one = await store.summary({ range: 'all', tz: 'UTC', now: BASE + 3 * DAY, session: 's4' });
      expect(one.errors.byKind).toEqual(kinds(records.filter((r) => r.sessionId === 's4')));
      const early = await store.summary({ range: 'custom', from: BASE, to: BASE + 10 * 3_600_000, tz: 'UTC' });
      expect(early.errors.byKind).toEqual(kinds(records.filter((r) => r.startedAt < BASE + 10 * 3_600_000)));
    });

    it('lists sessions with their project, first start and last end', async () => {
      const s = await store.summary({ range: 'custom', from: BASE - DAY, to: BASE + 3 * DAY, tz: 'UTC' });
      const s3 = records.filter((r) => r.sessionId === 's3');
      const row = s.bySession!.find((g) => g.key === 's3')!;
      expect(row.requests).toBe(s3.length);
      expect(row.firstAt).toBe(Math.min(...s3.map((r) => r.startedAt)));
      expect(row.lastAt).toBe(Math.max(...s3.map((r) => r.endedAt)));
      // the project of the session's latest request that names one
      const named = s3.filter((r) => r.project !== null).sort((a, b) => a.startedAt - b.startedAt || (a.endedAt - b.endedAt));
      expect(row.project).toBe(named.at(-1)!.project);
      const none = s.bySession!.find((g) => g.key === '(none)')!;
      expect(none).toMatchObject({ project: null, firstAt: null, lastAt: null });
    });

    it('scans for repricing oldest first and applies new costs to rows and rollups', async () => {
      const s = await b.open();
      try {
        const rs = [0, 1, 2, 3, 4].map((i) => rec({ startedAt: BASE + i * 1000, costNanoUsd: 100 }));
        for (const r of rs) s.add(r);
        await s.flush();
        const first = await s.scanForReprice({ limit: 3 });
        expect(first.rows.map((r) => r.id)).toEqual(rs.slice(0, 3).map((r) => r.id));
        const rest = await s.scanForReprice({ limit: 3, cursor: first.nextCursor! });
        expect(rest.rows.map((r) => r.id)).toEqual(rs.slice(3).map((r) => r.id));
        expect(rest.nextCursor).toBeNull();
        await s.applyReprice([
          { id: rs[0]!.id, costNanoUsd: 250, priceVersion: 'v2', cacheSavingsNanoUsd: 7, unpricedReason: null },
          { id: rs[1]!.id, costNanoUsd: null, priceVersion: 'v2', cacheSavingsNanoUsd: 0, unpricedReason: 'unknown model' },
        ]);
        expect(await s.getRequest(rs[0]!.id)).toMatchObject({ costNanoUsd: 250, priceVersion: 'v2', cacheSavingsNanoUsd: 7 });
        const sum = await s.summary({ range: 'all', tz: 'UTC', now: BASE + DAY });
        expect(sum.totals.costNanoUsd).toBe(250 + 3 * 100);
        expect(sum.totals.unpricedRequests).toBe(1);
      } finally {
        await s.close();
      }
    });

    it('retention deletes old detail rows across months, keeps the rollups', async () => {
      const s = await b.open({ retentionDays: 30 });
      try {
        const now = Date.UTC(2026, 5, 15);
        const old = [rec({ startedAt: Date.UTC(2026, 2, 3) }), rec({ startedAt: Date.UTC(2026, 3, 20) }), rec({ startedAt: now - 31 * DAY })];
        const kept = [rec({ startedAt: now - 29 * DAY }), rec({ startedAt: now - DAY })];
        for (const r of [...old, ...kept]) s.add(r);
        await s.flush();
        expect(await s.pruneOld(now)).toBe(3);
        expect((await collect(s, {})).map((r) => r.id).sort()).toEqual(kept.map((r) => r.id).sort());
        expect((await s.summary({ range: 'all', tz: 'UTC', now })).totals.requests).toBe(5);
        expect(await s.pruneOld(now)).toBe(0);
      } finally {
        await s.close();
      }
    });
  });
}

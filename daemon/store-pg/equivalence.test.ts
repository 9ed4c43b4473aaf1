/**
 * Random data, both backends: the same records added to the embedded sql.js store and to PostgreSQL give
 * the same answers to the same queries (summaries in several zones and ranges, every list order and
 * filter, reprice scans), before and after a repricing and a retention pass.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REQUEST_SORTS, REQUEST_STATES, type RequestQuery, type RequestRecord, type Summary } from '../../shared/contract.ts';
import type { Store } from '../store/index.ts';
import type { SummaryQuery } from '../store/summary.ts';
import { pgSkipReason, startPgCluster, type PgCluster } from '../../test/pg/cluster.ts';
import type { PgStore } from './index.ts';
import { pgBackend, rec, sqljsBackend } from './test-backends.ts';
import { mulberry32 as prng } from '../../test/seeded-random.ts';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 4, 20, 15, 37);

function randomRecords(seed: number, n: number): RequestRecord[] {
  const rnd = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const models = ['claude-opus-4-1', 'claude-sonnet-4-5', 'claude-haiku-4-5', null];
  const out: RequestRecord[] = [];
  let t = NOW - 100 * DAY;
  for (let i = 0; i < n; i++) {
    t += rnd() < 0.15 ? 0 : Math.floor(rnd() * 6 * 3_600_000); // some equal start times
    if (t > NOW) t = NOW - Math.floor(rnd() * DAY);
    const model = pick(models);
    const cost = rnd() < 0.1 ? null : Math.floor(rnd() * 50_000_000);
    out.push(
      rec({
        startedAt: t,
        endedAt: t + 100,
        model,
        modelRequested: rnd() < 0.2 ? null : pick(models),
        project: pick(['/a', '/b', '/c/d', null]),
        sessionId: pick(['s1', 's2', 's3', 's4', null]),
        state: pick(REQUEST_STATES),
        status: pick([200, 200, 200, 200, 429, 529, 400, null]),
        costNanoUsd: cost,
        billable: rnd() < 0.9,
        durationMs: Math.floor(rnd() * 5) * 250, // ties on duration
        cacheSavingsNanoUsd: Math.floor(rnd() * 1000),
        tokens: {
          input: Math.floor(rnd() * 1000),
          cacheWrite5m: Math.floor(rnd() * 100),
          cacheWrite1h: Math.floor(rnd() * 10),
          cacheRead: Math.floor(rnd() * 5000),
          output: Math.floor(rnd() * 800),
        },
        gitBranch: pick(['main', 'feature/x', null]),
        isSidechain: pick([true, false, null]),
        // a response-cache hit: $0, not billable, its would-have-cost in the savings
        ...(rnd() < 0.12 && { cacheHit: true, billable: false, costNanoUsd: 0, cacheSavingsNanoUsd: Math.floor(rnd() * 50_000_000) }),
      }),
    );
  }
  return out;
}

async function all(store: Store, q: RequestQuery): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | null = null;
  do {
    const page = await store.listRequests({ ...q, ...(cursor ? { cursor } : {}) });
    ids.push(...page.items.map((r) => r.id));
    cursor = page.nextCursor;
  } while (cursor);
  return ids;
}

const strip = (s: Summary): Summary => {
  const { byUser: _byUser, ...rest } = s;
  return rest;
};

const skip = pgSkipReason() !== null;

describe.skipIf(skip)('sql.js and PostgreSQL give the same answers on random data', () => {
  let cluster: PgCluster;
  let lite: Store;
  let pg: Store;
  const records = randomRecords(20261203, 800);

  beforeAll(async () => {
    cluster = await startPgCluster();
    lite = await sqljsBackend().open({ retentionDays: 60 });
    pg = await pgBackend(() => cluster).open({ retentionDays: 60 });
    for (const r of records) {
      lite.add(r);
      pg.add(r);
    }
    await Promise.all([lite.flush(), pg.flush()]);
  });
  afterAll(async () => {
    await lite?.close();
    await pg?.close();
    await cluster?.destroy();
  });

  const summaries: SummaryQuery[] = [];
  for (const tz of ['UTC', 'Europe/Paris', 'America/Los_Angeles', 'Asia/Kolkata', 'Asia/Kathmandu', 'Australia/Lord_Howe']) {
    for (const range of ['today', '7d', '30d', 'month', 'all'] as const) summaries.push({ range, tz, now: NOW });
    summaries.push({ range: 'custom', tz, from: NOW - 40 * DAY + 12_345, to: NOW - 3 * DAY });
    summaries.push({ range: 'custom', tz, from: NOW - 30 * 3_600_000, to: NOW });
  }
  summaries.push({ range: 'all', tz: 'Europe/Paris', now: NOW, session: 's2' });
  summaries.push({ range: '30d', tz: 'UTC', now: NOW, session: '(none)' });
  summaries.push({ range: 'month', tz: 'UTC', now: NOW, sessions: false });

  async function compareEverything(): Promise<void> {
    // the data holds response-cache hits, in the whole range and in a narrowed summary
    const whole = await lite.summary({ range: 'all', tz: 'UTC', now: NOW });
    expect(whole.totals.responseCacheHits).toBeGreaterThan(20);
    expect((await pg.summary({ range: 'all', tz: 'Europe/Paris', now: NOW, session: 's2' })).totals.responseCacheHits).toBeGreaterThan(0);
    for (const q of summaries) {
      const want = await lite.summary(q);
      // PostgreSQL reads whole UTC days from its day layer where it can (summary.ts DayPlan), and hours only
      // when told: both are the embedded store's answer
      expect(strip(await pg.summary(q)), JSON.stringify(q)).toEqual(want);
      expect(strip(await (pg as PgStore).summary({ ...q, days: false })), `${JSON.stringify(q)} hours only`).toEqual(want);
    }
    const lists: RequestQuery[] = [{}, { model: 'claude-opus-4-1' }, { model: '(none)' }, { project: '(none)' }, { session: 's3', state: 'complete' }, { state: 'errors' }, { from: NOW - 20 * DAY, to: NOW - 5 * DAY }];
    for (const base of lists) {
      for (const sort of REQUEST_SORTS) {
        for (const order of ['asc', 'desc'] as const) {
          const q = { ...base, sort, order, limit: 97 };
          expect(await all(pg, q), JSON.stringify(q)).toEqual(await all(lite, q));
        }
      }
    }
    let cursor: string | undefined;
    do {
      const [a, b] = await Promise.all([lite.scanForReprice({ since: NOW - 50 * DAY, cursor, limit: 150 }), pg.scanForReprice({ since: NOW - 50 * DAY, cursor, limit: 150 })]);
      expect(b).toEqual(a);
      cursor = a.nextCursor ?? undefined;
    } while (cursor);
    for (const r of records.slice(0, 40)) expect(await pg.getRequest(r.id)).toEqual(await lite.getRequest(r.id));
    // every column of every row kept, the git branch and sidechain flag included
    const rows = async (s: Store) => (await s.listRequests({ limit: 500, sort: 'time', order: 'asc' })).items.map(({ user: _user, ...r }) => r);
    expect(await rows(pg)).toEqual(await rows(lite));
  }

  it('as added', async () => {
    await compareEverything();
  });

  it('after a repricing of a random third', async () => {
    const rnd = prng(7);
    const updates = records
      .filter(() => rnd() < 0.33)
      .map((r) => ({
        id: r.id,
        costNanoUsd: rnd() < 0.2 ? null : Math.floor(rnd() * 9_000_000),
        priceVersion: 'v-random',
        cacheSavingsNanoUsd: Math.floor(rnd() * 100),
        unpricedReason: null,
      }));
    await lite.applyReprice(updates);
    await pg.applyReprice(updates);
    await compareEverything();
  });

  it('after retention', async () => {
    const [a, b] = [await lite.pruneOld(NOW), await pg.pruneOld(NOW)];
    expect(a).toBeGreaterThan(0);
    expect(b).toBe(a);
    await compareEverything();
  });
});

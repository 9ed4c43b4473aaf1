/**
 * The partitioned store against the single database it replaces: random records over 14 months, random
 * queries (every sort and order, filters, ranges, page sizes, paged to the end), gets, reprice scans and
 * repricings, retention, and a reopen from the files — every answer must be identical.
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Database, SqlJsStatic } from 'sql.js';
import type { RequestQuery, RequestRecord, RequestSort, SortOrder } from '../../shared/contract.ts';
import { loadSqlJs, openDatabase, writeSnapshot } from './db.ts';
import { Interner } from './interner.ts';
import { migrate } from './migrations.ts';
import { listPartitionFiles, monthRange, monthsDir, WORK_RE } from './months.ts';
import { LRU_MAX, MAX_DIRECT_MONTHS, PartitionedStore } from './partitioned.ts';
import {
  applyReprice,
  deleteOlderThan,
  existingIds,
  findByUpstream,
  getRequest,
  listRequests,
  scanForReprice,
  type RepriceUpdate,
} from './queries.ts';
import { RowWriter } from './rows.ts';
import { buildSummary } from './summary.ts';
import { makeRecord, sessionRollupsToText, tempDir } from './test-fixtures.ts';
import { mulberry32 as rng } from '../../test/seeded-random.ts';

let SQL: SqlJsStatic;
beforeAll(async () => {
  SQL = await loadSqlJs();
});

const T0 = Date.UTC(2025, 0, 1);
const NOW = Date.UTC(2026, 1, 20); // Feb 2026: every month before it folds
const SPAN = NOW - T0;

function randomRecords(r: () => number, n: number, idBase: string): RequestRecord[] {
  const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const times = Array.from({ length: 40 }, () => T0 + Math.floor(r() * SPAN)); // shared instants → ties
  return Array.from({ length: n }, (_, i) => {
    const model = pick(['claude-sonnet-4-5', 'claude-opus-4-1', 'claude-haiku-4-5', null]);
    const cost = pick([null, 0, 1000, 2000, Math.floor(r() * 1e6)]);
    const startedAt = r() < 0.2 ? pick(times) : T0 + Math.floor(r() * SPAN);
    const hit = r() < 0.15; // a response-cache hit: $0, not billable, its would-have-cost in the savings
    return makeRecord({
      id: `${idBase}${String(i).padStart(5, '0')}-${Math.floor(r() * 1e6)}`,
      startedAt,
      endedAt: startedAt + 500,
      model,
      modelRequested: model ?? pick(['claude-sonnet-4-5', null]),
      project: pick(['/a', '/b', null]),
      sessionId: pick(['s1', 's2', 's3', null]),
      state: pick(['complete', 'error_event', 'truncated'] as const),
      costNanoUsd: cost,
      billable: r() < 0.9,
      durationMs: pick([100, 200, Math.floor(r() * 5000)]),
      tokens: { input: pick([1, 2, 3]), cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: pick([0, 10]), output: Math.floor(r() * 4) },
      upstreamRequestId: r() < 0.8 ? `req_${idBase}${i}` : null,
      ...(hit && { cacheHit: true, billable: false, costNanoUsd: 0, cacheSavingsNanoUsd: Math.floor(r() * 1e6) }),
    });
  });
}

interface Single {
  db: Database;
  writer: RowWriter;
}

function single(): Single {
  const db = new SQL.Database();
  migrate(db);
  return { db, writer: new RowWriter(db, new Interner(db)) };
}

function partitioned(dataDir: string): PartitionedStore {
  const opened = openDatabase(SQL, dataDir, () => undefined);
  const ps = new PartitionedStore(SQL, dataDir, opened.db, new RowWriter(opened.db, new Interner(opened.db)), () => undefined, undefined, undefined, () => NOW);
  ps.load();
  ps.replayRepriceLog();
  return ps;
}

function snapshot(ps: PartitionedStore, dataDir: string): void {
  ps.snapshot(() => void writeSnapshot(ps.db, dataDir, 0), NOW, false);
}

function randomQuery(r: () => number): RequestQuery {
  const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const q: RequestQuery = {
    sort: pick<RequestSort>(['time', 'time', 'cost', 'tokens', 'duration']),
    order: pick<SortOrder>(['asc', 'desc']),
    limit: pick([1, 7, 50, 200]),
  };
  if (r() < 0.3) q.model = pick(['claude-sonnet-4-5', 'claude-opus-4-1', '(none)', 'nope']);
  if (r() < 0.2) q.project = pick(['/a', '(none)']);
  if (r() < 0.2) q.session = pick(['s1', 's3']);
  if (r() < 0.2) q.state = pick(['complete', 'error_event'] as const);
  if (r() < 0.4) q.from = T0 + Math.floor(r() * SPAN);
  if (r() < 0.4) q.to = (q.from ?? T0) + Math.floor(r() * SPAN * 0.5);
  return q;
}

/** Pages both to the end (at most `maxPages`), comparing every page. */
function comparePaging(a: Single, b: PartitionedStore, q: RequestQuery, maxPages = 6, stream = false): number {
  let cursor: string | undefined;
  let pages = 0;
  do {
    const want = listRequests(a.db, a.writer.strings, { ...q, ...(cursor && { cursor }) });
    const got = b.list({ ...q, ...(cursor && { cursor }) }, { stream });
    expect(got, `query ${JSON.stringify(q)} page ${pages}`).toEqual(want);
    cursor = want.nextCursor ?? undefined;
    pages++;
  } while (cursor && pages < maxPages);
  return pages;
}

function compareScan(a: Single, b: PartitionedStore, since: number | undefined, limit: number): RequestRecord[] {
  const seen: RequestRecord[] = [];
  let cursor: string | undefined;
  do {
    const q = { ...(since !== undefined && { since }), ...(cursor && { cursor }), limit };
    const want = scanForReprice(a.db, a.writer.strings, q);
    expect(b.scanForReprice(q)).toEqual(want);
    seen.push(...want.rows);
    cursor = want.nextCursor ?? undefined;
  } while (cursor);
  return seen;
}

function insertBoth(a: Single, b: PartitionedStore, recs: RequestRecord[], now = NOW): void {
  const nA = a.writer.insertMany(recs, () => undefined);
  const nB = b.insert(recs, () => undefined, now);
  expect(nB).toBe(nA);
}

function compareSummaries(a: Single, b: PartitionedStore): void {
  for (const range of ['all', '30d', 'month'] as const) {
    const q = { range, tz: 'Europe/Paris', now: NOW };
    expect(buildSummary(b.db, q)).toEqual(buildSummary(a.db, q));
  }
}


/**
 * sql.js whose databases count themselves: made, alive now, the most alive at once (`most` may be reset), and
 * how many were made from a file's whole bytes held in memory (`whole`; disk-file.ts hands over no bytes).
 */
function countedSql(): { counted: SqlJsStatic; dbs: { made: number; live: number; most: number; whole: number } } {
  const dbs = { made: 0, live: 0, most: 0, whole: 0 };
  class Counted extends SQL.Database {
    constructor(data?: ArrayLike<number> | Buffer | null) {
      super(data);
      if (ArrayBuffer.isView(data)) dbs.whole++;
      dbs.made++;
      dbs.most = Math.max(dbs.most, ++dbs.live);
    }
    override close(): void {
      dbs.live--;
      super.close();
    }
  }
  return { counted: { ...SQL, Database: Counted } as unknown as SqlJsStatic, dbs };
}
describe('partitioned store = single database', () => {
  for (const seed of [1, 2]) {
    it(`seed ${seed}: lists, gets, scans, reprices, retention and reopen give identical answers`, () => {
      const r = rng(seed);
      const dataDir = tempDir('cco-part-');
      const a = single();
      let b = partitioned(dataDir);
      const first = randomRecords(r, 700, `a${seed}-`);
      insertBoth(a, b, first);
      snapshot(b, dataDir); // folds every past month into its file
      expect(listPartitionFiles(dataDir).length).toBeGreaterThan(10);
      // Late rows for sealed months (bulk import, replay), some of them duplicates of sealed ones.
      const late = randomRecords(r, 200, `b${seed}-`);
      insertBoth(a, b, [...late, ...first.filter(() => r() < 0.1)]);
      expect(b.count()).toBe(first.length + late.length);

      for (let i = 0; i < 16; i++) comparePaging(a, b, randomQuery(r));
      // Months taking late rows directly stay pinned until the next snapshot, besides the LRU's clean ones.
      expect(b.openMonths().length).toBeLessThanOrEqual(LRU_MAX + MAX_DIRECT_MONTHS);
      // Streams (an export's pages, which close months behind the cursor) paged to the end: same pages.
      const rs = rng(seed + 100);
      for (let i = 0; i < 6; i++) comparePaging(a, b, randomQuery(rs), 1000, true);
      for (const rec of [...first, ...late].filter(() => r() < 0.05)) expect(b.get(rec.id)).toEqual(getRequest(a.db, a.writer.strings, rec.id));
      expect(b.get('missing')).toBeNull();
      const ids = [...first, ...late].map((x) => ({ id: x.id, startedAt: x.startedAt }));
      expect(new Set(b.existingIds([...ids, { id: 'nope', startedAt: T0 }]))).toEqual(new Set(existingIds(a.db, ids.map((k) => k.id))));
      const ups = [...first, ...late].filter(() => r() < 0.1).map((x) => x.upstreamRequestId ?? 'none');
      expect(b.findByUpstream(ups)).toEqual(findByUpstream(a.db, a.writer.strings, ups));
      expect(b.findByUpstream(ups, T0 + SPAN / 3, T0 + SPAN / 2)).toEqual(findByUpstream(a.db, a.writer.strings, ups, T0 + SPAN / 3, T0 + SPAN / 2));

      // Repricing, in pages, like repriceStored: sealed and unsealed rows.
      const since = r() < 0.5 ? undefined : T0 + Math.floor(r() * SPAN);
      const scanned = compareScan(a, b, since, 300);
      const updates: RepriceUpdate[] = scanned
        .filter(() => r() < 0.3)
        .map((x) => ({ id: x.id, costNanoUsd: r() < 0.2 ? null : Math.floor(r() * 1e6), priceVersion: 'v2', cacheSavingsNanoUsd: 7, unpricedReason: null }));
      for (let i = 0; i < updates.length; i += 200) {
        const page = updates.slice(i, i + 200);
        expect(b.applyReprice(page)).toBe(applyReprice(a.db, a.writer, page));
      }
      compareSummaries(a, b);
      for (let i = 0; i < 10; i++) comparePaging(a, b, { ...randomQuery(r), sort: 'cost' });

      // Snapshot (re-seals the repriced months, folds the late rows), then reopen from the files.
      snapshot(b, dataDir);
      b.close();
      b = partitioned(dataDir);
      expect(b.count()).toBe(first.length + late.length);
      compareSummaries(a, b);
      for (let i = 0; i < 10; i++) comparePaging(a, b, randomQuery(r));

      // Retention at an arbitrary instant: whole files go, the month it falls in is hidden below it.
      const cutoff = T0 + Math.floor(SPAN * (0.2 + r() * 0.3));
      deleteOlderThan(a.db, cutoff);
      b.retention(cutoff);
      expect(listPartitionFiles(dataDir).every((m) => Date.parse(`${m}-01T00:00:00Z`) >= Date.UTC(new Date(cutoff).getUTCFullYear(), new Date(cutoff).getUTCMonth() - 1, 1))).toBe(true);
      for (let i = 0; i < 10; i++) comparePaging(a, b, randomQuery(r));
      for (let i = 0; i < 6; i++) comparePaging(a, b, randomQuery(rs), 1000, true);
      compareScan(a, b, undefined, 300);
      for (const rec of first.filter(() => r() < 0.05)) expect(b.get(rec.id)).toEqual(getRequest(a.db, a.writer.strings, rec.id));
      compareSummaries(a, b);
      b.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }, 180_000);
  }

  it('a fold cut short (rows both in cco.sqlite and in their month file) is finished on the next start', () => {
    const dataDir = tempDir('cco-part-');
    const a = single();
    const b = partitioned(dataDir);
    const recs = randomRecords(rng(9), 600, 'c-');
    insertBoth(a, b, recs);
    writeSnapshot(b.db, dataDir, 0); // cco.sqlite with every row
    const before = fs.readFileSync(path.join(dataDir, 'cco.sqlite'));
    snapshot(b, dataDir); // folds, rewrites cco.sqlite
    b.close();
    fs.writeFileSync(path.join(dataDir, 'cco.sqlite'), before); // as if killed before the second write
    const c = partitioned(dataDir);
    expect(c.needsFold(NOW)).toBe(true);
    snapshot(c, dataDir);
    expect(c.needsFold(NOW)).toBe(false);
    expect(c.count()).toBe(recs.length);
    for (let i = 0; i < 5; i++) comparePaging(a, c, randomQuery(rng(i)));
    compareSummaries(a, c);
    c.close();
    expect(fs.readdirSync(monthsDir(dataDir)).every((f) => f.endsWith('.sqlite'))).toBe(true);
  });

  it('a store written by schema 7 (cco.sqlite and sealed month files) counts the hits of every row kept once migrated', () => {
    const dataDir = tempDir('cco-part-');
    const a = single();
    const b = partitioned(dataDir);
    const recs = randomRecords(rng(11), 600, 'h-');
    expect(recs.filter((x) => x.cacheHit).length).toBeGreaterThan(50);
    insertBoth(a, b, recs);
    snapshot(b, dataDir); // every past month sealed in its file
    // Late rows of sealed months, still in cco.sqlite: they came while their months were not yet past.
    const late = randomRecords(rng(12), 100, 'i-');
    insertBoth(a, b, late, T0);
    writeSnapshot(b.db, dataDir, 0);
    b.close();
    // Back to schema 7: session_rollups keyed by TEXT again (8 → 9), the columns of 7 → 8 dropped, in cco.sqlite
    // and every month file.
    const files = [path.join(dataDir, 'cco.sqlite'), ...listPartitionFiles(dataDir).map((m) => path.join(monthsDir(dataDir), `${m}.sqlite`))];
    expect(files.length).toBeGreaterThan(10);
    for (const file of files) {
      const db = new SQL.Database(fs.readFileSync(file));
      sessionRollupsToText(db);
      for (const t of ['rollups', 'session_rollups']) for (const c of ['cache_hits', 'cache_hit_savings_nano_usd']) db.run(`ALTER TABLE ${t} DROP COLUMN ${c}`);
      for (const c of ['git_branch', 'is_sidechain']) db.run(`ALTER TABLE requests DROP COLUMN ${c}`);
      db.run("UPDATE meta SET value = '7' WHERE key = 'schema_version'");
      fs.writeFileSync(file, db.export());
      db.close();
    }
    // the month files' sizes and times changed: load() re-reads their index, as it would for any changed file
    const c = partitioned(dataDir);
    expect(c.dropSealedDuplicates()).toBe(0);
    expect(c.backfillCacheHits()).toBe(files.length - 1);
    expect(c.backfillCacheHits()).toBe(0); // once
    compareSummaries(a, c);
    const whole = buildSummary(c.db, { range: 'all', tz: 'UTC', now: NOW });
    const hits = [...recs, ...late].filter((x) => x.cacheHit);
    expect(whole.totals.responseCacheHits).toBe(hits.length);
    expect(whole.totals.responseCacheSavedNanoUsd).toBe(hits.reduce((n, x) => n + x.cacheSavingsNanoUsd, 0));
    const s1 = buildSummary(c.db, { range: 'all', tz: 'UTC', now: NOW, session: 's1' });
    expect(s1.totals.responseCacheHits).toBe(hits.filter((x) => x.sessionId === 's1').length);
    c.close();
  });

  it('rows of a past month go straight into its month database, written once by the next snapshot', () => {
    const dataDir = tempDir('cco-part-');
    const a = single();
    const b = partitioned(dataDir);
    const month = Date.UTC(2025, 5, 1);
    const recs = randomRecords(rng(21), 300, 'k-').map((x, i) => ({ ...x, startedAt: month + i * 60_000, endedAt: month + i * 60_000 + 500 }));
    insertBoth(a, b, recs);
    // Not in cco.sqlite (no copy, fold and delete later): in the month's database, counted in the rollups.
    expect(b.db.exec('SELECT COUNT(*) FROM requests')[0]?.values[0]?.[0]).toBe(0);
    expect(b.pressure(NOW)).toMatchObject({ unfolded: 0, direct: 300, directMonths: 1 });
    expect(b.openMonths()).toEqual(['2025-06']);
    expect(b.count()).toBe(300);
    for (let i = 0; i < 5; i++) comparePaging(a, b, randomQuery(rng(30 + i)));
    compareSummaries(a, b);
    snapshot(b, dataDir);
    expect(b.pressure(NOW)).toMatchObject({ unfolded: 0, dirty: 0, direct: 0 });
    // Beside the month file, the open month's working copy (disk-file.ts), removed when it is closed.
    expect(fs.readdirSync(monthsDir(dataDir)).filter((f) => !WORK_RE.test(f))).toEqual(['2025-06.sqlite']);
    b.close();
    expect(fs.readdirSync(monthsDir(dataDir))).toEqual(['2025-06.sqlite']);
    const c = partitioned(dataDir);
    expect(c.count()).toBe(300);
    for (let i = 0; i < 5; i++) comparePaging(a, c, randomQuery(rng(40 + i)));
    compareSummaries(a, c);
    // More rows after the month's last one, once a list knows where its rows end: pages after a cursor still
    // reach them, streamed or not.
    const end = month + 300 * 60_000;
    insertBoth(a, c, randomRecords(rng(22), 50, 'l-').map((x, i) => ({ ...x, startedAt: end + i * 60_000, endedAt: end + i * 60_000 + 500 })));
    for (const stream of [false, true]) for (const order of ['asc', 'desc'] as const) comparePaging(a, c, { order, limit: 40 }, 100, stream);
    c.close();
  });

  it('a batch of fresh upstream ids does not open the sealed month it searches (the import lookup)', () => {
    const dataDir = tempDir('cco-part-');
    const b = partitioned(dataDir);
    const month = Date.UTC(2025, 5, 1);
    const recs = randomRecords(rng(23), 3000, 'u-').map((x, i) => ({ ...x, startedAt: month + i * 60_000, endedAt: month + i * 60_000 + 500, upstreamRequestId: `req_u${i}` }));
    b.insert(recs, () => undefined);
    snapshot(b, dataDir);
    b.closeClean();
    const { start, end } = monthRange('2025-06');
    // Found: the month is opened and the row returned.
    expect(b.findByUpstream(['req_u7'], start, end).map((r) => r.id)).toEqual([recs[7]!.id]);
    b.closeClean();
    // 500 ids it never held (one import batch): the filter answers "no" for each, and nothing is read.
    // At 10 bits a key (≈0.8 % false positives) some of them said "maybe" and the 2025-06 file was loaded.
    const fresh = Array.from({ length: 500 }, (_, i) => `req_011CV${i.toString(36)}x${i}`);
    expect(b.findByUpstream(fresh, start, end)).toEqual([]);
    expect(b.openMonths()).toEqual([]);
    b.close();
  });

  for (const when of ['before', 'after'] as const) {
    it(`a snapshot killed ${when} cco.sqlite is written, its month files staged: nothing lost or doubled once the journal is replayed`, () => {
      const dataDir = tempDir('cco-part-');
      const a = single();
      const b = partitioned(dataDir);
      const first = randomRecords(rng(50), 400, 'm-');
      insertBoth(a, b, first);
      snapshot(b, dataDir);
      // Late rows of two sealed months and of a month never written: they go straight into month databases.
      const late = randomRecords(rng(51), 90, 'n-').map((x, i) => {
        const t = [Date.UTC(2025, 2, 3), Date.UTC(2025, 7, 9), Date.UTC(2024, 11, 30)][i % 3]! + i * 1000;
        return { ...x, startedAt: t, endedAt: t + 500 };
      });
      insertBoth(a, b, late);
      expect(b.pressure(NOW)).toMatchObject({ direct: 90, directMonths: 3 });
      const killed = new Error('kill -9');
      expect(() => b.snapshot(() => {
        if (when === 'after') writeSnapshot(b.db, dataDir, 0);
        throw killed; // the process dies here: the staged files are not renamed
      }, NOW, false)).toThrow(killed);
      expect(fs.readdirSync(monthsDir(dataDir)).filter((f) => f.includes('.next-')).length).toBe(3);
      b.close();
      const c = partitioned(dataDir);
      expect(fs.readdirSync(monthsDir(dataDir)).every((f) => f.endsWith('.sqlite'))).toBe(true);
      // Before: cco.sqlite never counted the late rows and no file has them. After: both do.
      expect(c.count()).toBe(first.length + (when === 'after' ? late.length : 0));
      // The journal still holds the late records (the snapshot did not finish): replayed, each is new exactly once.
      expect(c.insert(late, () => undefined, NOW)).toBe(when === 'after' ? 0 : late.length);
      expect(c.count()).toBe(first.length + late.length);
      for (let i = 0; i < 6; i++) comparePaging(a, c, randomQuery(rng(60 + i)));
      compareSummaries(a, c);
      snapshot(c, dataDir);
      c.close();
      const d = partitioned(dataDir);
      expect(d.count()).toBe(first.length + late.length);
      for (let i = 0; i < 6; i++) comparePaging(a, d, randomQuery(rng(70 + i)));
      compareSummaries(a, d);
      d.close();
    });
  }

  it('closes idle months and keeps at most LRU_MAX clean months open', () => {
    const dataDir = tempDir('cco-part-');
    const b = partitioned(dataDir);
    b.insert(randomRecords(rng(4), 300, 'd-'), () => undefined);
    snapshot(b, dataDir);
    b.list({ sort: 'cost', limit: 10 }); // reads every month
    expect(b.openMonths().length).toBe(LRU_MAX);
    expect(b.closeIdle(Date.now() + 60_000)).toBe(LRU_MAX);
    expect(b.openMonths()).toEqual([]);
    b.close();
  });

  it('never holds more than LRU_MAX month databases in memory, the one being loaded included', () => {
    const dataDir = tempDir('cco-part-');
    const a = partitioned(dataDir);
    a.insert(randomRecords(rng(5), 300, 'e-'), () => undefined);
    snapshot(a, dataDir);
    a.close();
    // Month databases are counted as sql.js makes and closes them (cco.sqlite is opened with the real SQL).
    const { counted, dbs } = countedSql();
    const opened = openDatabase(SQL, dataDir, () => undefined);
    let released = 0;
    const b = new PartitionedStore(counted, dataDir, opened.db, new RowWriter(opened.db, new Interner(opened.db)), () => undefined, () => released++);
    b.load();
    expect(b.months().length).toBeGreaterThan(LRU_MAX + 1);
    // Walks every month newest first, as an export does, then every month again for a cost sort.
    let cursor: string | null = null;
    do {
      const page: { nextCursor: string | null } = b.list({ limit: 7, ...(cursor !== null && { cursor }) });
      cursor = page.nextCursor;
    } while (cursor !== null);
    b.list({ sort: 'cost', limit: 10 });
    expect(dbs.most).toBe(LRU_MAX);
    // Every load hands its file's read buffer back at once, and every eviction its database.
    expect(released).toBe(dbs.made + (dbs.made - dbs.live));
    b.close();
    expect(dbs.live).toBe(0);
  });
  it('a stream (an export) holds one month database at a time and closes each once its cursor has left it', () => {
    const dataDir = tempDir('cco-part-');
    const a = partitioned(dataDir);
    a.insert(randomRecords(rng(6), 400, 'f-'), () => undefined);
    snapshot(a, dataDir);
    a.close();
    const { counted, dbs } = countedSql();
    const opened = openDatabase(SQL, dataDir, () => undefined);
    const b = new PartitionedStore(counted, dataDir, opened.db, new RowWriter(opened.db, new Interner(opened.db)), () => undefined);
    b.load();
    expect(b.months().length).toBeGreaterThan(LRU_MAX + 1);
    const walk = (order: 'asc' | 'desc', limit: number): number => {
      let cursor: string | null = null;
      let rows = 0;
      do {
        const page: { items: RequestRecord[]; nextCursor: string | null } = b.list({ order, limit, ...(cursor !== null && { cursor }) }, { stream: true });
        rows += page.items.length;
        cursor = page.nextCursor;
      } while (cursor !== null);
      return rows;
    };
    // Pages within a month, across a boundary, and spanning several months (~28 rows a month).
    for (const [order, limit] of [['desc', 7], ['asc', 7], ['desc', 60], ['asc', 60]] as const) {
      dbs.most = dbs.live;
      expect(walk(order, limit)).toBe(400);
      expect([order, limit, dbs.most]).toEqual([order, limit, 1]); // LRU_MAX before streams closed months
      expect(b.openMonths()).toEqual([]); // at its end, nothing is left open
    }
    // Its months were read from their files page by page, none loaded whole into memory.
    expect(dbs.whole).toBe(0);
    // A month someone is looking at (opened by an ordinary list) is not the stream's to close, nor evicted.
    const viewed = b.months()[3]!;
    b.list({ from: monthRange(viewed).start, to: monthRange(viewed).end, limit: 1 });
    expect(b.openMonths()).toEqual([viewed]);
    dbs.most = dbs.live;
    expect(walk('desc', 7)).toBe(400);
    expect(dbs.most).toBe(2);
    expect(b.openMonths()).toEqual([viewed]);
    expect(dbs.whole).toBe(0); // the viewed month too: a list only reads
    b.close();
    expect(dbs.live).toBe(0);
  });

  it('a month read from its file (by a stream or a list) is written through a working copy, never in place', () => {
    const dataDir = tempDir('cco-part-');
    const a = partitioned(dataDir);
    const recs = randomRecords(rng(7), 300, 'g-');
    a.insert(recs, () => undefined);
    snapshot(a, dataDir);
    a.close();
    const { counted, dbs } = countedSql();
    const opened = openDatabase(SQL, dataDir, () => undefined);
    const b = new PartitionedStore(counted, dataDir, opened.db, new RowWriter(opened.db, new Interner(opened.db)), () => undefined, undefined, undefined, () => NOW);
    b.load();
    const month = b.months()[2]!;
    const { start, end } = monthRange(month);
    const names = () => fs.readdirSync(path.join(dataDir, 'months'));
    const files = () => names().filter((f) => !WORK_RE.test(f)).map((f) => [f, fs.readFileSync(path.join(dataDir, 'months', f)).toString('base64')]);
    const before = files();
    // A stream stops inside the month: its database stays open, read from the file.
    const inMonth = recs.filter((x) => x.startedAt >= start && x.startedAt < end).length;
    expect(inMonth).toBeGreaterThan(4);
    const page = b.list({ from: start, to: end, limit: 2 }, { stream: true });
    expect(page.items).toHaveLength(2);
    expect(b.openMonths()).toEqual([month]);
    expect(dbs.whole).toBe(0);
    expect(names().filter((f) => WORK_RE.test(f))).toEqual([]); // nothing written: no working copy
    // A repricing of one of its rows (a write) copies the month's file to a working copy and writes there; the
    // month is not loaded whole, and its file is not written.
    const row = page.items[0]!;
    expect(b.applyReprice([{ id: row.id, costNanoUsd: 4242, priceVersion: 'test-v', cacheSavingsNanoUsd: 0, unpricedReason: null }])).toBe(1);
    expect(dbs.whole).toBe(0);
    expect(names().filter((f) => WORK_RE.test(f))).toHaveLength(1);
    expect(b.get(row.id)?.costNanoUsd).toBe(4242);
    expect(files()).toEqual(before); // re-sealed only at the next snapshot
    // The stream goes on from its cursor on the loaded month: the same rows as a plain list.
    const rest = b.list({ from: start, to: end, limit: 500, cursor: page.nextCursor! }, { stream: true });
    expect(rest.items.map((x) => x.id)).toEqual(b.list({ from: start, to: end, limit: 500, cursor: page.nextCursor! }).items.map((x) => x.id));
    // The next snapshot re-seals the month from its working copy: the file now holds the new price.
    snapshot(b, dataDir);
    expect(files()).not.toEqual(before);
    b.close();
    expect(dbs.live).toBe(0);
    expect(names().filter((f) => WORK_RE.test(f))).toEqual([]);
    const c = partitioned(dataDir);
    expect(c.get(row.id)?.costNanoUsd).toBe(4242);
    c.close();
  });
});

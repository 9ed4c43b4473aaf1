/**
 * SummaryCache against buildSummary (the hourly fold it must equal, key order included) on random data:
 * random zones (whole-hour, half-hour and 45-minute offsets, DST, Lord Howe's 30-minute DST), ranges and
 * clocks, with writes between the queries — live rows, late rows in kept days, repricings — so a kept day or
 * span that a write made stale shows up as a difference.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { Database, SqlJsStatic } from 'sql.js';
import type { RequestRecord, SummaryRange } from '../../shared/contract.ts';
import { loadSqlJs } from './db.ts';
import { Interner } from './interner.ts';
import { migrate } from './migrations.ts';
import { applyReprice } from './queries.ts';
import { RowWriter } from './rows.ts';
import { byteOrder, SummaryCache } from './summary-cache.ts';
import { buildSummary, type SummaryQuery } from './summary.ts';
import { makeRecord } from './test-fixtures.ts';
import { mulberry32 as rng } from '../../test/seeded-random.ts';

let SQL: SqlJsStatic;
beforeAll(async () => {
  SQL = await loadSqlJs();
});

const DAY = 86_400_000;
const T0 = Date.UTC(2025, 9, 1); // spans the October/November DST changes and Lord Howe's
const ZONES = ['UTC', 'Europe/Paris', 'America/New_York', 'Asia/Kolkata', 'Asia/Kathmandu', 'Australia/Lord_Howe', 'Pacific/Chatham'];

function records(r: () => number, n: number, from: number, to: number, tag: string): RequestRecord[] {
  const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  return Array.from({ length: n }, (_, i) => {
    const startedAt = from + Math.floor(r() * (to - from));
    const model = pick(['claude-sonnet-4-5', 'claude-opus-4-1', 'claude-haiku-4-5', null]);
    return makeRecord({
      id: `${tag}-${i}-${Math.floor(r() * 1e9)}`,
      startedAt,
      endedAt: startedAt + 1000,
      model,
      modelRequested: model ?? pick(['claude-sonnet-4-5', null]),
      project: pick(['/a', '/b', '/c', null]),
      sessionId: pick(['s1', 's2', 's3', 's4', 'sé', 's\u{1F600}', 's\uFF01', null]),
      state: pick(['complete', 'complete', 'error_event', 'upstream_error'] as const),
      status: pick([200, 200, 429, 500]),
      costNanoUsd: pick([null, 0, 1000, Math.floor(r() * 1e6)]),
      billable: r() < 0.9,
      cacheHit: r() < 0.1,
    });
  });
}

interface Db {
  db: Database;
  writer: RowWriter;
  cache: SummaryCache;
}

function open(): Db {
  const db = new SQL.Database();
  migrate(db);
  const writer = new RowWriter(db, new Interner(db));
  return { db, writer, cache: new SummaryCache(db, writer.touchedHours) };
}

function same(d: Db, q: SummaryQuery): void {
  const want = buildSummary(d.db, q);
  const got = d.cache.summary(q);
  expect(got, JSON.stringify(q)).toEqual(want);
  expect(JSON.stringify(got)).toBe(JSON.stringify(want)); // the series' key order too
}

describe('SummaryCache = buildSummary', () => {
  for (const seed of [1, 2, 3]) {
    it(`random writes and queries (seed ${seed})`, () => {
      const r = rng(seed);
      const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
      const d = open();
      let now = T0 + 70 * DAY;
      d.writer.insertMany(records(r, 1500, T0, now, `s${seed}`), () => undefined);
      let queries = 0;
      for (let step = 0; step < 40; step++) {
        const tz = pick(ZONES);
        const range = pick<SummaryRange | 'custom'>(['7d', '30d', 'month', 'all', 'all', 'today', 'custom']);
        const q: SummaryQuery = { range, tz, now, ...(r() < 0.3 && { sessions: false }) };
        if (range === 'custom') {
          q.from = T0 + Math.floor(r() * 60 * DAY);
          q.to = q.from + Math.floor(r() * 20 * DAY) + 1;
        }
        if (r() < 0.1) q.session = pick(['s1', '(none)']);
        same(d, q);
        same(d, q); // the second answer comes from what the first kept
        queries += 2;
        const w = r();
        if (w < 0.3) {
          // live traffic: the clock moves on, records in the last hours
          now += Math.floor(r() * 6 * 3_600_000);
          d.writer.insertMany(records(r, 5, now - 3_600_000, now, `l${step}`), () => undefined);
        } else if (w < 0.55) {
          // late rows (bulk import, replay) in days a previous query kept
          d.writer.insertMany(records(r, 20, T0, now, `b${step}`), () => undefined);
        } else if (w < 0.7) {
          const ids = (d.db.exec('SELECT id FROM requests ORDER BY random() LIMIT 5')[0]?.values ?? []).map((v) => String(v[0]));
          applyReprice(d.db, d.writer, ids.map((id) => ({ id, costNanoUsd: pick([null, 7, 123_456]), priceVersion: 'v2', cacheSavingsNanoUsd: 5, unpricedReason: null })));
        } else if (w < 0.8) {
          now += Math.floor(r() * 3 * DAY); // days end: the last bucket becomes a kept day
        }
      }
      expect(queries).toBe(80);
    });
  }

  it('keeps whole days and answers from them', () => {
    const r = rng(9);
    const d = open();
    const now = T0 + 40 * DAY + 5 * 3_600_000;
    d.writer.insertMany(records(r, 500, T0, now, 'k'), () => undefined);
    same(d, { range: 'all', tz: 'Europe/Paris', now });
    const kept = d.cache.keptDays;
    expect(kept).toBeGreaterThan(35); // every day but the running one
    d.writer.insertMany(records(r, 3, now - 600_000, now, 'live'), () => undefined);
    same(d, { range: 'all', tz: 'Europe/Paris', now });
    expect(d.cache.keptDays).toBe(kept); // the current hour is in no kept day
    d.writer.insertMany([makeRecord({ id: 'late', startedAt: T0 + 10 * DAY + 7_200_000 })], () => undefined);
    same(d, { range: 'all', tz: 'Europe/Paris', now });
    expect(d.cache.keptDays).toBe(kept); // dropped, then folded and kept again
  });
});

describe('byteOrder', () => {
  it('orders as SQLite orders TEXT (UTF-8 bytes), not as UTF-16 units', () => {
    const keys = ['b', 'a', 'ab', '', '\uFF01', '\u{1F600}', 'é', 'Z'];
    const d = open();
    const sql = d.db.exec(`SELECT v FROM (${keys.map(() => 'SELECT ? AS v').join(' UNION ALL ')}) ORDER BY v`, keys)[0]!.values.map((v) => v[0]);
    expect([...keys].sort(byteOrder)).toEqual(sql);
    expect([...keys].sort()).not.toEqual(sql); // what a plain sort would get wrong
  });
});

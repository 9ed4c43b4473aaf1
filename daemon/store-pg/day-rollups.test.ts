/**
 * The UTC-day layer over the hourly rollups (schema.ts migration 5, rows.ts applyCells, summary.ts DayPlan):
 * - migration 4 → 5 backfills it from the hours of a database written before it;
 * - every write path keeps it equal to its hours summed per UTC day (insert, a replay counted once, bulk,
 *   reprice);
 * - summaries read it (a changed day cell shows) and give exactly the hourly path's answer, in zones whose
 *   days start on a UTC midnight or not (whole, half and quarter hours, DST), for the team and one user.
 * The sql.js ⇄ PostgreSQL equivalence on random data (equivalence.test.ts) covers it without users.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RequestRecord } from '../../shared/contract.ts';
import { pgSkipReason, startPgCluster, type PgCluster } from '../../test/pg/cluster.ts';
import { tempDir } from '../store/test-fixtures.ts';
import { openPgStore, type PgStore } from './index.ts';
import { PG_MIGRATIONS, migratePg } from './schema.ts';
import { createPool } from './pool.ts';
import { insertBatch } from './rows.ts';
import { planDays, planWindows, type PgSummaryQuery } from './summary.ts';
import { COUNTER_COLUMNS, dayLayerMismatches, rec } from './test-backends.ts';
import { mulberry32 as prng } from '../../test/seeded-random.ts';

const quiet = (): void => undefined;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const NOW = Date.UTC(2026, 2, 30, 13, 17); // Europe's DST change (29 March) inside the data

/** Records at any minute of the last 80 days (every local midnight of every zone gets neighbours), 3 users and none. */
function records(seed: number, n: number): RequestRecord[] {
  const rnd = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  return Array.from({ length: n }, () => {
    const t = NOW - Math.floor(rnd() * 80 * DAY);
    return rec({
      startedAt: t,
      endedAt: t + 50,
      model: pick(['m-opus', 'm-sonnet', null]),
      modelRequested: 'm-asked',
      project: pick(['/p1', '/p2', null]),
      // five sessions as long as the data, and ~380 of five hours (more than the top 50: some wholly inside a
      // range, some across one of its ends)
      sessionId: rnd() < 0.5 ? `q${Math.floor(t / (5 * HOUR))}` : pick(['s1', 's2', 's3', 's4', 's5', null]),
      user: pick(['ann', 'bob', 'cy', null]),
      costNanoUsd: rnd() < 0.1 ? null : Math.floor(rnd() * 40_000_000),
      cacheSavingsNanoUsd: Math.floor(rnd() * 1000),
      status: pick([200, 200, 200, 529]),
      tokens: { input: Math.floor(rnd() * 900), cacheWrite5m: 3, cacheWrite1h: 1, cacheRead: Math.floor(rnd() * 4000), output: Math.floor(rnd() * 700) },
    });
  });
}

const TEXTS = COUNTER_COLUMNS.map((c) => `${c}::text`).join(', ');

const ZONES = ['UTC', 'Europe/Paris', 'America/Los_Angeles', 'Asia/Kolkata', 'Asia/Kathmandu', 'America/St_Johns', 'Australia/Lord_Howe', 'Pacific/Chatham'];

describe('planDays', () => {
  const utcStarts = (from: number, days: number): number[] => Array.from({ length: days }, (_, i) => from + i * DAY);

  it('reads whole UTC days from the day layer and the hours at the edges; nothing moves in UTC', () => {
    const from = Date.UTC(2026, 0, 1);
    const to = Date.UTC(2026, 0, 10, 5, 20);
    const plan = planDays(from, to, utcStarts(from, 10))!;
    expect(plan.dayFrom).toBe(Date.UTC(2026, 0, 1));
    expect(plan.dayTo).toBe(Date.UTC(2026, 0, 10));
    expect(plan.dayBuckets).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    // from − 30 min rounds up to `from`; to 05:20 takes the hours 00:00–05:00
    expect(plan.edges).toEqual([0, 1, 2, 3, 4, 5].map((h) => Date.UTC(2026, 0, 10, h)));
    expect(plan.moved).toEqual([]);
  });

  it('moves the hours of a UTC day that belong to the next local day (Asia/Kolkata: from 18:30 UTC)', () => {
    // local days of +05:30 start at 18:30 UTC; the hour 18:00–19:00 has its midpoint on it, so it is the next day's
    const starts = [Date.UTC(2026, 0, 1, 18, 30) - DAY, ...Array.from({ length: 4 }, (_, i) => Date.UTC(2026, 0, 1, 18, 30) + i * DAY)];
    const plan = planDays(starts[0]!, Date.UTC(2026, 0, 4, 20), starts)!;
    expect(plan.dayFrom).toBe(Date.UTC(2026, 0, 1));
    expect(plan.dayTo).toBe(Date.UTC(2026, 0, 4));
    expect(plan.dayBuckets).toEqual([1, 2, 3]);
    expect(plan.moved).toEqual([0, 1, 2].flatMap((d) => [18, 19, 20, 21, 22, 23].map((h) => Date.UTC(2026, 0, 1 + d, h))));
    expect(plan.edges[0]).toBe(Date.UTC(2025, 11, 31, 18));
    expect(plan.edges.at(-1)).toBe(Date.UTC(2026, 0, 4, 19));
  });

  it('is null when no whole UTC day lies inside the range', () => {
    expect(planDays(Date.UTC(2026, 0, 1, 3), Date.UTC(2026, 0, 2, 2), [Date.UTC(2026, 0, 1, 3)])).toBeNull();
  });
});

describe('planWindows', () => {
  const days = (first: number, n: number): number[] => Array.from({ length: n }, (_, i) => first + i * DAY);

  it('reads each whole UTC day as the window from midnight, in one run; the partial last day from its hours', () => {
    const from = Date.UTC(2026, 0, 1);
    const to = Date.UTC(2026, 0, 4, 2, 10);
    const plan = planWindows(from, Date.UTC(2026, 0, 4, 3), days(from, 4));
    expect(plan).toEqual({ runHours: [0], runFirst: [from], runLast: [Date.UTC(2026, 0, 3)], hours: [0, 1, 2].map((h) => Date.UTC(2026, 0, 4, h)) });
    expect(to).toBeLessThan(Date.UTC(2026, 0, 4, 3));
  });

  it('reads the local days of a half-hour zone (Asia/Kolkata: from 18:30 UTC) as the windows from 18:00 UTC', () => {
    // the hour 18:00–19:00 UTC has its midpoint on the local midnight: it is the new day's first
    const first = Date.UTC(2026, 0, 1, 18, 30);
    const plan = planWindows(first - 30 * 60_000, Date.UTC(2026, 0, 5), days(first, 4));
    expect(plan.runHours).toEqual([18]);
    expect(plan.runFirst).toEqual([Date.UTC(2026, 0, 1, 18)]);
    expect(plan.runLast).toEqual([Date.UTC(2026, 0, 3, 18)]);
    expect(plan.hours).toEqual([18, 19, 20, 21, 22, 23].map((h) => Date.UTC(2026, 0, 4, h)));
  });

  it('reads a DST change\'s 23- and 25-hour days from their hours and starts a run of the new offset after each', () => {
    // Europe/Paris, 2026: local days from 23:00 UTC (UTC+1), 29 March has 23 hours, then from 22:00 UTC (UTC+2)
    const winter = days(Date.UTC(2026, 2, 25, 23), 4); // 26 → 29 March
    const summer = days(Date.UTC(2026, 2, 29, 22), 3); // 30 March → 1 April
    const plan = planWindows(winter[0]!, Date.UTC(2026, 3, 1, 22), [...winter, ...summer]);
    expect(plan.runHours).toEqual([23, 22]);
    expect(plan.runFirst).toEqual([winter[0], summer[0]]);
    expect(plan.runLast).toEqual([winter[2], summer[2]]);
    expect(plan.hours).toEqual(Array.from({ length: 23 }, (_, i) => winter[3]! + i * HOUR));
    // 25 October: 25 hours (from 22:00 UTC on the 24th to 23:00 UTC on the 25th)
    const autumn = planWindows(Date.UTC(2026, 9, 23, 22), Date.UTC(2026, 9, 26, 23), [...days(Date.UTC(2026, 9, 23, 22), 2), ...days(Date.UTC(2026, 9, 25, 23), 2)]);
    expect(autumn.runHours).toEqual([22, 23]);
    expect(autumn.hours).toEqual(Array.from({ length: 25 }, (_, i) => Date.UTC(2026, 9, 24, 22) + i * HOUR));
  });

  it('splits a run where a day is missing from the buckets (a partial first bucket)', () => {
    const from = Date.UTC(2026, 0, 1, 9);
    const plan = planWindows(from, Date.UTC(2026, 0, 4), [from, ...days(Date.UTC(2026, 0, 2), 2)]);
    expect(plan.hours).toEqual(Array.from({ length: 15 }, (_, i) => from + i * HOUR));
    expect(plan).toMatchObject({ runHours: [0], runFirst: [Date.UTC(2026, 0, 2)], runLast: [Date.UTC(2026, 0, 3)] });
  });
});

describe.skipIf(pgSkipReason() !== null)('the UTC-day layer (PostgreSQL)', () => {
  let cluster: PgCluster;
  let store: PgStore;
  const data = records(2026_0331, 1500);

  beforeAll(async () => {
    cluster = await startPgCluster();
    store = await openPgStore({ url: await cluster.createDatabase(), dataDir: tempDir('cco-pgstore-'), log: quiet });
    for (const r of data) store.add(r);
    await store.flush();
  });
  afterAll(async () => {
    await store?.close();
    await cluster?.destroy();
  });

  it('stays equal to the hours summed per UTC day on every write path', async () => {
    expect(await dayLayerMismatches(store.pool)).toEqual([]);
    expect(Number((await store.pool.query('SELECT count(*) AS n FROM day_rollups')).rows[0].n)).toBeGreaterThan(100);
    // a replay (same records again, and one upstream request under another id) is counted once in both
    for (const r of data.slice(0, 100)) store.add(r);
    store.add(rec({ startedAt: data[0]!.startedAt, upstreamRequestId: data[0]!.upstreamRequestId, costNanoUsd: 5 }));
    await store.flush();
    // the history-import path, with records already stored
    const bulk = records(77, 200);
    expect(await store.addBulk([...data.slice(100, 150), ...bulk])).toMatchObject({ inserted: 200, skipped: 50 });
    // a repricing moves costs in the hours and the days
    await store.applyReprice(data.slice(0, 300).map((r, i) => ({ id: r.id, costNanoUsd: i % 7 === 0 ? null : i * 1000, priceVersion: 'v2', cacheSavingsNanoUsd: i, unpricedReason: null })));
    expect(await dayLayerMismatches(store.pool)).toEqual([]);
    const totals = await store.pool.query(`SELECT (SELECT SUM(requests) FROM rollups)::int AS h, (SELECT SUM(requests) FROM day_rollups)::int AS d,
      (SELECT SUM(requests) FROM session_day_rollups)::int AS s`);
    expect(totals.rows[0]).toEqual({ h: 1700, d: 1700, s: 1700 });
    expect((await store.pool.query('SELECT count(*)::int AS n FROM session_totals')).rows[0].n).toBeGreaterThan(300);
  });

  it('gives the hourly path\'s answer in every zone and range, for the team and for one user', async () => {
    const queries: PgSummaryQuery[] = [];
    for (const tz of ZONES) {
      for (const range of ['7d', '30d', 'month', 'all'] as const) {
        for (const user of [undefined, 'ann', '(none)']) queries.push({ range, tz, now: NOW, ...(user !== undefined && { user }) });
      }
      queries.push({ range: 'custom', tz, from: NOW - 50 * DAY + 1_234_567, to: NOW - 2 * DAY - 999 });
      queries.push({ range: 'custom', tz, from: NOW - 9 * DAY, to: NOW - 3 * DAY, user: 'bob', sessions: false });
    }
    let viaDays = 0;
    for (const q of queries) {
      const hours = await store.summary({ ...q, days: false });
      const days = await store.summary(q);
      expect(days, JSON.stringify(q)).toEqual(hours);
      expect(hours.totals.requests, JSON.stringify(q)).toBeGreaterThan(0);
      if (q.range === 'all' || q.range === '30d') expect(hours.bySession?.length, JSON.stringify(q)).toBe(50);
      if (q.range !== 'custom' || q.to! - q.from! > 2 * DAY) viaDays++;
    }
    expect(viaDays).toBeGreaterThan(30);
  });

  it('summaries read the day layers (a changed day cell shows; the hourly path does not see it)', async () => {
    const day = Math.floor((NOW - 10 * DAY) / DAY) * DAY;
    const team: PgSummaryQuery = { range: 'all', tz: 'Europe/Paris', now: NOW };
    const ann: PgSummaryQuery = { ...team, user: 'ann' };
    const before = [await store.summary(team), await store.summary(ann)] as const;
    const bump = async (sign: 1 | -1): Promise<void> => {
      // one cell of that day in each (ann's where the table has users)
      const cell = "(model, project) = (SELECT model, project FROM day_rollups WHERE day_start_ms = $1 AND user_name = 'ann' ORDER BY 1, 2 LIMIT 1)";
      for (const [table, key] of [['day_rollups', `${cell} AND user_name = 'ann'`], ['day_team_rollups', cell], ['day_user_rollups', "user_name = 'ann'"]]) {
        const n = await store.pool.query(`UPDATE ${table} SET requests = requests + $2 WHERE day_start_ms = $1 AND ${key}`, [day, sign * 1000]);
        expect(n.rowCount, table).toBe(1);
      }
      const e = await store.pool.query(`UPDATE error_day_rollups SET requests = requests + $2 WHERE (day_start_ms, kind, user_name) =
        (SELECT day_start_ms, kind, user_name FROM error_day_rollups WHERE day_start_ms >= $1 ORDER BY 1, 2, 3 LIMIT 1)`, [day, sign * 1000]);
      expect(e.rowCount).toBe(1);
      const s = await store.pool.query(`UPDATE session_totals SET cost_nano_usd = cost_nano_usd + $1 WHERE session = 's3'`, [sign * 10 ** 12]);
      expect(s.rowCount).toBe(1);
      // migration 6: ann's February (a whole UTC month of range=all), the team's first cell after the last whole
      // UTC day (an edge hour) and one at 23:00 UTC in winter (Europe/Paris's next local day: a moved hour)
      const m = await store.pool.query(`UPDATE month_user_rollups SET requests = requests + $2 WHERE month_start_ms = $1 AND user_name = 'ann'`, [Date.UTC(2026, 1, 1), sign * 1000]);
      expect(m.rowCount).toBe(1);
      // migration 7: the team's February per model × project (its groups)
      const mt = await store.pool.query(`UPDATE month_team_rollups SET requests = requests + $2 WHERE (month_start_ms, model, project) =
        (SELECT month_start_ms, model, project FROM month_team_rollups WHERE month_start_ms = $1 ORDER BY 2, 3 LIMIT 1)`, [Date.UTC(2026, 1, 1), sign * 1000]);
      expect(mt.rowCount).toBe(1);
      // migration 8: the team's series, per model and per project, of two local days of Paris (UTC+1 then: from
      // 23:00 UTC the day before): that day (requests per model, cost per project) and the one from movedHour
      const window = async (table: string, col: string, start: number, delta: number): Promise<void> => {
        const w = await store.pool.query(`UPDATE ${table} SET ${col} = ${col} + $2 WHERE (start_hour, day_start_ms, ${table.includes('model') ? 'model' : 'project'}) =
          (SELECT start_hour, day_start_ms, ${table.includes('model') ? 'model' : 'project'} FROM ${table} WHERE start_hour = 23 AND day_start_ms = $1 ORDER BY 3 LIMIT 1)`, [start, delta]);
        expect(w.rowCount, table).toBe(1);
      };
      await window('local_day_model_rollups', 'requests', day - HOUR, sign * 1000);
      await window('local_day_project_rollups', 'cost_nano_usd', day - HOUR, sign * 7);
      await window('local_day_model_rollups', 'requests', movedHour, sign * 1000);
      // the team hours: an edge hour (groups and series), the hour that starts a local day (in its window, not read
      // on its own) and one of the 23 hours of the DST change's local day (read on their own)
      for (const hour of [edgeHour, movedHour, dstHour]) {
        const h = await store.pool.query(`UPDATE hour_team_rollups SET requests = requests + $2 WHERE (hour_start_ms, model, project) =
          (SELECT hour_start_ms, model, project FROM hour_team_rollups WHERE hour_start_ms = $1 ORDER BY 2, 3 LIMIT 1)`, [hour, sign * 1000]);
        expect(h.rowCount).toBe(1);
      }
    };
    const hourWhere = async (where: string): Promise<number> => Number((await store.pool.query(`SELECT min(hour_start_ms) AS h FROM hour_team_rollups WHERE ${where}`)).rows[0].h);
    const edgeHour = await hourWhere(`hour_start_ms >= ${Math.floor(NOW / DAY) * DAY}`);
    const movedHour = await hourWhere(`hour_start_ms >= ${Date.UTC(2026, 1, 10)} AND hour_start_ms % ${DAY} = ${23 * HOUR}`);
    // its local day (Paris, UTC+1 in February) starts at that hour; the UTC day it belongs to is the day before's
    const movedPoint = before[0].series.findIndex((p) => Date.parse(p.t) === movedHour);
    expect(movedPoint).toBeGreaterThan(0);
    // 29 March in Paris: 23 hours, from 23:00 UTC on the 28th to 22:00 UTC on the 29th
    const dstHour = await hourWhere(`hour_start_ms >= ${Date.UTC(2026, 2, 28, 23)} AND hour_start_ms < ${Date.UTC(2026, 2, 29, 22)}`);
    const dstPoint = before[0].series.findIndex((p) => Date.parse(p.t) === Date.UTC(2026, 2, 28, 23));
    expect(dstPoint).toBeGreaterThan(0);
    await bump(1);
    try {
      const [t, a] = [await store.summary(team), await store.summary(ann)];
      expect(t.totals.requests).toBe(before[0].totals.requests + 3000); // day_team_rollups, month_team_rollups, hour_team_rollups (edge)
      // the bumped day (local day of Paris, UTC+1 then: from 23:00 UTC the day before): local_day_model_rollups'
      // requests and local_day_project_rollups' cost
      const dayPoint = before[0].series.findIndex((p) => Date.parse(p.t) === day - HOUR);
      expect(t.series[dayPoint]!.requests).toBe(before[0].series[dayPoint]!.requests + 1000);
      const costs = (s: typeof t) => Object.values(s.series[dayPoint]!.byProject).reduce((x, y) => x + y, 0);
      expect(costs(t)).toBe(costs(before[0]) + 7);
      expect(t.byUser!.find((u) => u.key === 'ann')!.requests).toBe(before[0].byUser!.find((u) => u.key === 'ann')!.requests + 2000); // day_user_rollups, month_user_rollups
      // the local day from the hour that moved before migration 8: its window, not its hour nor its UTC day's
      expect(t.series[movedPoint]!.requests).toBe(before[0].series[movedPoint]!.requests + 1000);
      expect(t.series[movedPoint - 1]!.requests).toBe(before[0].series[movedPoint - 1]!.requests);
      // the DST change's 23-hour day from its hours; the last, partial day from its hours (the edge hour)
      expect(t.series[dstPoint]!.requests).toBe(before[0].series[dstPoint]!.requests + 1000);
      expect(t.series.at(-1)!.requests).toBe(before[0].series.at(-1)!.requests + 1000);
      expect(t.bySession?.[0]).toMatchObject({ key: 's3', costNanoUsd: before[0].bySession!.find((x) => x.key === 's3')!.costNanoUsd + 10 ** 12 }); // session_totals
      expect(t.errors.requests).toBe(before[0].errors.requests + 1000); // error_day_rollups
      expect(a.totals.requests).toBe(before[1].totals.requests + 1000); // day_rollups
      expect(await store.summary({ ...team, days: false })).toEqual(before[0]);
    } finally {
      await bump(-1);
    }
    expect(await store.summary(team)).toEqual(before[0]);
  });

  it('range=all takes in at once records older than its first day written by another daemon (its first hour is cached)', async () => {
    const url = await cluster.createDatabase();
    const [here, other] = [await openPgStore({ url, dataDir: tempDir('cco-pgstore-'), log: quiet }), await openPgStore({ url, dataDir: tempDir('cco-pgstore-'), log: quiet })];
    try {
      const at = (t: number, user: string) => rec({ startedAt: t, endedAt: t + 10, user, costNanoUsd: 1000 });
      for (const r of [at(NOW - 3 * DAY, 'ann'), at(NOW - 2 * DAY, 'bob')]) here.add(r);
      await here.flush();
      const queries: PgSummaryQuery[] = [{ range: 'all', tz: 'Europe/Paris', now: NOW }, { range: 'all', tz: 'Europe/Paris', now: NOW, user: 'ann' }];
      for (const q of queries) expect((await here.summary(q)).series.length).toBeLessThanOrEqual(4);
      for (const q of queries) expect((await here.summary(q)).series.length).toBeLessThanOrEqual(4); // read again: from the cached hour
      // another daemon (or a history import) writes a month older
      other.add(at(NOW - 33 * DAY, 'ann'));
      await other.flush();
      const [team, ann] = [await here.summary(queries[0]!), await here.summary(queries[1]!)];
      expect(team.totals.requests).toBe(3);
      expect(ann.totals.requests).toBe(2);
      for (const s of [team, ann]) {
        expect(s.series.length).toBeGreaterThanOrEqual(34);
        expect(s.series[0]!.requests).toBe(1);
      }
    } finally {
      await here.close();
      await other.close();
    }
  });

  it('4 → 5 backfills the day layer from the hours of a database written by schema 4', async () => {
    const url = await cluster.createDatabase();
    const pool = createPool(url);
    try {
      await migratePg(pool, 'now');
      await insertBatch(pool, data.slice(0, 700), null, new Set());
      const written = async () => ({
        days: (await pool.query(`SELECT day_start_ms, model, project, user_name, ${TEXTS} FROM day_rollups ORDER BY 1, 2, 3, 4`)).rows,
        team: (await pool.query(`SELECT day_start_ms, model, project, ${TEXTS} FROM day_team_rollups ORDER BY 1, 2, 3`)).rows,
        users: (await pool.query(`SELECT day_start_ms, user_name, ${TEXTS} FROM day_user_rollups ORDER BY 1, 2`)).rows,
        sessions: (await pool.query(`SELECT day_start_ms, session, user_name, ${TEXTS} FROM session_day_rollups ORDER BY 1, 2, 3`)).rows,
        totals: (await pool.query(`SELECT session, first_hour_ms, last_hour_ms, ${TEXTS} FROM session_totals ORDER BY 1`)).rows,
        errors: (await pool.query('SELECT day_start_ms, kind, user_name, requests::text FROM error_day_rollups ORDER BY 1, 2, 3')).rows,
      });
      const asInserted = await written();
      expect(asInserted.days.length).toBeGreaterThan(50);
      await pool.query(`DROP TABLE day_rollups, day_team_rollups, day_user_rollups, session_day_rollups, session_totals, error_day_rollups,
        hour_team_rollups, month_user_rollups, day_model_rollups, day_project_rollups, month_team_rollups, local_day_model_rollups,
        local_day_project_rollups;
        DELETE FROM cco_schema_version WHERE version >= 5`);
      expect(await migratePg(pool, 'next')).toEqual({ from: 4, to: PG_MIGRATIONS.length });
      expect(await written()).toEqual(asInserted);
      expect(await dayLayerMismatches(pool)).toEqual([]);
    } finally {
      await pool.end();
    }
  });

  /**
   * A database written by schema `version` (the cells of 900 records, as that schema's write path left them:
   * written by this version into a scratch database, then its tables of that schema copied) brought to the
   * latest: the layers the later migrations add are filled from the hours exactly as the write path fills them.
   */
  async function backfilledFrom(version: number, tables: string[], added: Record<string, string>): Promise<void> {
    const pool = createPool(await cluster.createDatabase());
    const scratch = createPool(await cluster.createDatabase());
    try {
      expect(await migratePg(pool, `v${version}`, PG_MIGRATIONS.slice(0, version))).toEqual({ from: 0, to: version });
      await migratePg(scratch, 'now');
      await insertBatch(scratch, data.slice(0, 900), null, new Set());
      for (const table of tables) {
        const { rows } = await scratch.query(`SELECT * FROM ${table}`);
        await pool.query(`INSERT INTO ${table} SELECT * FROM json_populate_recordset(NULL::${table}, $1)`, [JSON.stringify(rows)]);
      }
      const written = async (db: typeof pool) => {
        const out: Record<string, unknown[]> = {};
        for (const [table, cols] of Object.entries(added)) out[table] = (await db.query(`SELECT ${cols} FROM ${table} ORDER BY ${cols.split(',').map((_, i) => i + 1).join(', ')}`)).rows;
        return out;
      };
      const asInserted = await written(scratch);
      for (const rows of Object.values(asInserted)) expect(rows.length).toBeGreaterThan(8); // 3 UTC months × 3 users and none, at least
      expect(await migratePg(pool, 'next')).toEqual({ from: version, to: PG_MIGRATIONS.length });
      expect(await written(pool)).toEqual(asInserted);
      expect(await dayLayerMismatches(pool)).toEqual([]);
    } finally {
      await scratch.end();
      await pool.end();
    }
  }
  const SCHEMA_5 = ['rollups', 'session_rollups', 'error_rollups', 'sessions', 'day_rollups', 'day_team_rollups', 'day_user_rollups', 'session_day_rollups', 'error_day_rollups', 'session_totals'];
  const SCHEMA_6_ADDED = {
    hour_team_rollups: `hour_start_ms, model, project, ${TEXTS}`,
    month_user_rollups: `month_start_ms, user_name, ${TEXTS}`,
  };
  const SCHEMA_7_ADDED = {
    day_model_rollups: 'day_start_ms, model, requests::text, cost_nano_usd::text',
    day_project_rollups: 'day_start_ms, project, requests::text, cost_nano_usd::text',
    month_team_rollups: `month_start_ms, model, project, ${TEXTS}`,
  };

  const SCHEMA_8_ADDED = {
    local_day_model_rollups: 'start_hour, day_start_ms, model, requests::text, cost_nano_usd::text',
    local_day_project_rollups: 'start_hour, day_start_ms, project, requests::text, cost_nano_usd::text',
  };

  it('5 → 6 backfills the team hours and the users\' months from a database written by schema 5', async () => {
    await backfilledFrom(5, SCHEMA_5, { ...SCHEMA_6_ADDED, ...SCHEMA_7_ADDED, ...SCHEMA_8_ADDED });
  });

  it('6 → 7 backfills the team\'s days per model and per project and its months from a database written by schema 6', async () => {
    await backfilledFrom(6, [...SCHEMA_5, ...Object.keys(SCHEMA_6_ADDED)], { ...SCHEMA_7_ADDED, ...SCHEMA_8_ADDED });
  });

  it('7 → 8 backfills the local days per model and per project from a database written by schema 7', async () => {
    await backfilledFrom(7, [...SCHEMA_5, ...Object.keys(SCHEMA_6_ADDED), ...Object.keys(SCHEMA_7_ADDED)], SCHEMA_8_ADDED);
  });
});

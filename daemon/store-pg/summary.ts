/**
 * Summaries on PostgreSQL, from the rollups only (never the detail), with the embedded store's rules (see
 * daemon/store/summary.ts: hours attributed by their midpoint, ranges in the caller's IANA zone, top 50
 * sessions): the database sums the cells of the range over users, the folding into totals, groups and
 * buckets is the same arithmetic in JS. Adds `byUser` (the team view) and an optional `user` filter.
 * Day-bucketed ranges read whole UTC days from the day layers (schema.ts migration 5; DayPlan below) and hours
 * at their edges: the same answer from ~1/10 of the cells for the team's long ranges.
 */
import type pg from 'pg';
import type { ErrorCounts, SeriesPoint, SessionGroup, SpendGroup, SpendTotals, Summary } from '../../shared/contract.ts';
import { HOUR_MS } from '../store/rows.ts';
import { NONE_KEY } from '../store/queries.ts';
import { TOP_SESSIONS, type SummaryQuery } from '../store/summary.ts';
import { addDays, isValidTimeZone, localDate, startOfDayContaining, startOfDaysAgo, startOfLocalDay, startOfMonthContaining } from '../store/tz.ts';
import { COUNTER_SQL } from './rows.ts';

export interface PgSummaryQuery extends SummaryQuery {
  /** Narrow everything to one user ("(none)" = requests without a user). */
  user?: string;
  /** false: read only the hourly cells (the same answer, slower: tests and bench:team's A/B compare the two). */
  days?: boolean;
}

const HALF_HOUR = HOUR_MS / 2;
const DAY_MS = 24 * HOUR_MS;
const COUNTERS = 11;
const SUMS = COUNTER_SQL.split(', ').map((c) => `SUM(${c})`).join(', ');
/** NULL for each counter after the first two (rows that carry only requests and cost). */
const PAD = ', NULL::numeric'.repeat(COUNTERS - 2);

function totalsOf(a: ArrayLike<number>): SpendTotals {
  return {
    requests: a[0]!,
    costNanoUsd: a[1]!,
    unpricedRequests: a[2]!,
    cacheSavingsNanoUsd: a[3]!,
    responseCacheHits: a[9]!,
    responseCacheSavedNanoUsd: a[10]!,
    tokens: { input: a[4]!, cacheWrite5m: a[5]!, cacheWrite1h: a[6]!, cacheRead: a[7]!, output: a[8]! },
  };
}

const keyParam = (v: string): string => (v === NONE_KEY ? '' : v);

/** WHERE parts and values shared by every summary read: hour window, optional session and user. */
function scope(q: PgSummaryQuery, from: number, to: number): { where: string; values: unknown[] } {
  const values: unknown[] = [from - HALF_HOUR, to];
  const where = ['hour_start_ms >= $1', 'hour_start_ms < $2'];
  if (q.session !== undefined) {
    values.push(keyParam(q.session));
    where.push(`session = $${values.length}`);
  }
  if (q.user !== undefined) {
    values.push(keyParam(q.user));
    where.push(`user_name = $${values.length}`);
  }
  return { where: where.join(' AND '), values };
}

/** The first cell hour of a summary's scope (range=all starts on its local day), null when there is none. */
async function firstHour(db: pg.Pool, q: PgSummaryQuery): Promise<number | null> {
  const where: string[] = [];
  const values: unknown[] = [];
  if (q.session !== undefined) where.push(`session = $${values.push(keyParam(q.session))}`);
  if (q.user !== undefined) where.push(`user_name = $${values.push(keyParam(q.user))}`);
  const table = q.session === undefined ? 'rollups' : 'session_rollups';
  const { rows } = await db.query<{ h: number | null }>(
    `SELECT MIN(hour_start_ms) AS h FROM ${table}${where.length ? ` WHERE ${where.join(' AND ')}` : ''}`,
    values,
  );
  const h = rows[0]?.h;
  return h === null || h === undefined ? null : Number(h);
}

/** The range of a summary; range=all needs the first cell hour of its scope (`first`, null: none). */
function resolveRange(q: PgSummaryQuery & { now: number }, first: number | null): { from: number; to: number; bucket: 'hour' | 'day' } {
  const now = q.now;
  switch (q.range) {
    case 'today':
      return { from: startOfDayContaining(now, q.tz), to: now, bucket: 'hour' };
    case '7d':
      return { from: startOfDaysAgo(now, 6, q.tz), to: now, bucket: 'day' };
    case '30d':
      return { from: startOfDaysAgo(now, 29, q.tz), to: now, bucket: 'day' };
    case 'month':
      return { from: startOfMonthContaining(now, q.tz), to: now, bucket: 'day' };
    case 'all': {
      const from = startOfDayContaining(first === null ? now : Math.min(first + HALF_HOUR, now), q.tz);
      return { from, to: now, bucket: 'day' };
    }
    case 'custom': {
      const { from, to } = q;
      if (from === undefined || to === undefined || !Number.isFinite(from) || !Number.isFinite(to) || from >= to) {
        throw new RangeError('custom range needs from < to');
      }
      return { from, to, bucket: to - from <= 48 * HOUR_MS ? 'hour' : 'day' };
    }
    default:
      throw new RangeError(`unknown range: ${String(q.range)}`);
  }
}

/** Series bucket starts: every hour from `from`, or each local day's start (the first clipped to `from`). */
function bucketStarts(from: number, to: number, bucket: 'hour' | 'day', tz: string): number[] {
  const starts: number[] = [];
  if (bucket === 'hour') {
    for (let t = from; t < to; t += HOUR_MS) starts.push(t);
    return starts;
  }
  let d = localDate(from, tz);
  for (let t = startOfLocalDay(d, tz); t < to; d = addDays(d, 1), t = startOfLocalDay(d, tz)) starts.push(Math.max(t, from));
  return starts;
}

/**
 * How a day-bucketed summary reads the UTC-day layer (day_rollups, session_day_rollups) instead of the hours.
 * The hours a range covers are those with from − 30 min ≤ hour start < to (scope()); of them, whole UTC days
 * [dayFrom, dayTo) are read from the day tables and the rest (`edges`: at most a day's hours at each end) from
 * the hourly ones, which sums exactly the same cells (integer counters).
 *
 * The series needs each cell in its local-day bucket (the hour's midpoint rule): a UTC day whose 24 hours fall
 * in one bucket goes there whole; otherwise (every day, in a zone whose day does not start on a UTC midnight:
 * 1–2 hours for Europe/Paris, 6 for Asia/Kolkata) the day goes to the bucket of most of its hours
 * (`dayBuckets`), and each of its other hours (`moved`) is read from the hourly cells, subtracted from that
 * bucket and added to its own. Totals and groups over the range see +hour −hour: nothing.
 */
export interface DayPlan {
  /** The range's hours: [hourFrom, hourTo). */
  hourFrom: number;
  hourTo: number;
  dayFrom: number;
  dayTo: number;
  /** The clamped series bucket (1-based) of each day of [dayFrom, dayTo). */
  dayBuckets: number[];
  /** Hour starts of the range outside [dayFrom, dayTo). */
  edges: number[];
  /** Hour starts inside [dayFrom, dayTo) whose bucket is not their day's. */
  moved: number[];
  /**
   * The whole UTC months inside [dayFrom, dayTo): [monthFrom, monthTo), read from the month layer by the team's
   * by-user breakdown (its days outside them from the day layer); monthFrom = monthTo = dayTo when there is none.
   */
  monthFrom: number;
  monthTo: number;
}

/** The first ms of the UTC month holding `t`, and of the next one. */
const monthStart = (t: number, next = 0): number => {
  const d = new Date(t);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + next, 1);
};

/** width_bucket(x, starts) clamped to [1, starts.length], as the series folding does. */
function bucketOf(x: number, starts: readonly number[]): number {
  let lo = 0;
  let hi = starts.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (starts[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return Math.max(1, Math.min(starts.length, lo));
}

/** The day plan of a day-bucketed range, or null when no whole UTC day lies inside it. */
export function planDays(from: number, to: number, starts: readonly number[]): DayPlan | null {
  if (starts.length === 0) return null;
  const hourFrom = Math.ceil((from - HALF_HOUR) / HOUR_MS) * HOUR_MS;
  const hourTo = Math.ceil(to / HOUR_MS) * HOUR_MS;
  const dayFrom = Math.ceil(hourFrom / DAY_MS) * DAY_MS;
  const dayTo = Math.floor(hourTo / DAY_MS) * DAY_MS;
  if (dayFrom >= dayTo) return null;
  const edges: number[] = [];
  for (let h = hourFrom; h < dayFrom; h += HOUR_MS) edges.push(h);
  for (let h = dayTo; h < hourTo; h += HOUR_MS) edges.push(h);
  const dayBuckets: number[] = [];
  const moved: number[] = [];
  const hours = new Array<number>(24);
  for (let d = dayFrom; d < dayTo; d += DAY_MS) {
    const count = new Map<number, number>();
    for (let k = 0; k < 24; k++) {
      const b = bucketOf(d + k * HOUR_MS + HALF_HOUR, starts);
      hours[k] = b;
      count.set(b, (count.get(b) ?? 0) + 1);
    }
    let best = hours[0]!;
    for (const [b, n] of count) if (n > count.get(best)!) best = b;
    dayBuckets.push(best);
    for (let k = 0; k < 24; k++) if (hours[k] !== best) moved.push(d + k * HOUR_MS);
  }
  let monthFrom = monthStart(dayFrom) === dayFrom ? dayFrom : monthStart(dayFrom, 1);
  let monthTo = monthStart(dayTo);
  if (monthFrom >= monthTo) monthFrom = monthTo = dayTo;
  return { hourFrom, hourTo, dayFrom, dayTo, dayBuckets, edges, moved, monthFrom, monthTo };
}

/**
 * How the team's series of a day-bucketed range reads the local-day layers (migration 8) instead of the UTC days
 * and the hours a local day moves. Bucket i holds the hours [E_i, E_i+1): E_i is the first whole hour whose
 * midpoint is at or after the bucket's start (the range's first hour for the first bucket), the last ends at
 * the range's end. In any zone, whole, half or quarter hours off UTC, a local day is the 24 hours from a whole
 * UTC hour, read as one row per model and per project of the window from E_i; the days of one UTC start hour
 * that follow each other are one run (one range scan). A bucket of another length (the range's partial first
 * and last days, a DST change's 23 or 25 hours) is read from its hours.
 */
export interface WindowPlan {
  /** Runs of 24-hour buckets: the windows' UTC start hour (0–23), the first and the last window start. */
  runHours: number[];
  runFirst: number[];
  runLast: number[];
  /** Hour starts of the other buckets. */
  hours: number[];
}

export function planWindows(hourFrom: number, hourTo: number, starts: readonly number[]): WindowPlan {
  const plan: WindowPlan = { runHours: [], runFirst: [], runLast: [], hours: [] };
  const bounds = starts.map((t, i) => (i === 0 ? hourFrom : Math.ceil((t - HALF_HOUR) / HOUR_MS) * HOUR_MS));
  bounds.push(hourTo);
  for (let i = 0; i + 1 < bounds.length; i++) {
    const [a, b] = [bounds[i]!, bounds[i + 1]!];
    if (b - a !== DAY_MS) {
      for (let h = a; h < b; h += HOUR_MS) plan.hours.push(h);
      continue;
    }
    const k = (((a % DAY_MS) + DAY_MS) % DAY_MS) / HOUR_MS;
    const n = plan.runLast.length - 1;
    if (n >= 0 && plan.runHours[n] === k && plan.runLast[n] === a - DAY_MS) plan.runLast[n] = a;
    else {
      plan.runHours.push(k);
      plan.runFirst.push(a);
      plan.runLast.push(a);
    }
  }
  return plan;
}

/** A SELECT's WHERE: the optional user, with its parameter appended to `values`. */
function userWhere(q: PgSummaryQuery, values: unknown[]): string {
  return q.user === undefined ? '' : ` AND user_name = $${values.push(keyParam(q.user))}`;
}

/**
 * The day path's reads (see DayPlan): the series cells with the range's groups, the users' totals and the
 * errors, each from the day cells of [dayFrom, dayTo) and the hourly cells of its edges. The team view (no
 * user) reads the layers without the user: its series from the local-day layers (WindowPlan), its groups from
 * month_team_rollups, day_team_rollups and hour_team_rollups, its by-user breakdown from month_user_rollups,
 * day_user_rollups and rollups; one user's view reads day_rollups and rollups through their indexes by user
 * (and the moved hours of DayPlan), and its by-user row is the sum of its groups.
 *
 * The cells come back folded as far as the answer needs: per bucket × model and bucket × project only the
 * requests and cost the series shows (1, 2), per model × project every counter (3; the moved hours are left
 * out there: +1 −1). ~days × (models + projects) rows of 2 numbers instead of days × models × projects rows of
 * 11 (bench:team's range=all). Two plain GROUP BYs over a materialized list cost PostgreSQL about a third of
 * the aggregate transitions GROUPING SETS did (each set computes every aggregate); sending the cells unfolded
 * to be folded here was slower (bench:team's team range=all in process, 3–4.4 M rows, load 5–8, A/B: GROUPING
 * SETS 101 → 92 ms; unfolded 91 → 146 ms).
 */
function dayQueries(q: PgSummaryQuery, plan: DayPlan, starts: readonly number[]): { cells: pg.QueryArrayConfig; users: pg.QueryArrayConfig | null; errors: pg.QueryArrayConfig; timeKeyed: boolean } {
  const team = q.user === undefined;
  const cellValues: unknown[] = [plan.dayFrom, plan.dayTo, plan.dayBuckets, plan.edges, starts, plan.moved];
  const cu = userWhere(q, cellValues);
  const dayBucket = (col: string): string => `($3::int4[])[((${col} - $1) / ${DAY_MS})::int4 + 1]`;
  // The team: the series from the local-day layers, per model and per project (requests and cost only;
  // WindowPlan), and the hours of the buckets that are not 24 hours long; the groups from whole UTC months, the
  // other UTC days and the edge hours (migration 7). Nothing moves: a local day is read whole. Each window row is
  // one bucket's already, so the series comes keyed by its windows' (and hours') starts, not summed, and is put
  // in its buckets here (the same midpoint rule): PostgreSQL's width_bucket and a hash aggregate over the ≈3,400
  // rows of range=all cost more than the rows themselves (EXPLAIN ANALYZE at 5 M rows). One row per model and
  // per project carries them as text ("start:requests:cost,…"): node-pg parsing ≈4,000 rows one by one was a
  // third of the daemon's CPU for the call (bench:team-ab: 37 → 26 ms a call).
  const windows = team ? planWindows(plan.hourFrom, plan.hourTo, starts) : null;
  const teamSeries = (g: number, key: string, table: string): string => `SELECT ${g}, NULL::int8, ${key === 'model' ? 'k, NULL::text' : 'NULL::text, k'}${PAD}, NULL::numeric, NULL::numeric,
        string_agg(concat(t, ':', n, ':', c), ',') FROM (
          SELECT w.day_start_ms AS t, w.${key} AS k, w.requests AS n, w.cost_nano_usd AS c
            FROM unnest($6::int2[], $7::int8[], $8::int8[]) AS r(k, a, z) CROSS JOIN LATERAL (SELECT day_start_ms, ${key}, requests, cost_nano_usd FROM ${table}
              WHERE start_hour = r.k AND day_start_ms >= r.a AND day_start_ms <= r.z OFFSET 0) w
          UNION ALL
          SELECT hour_start_ms, ${key}, SUM(requests), SUM(cost_nano_usd) FROM hours GROUP BY hour_start_ms, ${key}
        ) s GROUP BY k`;
  const teamCells = windows && {
    text: `WITH edges AS MATERIALIZED (SELECT model, project, ${COUNTER_SQL} ${hourCells('hour_team_rollups', '$3', `model, project, ${COUNTER_SQL}`, '')}),
        hours AS MATERIALIZED (SELECT hour_start_ms, model, project, requests, cost_nano_usd ${hourCells('hour_team_rollups', '$9', 'hour_start_ms, model, project, requests, cost_nano_usd', '')})
      ${teamSeries(1, 'model', 'local_day_model_rollups')}
      UNION ALL
      ${teamSeries(2, 'project', 'local_day_project_rollups')}
      UNION ALL
      SELECT 3, NULL::int8, model, project, ${SUMS}, NULL::text FROM (
        SELECT model, project, ${COUNTER_SQL} FROM month_team_rollups WHERE month_start_ms >= $4 AND month_start_ms < $5
        UNION ALL SELECT model, project, ${COUNTER_SQL} FROM day_team_rollups WHERE day_start_ms >= $1 AND day_start_ms < $4
        UNION ALL SELECT model, project, ${COUNTER_SQL} FROM day_team_rollups WHERE day_start_ms >= $5 AND day_start_ms < $2
        UNION ALL SELECT model, project, ${COUNTER_SQL} FROM edges
      ) c GROUP BY model, project`,
    values: [plan.dayFrom, plan.dayTo, plan.edges, plan.monthFrom, plan.monthTo, windows.runHours, windows.runFirst, windows.runLast, windows.hours],
    rowMode: 'array' as const,
  };
  // One user: the day cells and the edge hours of that user, and the hours a local day moves (read once: +1 into
  // their own bucket, −1 out of their UTC day's; left out of the groups, where they net to zero).
  const userCells = {
    text: `WITH base AS MATERIALIZED (
        SELECT ${dayBucket('day_start_ms')} AS b, model, project, ${COUNTER_SQL} FROM day_rollups
          WHERE day_start_ms >= $1 AND day_start_ms < $2${cu}
        UNION ALL
        SELECT width_bucket(hour_start_ms + ${HALF_HOUR}, $5::int8[]), model, project, ${COUNTER_SQL}
          ${hourCells('rollups', '$4', `hour_start_ms, model, project, ${COUNTER_SQL}`, cu)}
      ), moved AS MATERIALIZED (
        SELECT hour_start_ms, model, project, requests, cost_nano_usd ${hourCells('rollups', '$6', 'hour_start_ms, model, project, requests, cost_nano_usd', cu)}
      ), series AS MATERIALIZED (
        SELECT b, model, project, requests, cost_nano_usd FROM base
        UNION ALL
        SELECT width_bucket(hour_start_ms + ${HALF_HOUR}, $5::int8[]), model, project, requests, cost_nano_usd FROM moved
        UNION ALL
        SELECT ${dayBucket('hour_start_ms')}, model, project, -requests, -cost_nano_usd FROM moved
      )
      SELECT 1, b, model, NULL::text, SUM(requests), SUM(cost_nano_usd)${PAD} FROM series GROUP BY b, model HAVING SUM(requests) <> 0
      UNION ALL
      SELECT 2, b, NULL::text, project, SUM(requests), SUM(cost_nano_usd)${PAD} FROM series GROUP BY b, project HAVING SUM(requests) <> 0
      UNION ALL
      SELECT 3, NULL::int4, model, project, ${SUMS} FROM base GROUP BY model, project`,
    values: cellValues,
    rowMode: 'array' as const,
  };
  const cells = teamCells ?? userCells;
  const rangeValues: unknown[] = [plan.dayFrom, plan.dayTo, plan.edges];
  const ru = userWhere(q, rangeValues);
  const users = team
    ? {
        text: `SELECT user_name, ${SUMS} FROM (
            SELECT user_name, ${COUNTER_SQL} FROM month_user_rollups WHERE month_start_ms >= $4 AND month_start_ms < $5
            UNION ALL
            SELECT user_name, ${COUNTER_SQL} FROM day_user_rollups WHERE day_start_ms >= $1 AND day_start_ms < $4
            UNION ALL
            SELECT user_name, ${COUNTER_SQL} FROM day_user_rollups WHERE day_start_ms >= $5 AND day_start_ms < $2
            UNION ALL
            SELECT user_name, ${COUNTER_SQL} ${hourCells('rollups', '$3', `user_name, ${COUNTER_SQL}`, '')}
          ) c GROUP BY user_name`,
        values: [...rangeValues, plan.monthFrom, plan.monthTo],
        rowMode: 'array' as const,
      }
    : null;
  const errors = {
    text: `SELECT kind, SUM(requests) AS n FROM (
        SELECT kind, requests FROM error_day_rollups WHERE day_start_ms >= $1 AND day_start_ms < $2${ru}
        UNION ALL
        SELECT kind, requests ${hourCells('error_rollups', '$3', 'kind, requests', ru)}
      ) e GROUP BY kind ORDER BY n DESC, kind COLLATE "C" ASC`,
    values: rangeValues,
    rowMode: 'array' as const,
  };
  // the team's series rows carry a window's or an hour's start (its bucket: the one holding its midpoint), one
  // user's the bucket
  return { cells, users, errors, timeKeyed: team };
}

/** A session's project and first/last request, joined to each row of a top-sessions read. */
const SESSION_INFO = 'LEFT JOIN LATERAL (SELECT project, first_ms, last_ms FROM sessions WHERE sessions.session = t.session OFFSET 0) i ON true';

/** Byte order of two strings' UTF-8 (PostgreSQL's COLLATE "C", the embedded store's order). */
const byteOrder = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b));

/** The costliest sessions of a day-path range (the order of readSessions). */
async function readSessionsByDay(db: pg.Pool, q: PgSummaryQuery, plan: DayPlan): Promise<SessionGroup[]> {
  const values: unknown[] = [plan.dayFrom, plan.dayTo, plan.edges];
  if (q.user !== undefined) {
    // One user: every counter of that user's sessions of the range summed at once from the index-only scans by
    // user (both indexes carry the counters; a user has ~1,000 sessions in 9 months), then the 50 costliest.
    // (Ranked by two sums first, the 50 kept were summed again through the index by session: a heap visit to
    // every hourly cell of each, to pick the edge hours out.)
    const ru = userWhere(q, values);
    const { rows } = await db.query({
      text: `SELECT t.*, i.project, i.first_ms, i.last_ms FROM (
          SELECT session, ${SUMS}, SUM(cost_nano_usd) AS c, SUM(requests) AS n FROM (
            SELECT session, ${COUNTER_SQL} FROM session_day_rollups WHERE day_start_ms >= $1 AND day_start_ms < $2${ru}
            UNION ALL
            SELECT session, ${COUNTER_SQL} ${hourCells('session_rollups', '$3', `session, ${COUNTER_SQL}`, ru)}
          ) x GROUP BY session ORDER BY c DESC, n DESC, session ASC LIMIT ${TOP_SESSIONS}) t
        ${SESSION_INFO}
        ORDER BY t.c DESC, t.n DESC, t.session ASC`,
      values,
      rowMode: 'array',
    });
    return sessionGroups(rows as Values[]);
  }
  // The team: a session whose cells all lie in the range counts its totals (session_totals, read in the order
  // wanted, so the first 50 wholly inside are enough); one that crosses an end of the range (first cell before
  // it, a later one at or after that end) is summed from its cells. Merged, the first 50 are the answer.
  // One statement (one round trip, one backend): the two parts are small.
  const { hourFrom, hourTo } = plan;
  const both = await db.query({
    text: `(SELECT t.session, ${COUNTER_SQL}, t.cost_nano_usd AS c, t.requests AS n, i.project, i.first_ms, i.last_ms FROM (
          SELECT * FROM session_totals WHERE first_hour_ms >= $4 AND last_hour_ms < $5
          ORDER BY cost_nano_usd DESC, requests DESC, session ASC LIMIT ${TOP_SESSIONS}) t
        ${SESSION_INFO})
      UNION ALL
      (SELECT t.session, s.*, i.project, i.first_ms, i.last_ms FROM (
          SELECT session FROM session_totals WHERE int8range(first_hour_ms, last_hour_ms, '[]') @> $4::int8 AND first_hour_ms < $4
          UNION
          SELECT session FROM session_totals WHERE int8range(first_hour_ms, last_hour_ms, '[]') @> $5::int8 AND first_hour_ms < $5) t
        CROSS JOIN LATERAL (SELECT *, cost_nano_usd AS c, requests AS n FROM (SELECT ${COUNTER_SQL.split(', ').map((c) => `SUM(${c}) AS ${c}`).join(', ')} FROM (
          SELECT ${COUNTER_SQL} FROM session_day_rollups WHERE session = t.session AND day_start_ms >= $1 AND day_start_ms < $2
          UNION ALL
          SELECT ${COUNTER_SQL} FROM session_rollups WHERE session = t.session AND hour_start_ms = ANY($3::int8[])) y) z
          WHERE requests IS NOT NULL) s
        ${SESSION_INFO})`,
    values: [...values, hourFrom, hourTo],
    rowMode: 'array',
  });
  const rows = [...(both.rows as Values[])];
  const at = 1 + COUNTERS;
  rows.sort((a, b) => Number(b[at]) - Number(a[at]) || Number(b[at + 1]) - Number(a[at + 1]) || byteOrder(String(a[0]), String(b[0])));
  return sessionGroups(rows.slice(0, TOP_SESSIONS));
}

/**
 * `FROM` the cells of `table` at the hour starts in the array parameter, one index probe per hour (OFFSET 0
 * keeps the planner from turning it into a join it estimates from the average hour: a seq scan of the table).
 */
function hourCells(table: string, param: string, cols: string, where: string): string {
  return `FROM unnest(${param}::int8[]) AS h(t) CROSS JOIN LATERAL (SELECT ${cols} FROM ${table} WHERE hour_start_ms = h.t${where} OFFSET 0) r`;
}

function sortGroups(m: Map<string, number[]>): SpendGroup[] {
  return [...m.entries()]
    .map(([key, a]) => ({ key, ...totalsOf(a) }))
    .sort((a, b) => b.costNanoUsd - a.costNanoUsd || b.requests - a.requests || a.key.localeCompare(b.key));
}

type Values = unknown[];

/**
 * range=all's first cell hour as last read, per pool and user (not per session: too many). The summary is built
 * from it while the database is asked again, in parallel: one round trip less before the reads. When it
 * changed (older cells arrived: a history import, another daemon's backlog) the summary is built again from
 * the new one, so the answer is always the one from a first hour read during the call.
 */
const firstHours = new WeakMap<pg.Pool, Map<string, number | null>>();

export async function buildSummary(db: pg.Pool, query: PgSummaryQuery): Promise<Summary> {
  if (!isValidTimeZone(query.tz)) throw new RangeError(`unknown time zone: ${query.tz}`);
  const q = { ...query, now: query.now ?? Date.now() };
  if (q.range !== 'all') return summarize(db, q, resolveRange(q, null));
  let known = firstHours.get(db);
  if (!known) firstHours.set(db, (known = new Map()));
  const key = q.session !== undefined ? null : q.user === undefined ? 'team' : `user:${q.user}`;
  const firstQ = firstHour(db, q);
  if (key !== null && known.has(key)) {
    const guess = known.get(key)!;
    const [summary, first] = await Promise.all([summarize(db, q, resolveRange(q, guess)), firstQ]);
    if (first === guess) return summary;
    known.set(key, first);
    return summarize(db, q, resolveRange(q, first));
  }
  const first = await firstQ;
  if (known.size >= 1000) known.clear(); // any names a caller asks for: bounded
  if (key !== null) known.set(key, first);
  return summarize(db, q, resolveRange(q, first));
}

async function summarize(db: pg.Pool, q: PgSummaryQuery, { from, to, bucket }: { from: number; to: number; bucket: 'hour' | 'day' }): Promise<Summary> {
  const starts = bucketStarts(from, to, bucket, q.tz);
  const series: SeriesPoint[] = starts.map((t) => ({ t: new Date(t).toISOString(), costNanoUsd: 0, requests: 0, byModel: {}, byProject: {} }));
  const s = scope(q, from, to);
  const table = q.session === undefined ? 'rollups' : 'session_rollups';
  // Cells summed per series bucket in the database: width_bucket over the bucket starts gives the last
  // start at or before the hour's midpoint (1-based; 0 = before the first, clamped to it as the embedded
  // store does). Grouped by hour instead, every hour × model × project of the range came here to be folded:
  // ~90 k rows for range=all at 5 M requests (bench:team), against days × models × projects now.
  // Whole UTC days from the day layer (DayPlan), for the team's views of long ranges; one session's summary
  // reads its own hours (few cells, and the day layer has no model or project per session).
  const plan = q.session === undefined && bucket === 'day' && q.days !== false ? planDays(from, to, starts) : null;
  const viaDays = plan ? dayQueries(q, plan, starts) : null;
  const cellsQ = db.query(viaDays?.cells ?? {
    text: `SELECT width_bucket(hour_start_ms + ${HALF_HOUR}, $${s.values.length + 1}::int8[]) AS b, model, project, ${SUMS}
      FROM ${table} WHERE ${s.where} GROUP BY b, model, project`,
    values: [...s.values, starts.length > 0 ? starts : [from]],
    rowMode: 'array',
  });
  const usersQ = viaDays && !viaDays.users ? null : db.query(viaDays?.users ?? {
    text: `SELECT user_name, ${SUMS} FROM ${table} WHERE ${s.where} GROUP BY user_name`,
    values: s.values,
    rowMode: 'array',
  });
  const sessionsQ = q.sessions === false ? null : plan ? readSessionsByDay(db, q, plan) : readSessions(db, q, from, to);
  const errorsQ = db.query(viaDays?.errors ?? {
    text: `SELECT kind, SUM(requests) AS n FROM error_rollups WHERE ${s.where} GROUP BY kind ORDER BY n DESC, kind COLLATE "C" ASC`,
    values: s.values,
    rowMode: 'array',
  });
  const [cells, users, sessions, errorRows] = await Promise.all([cellsQ, usersQ, sessionsQ, errorsQ]);
  const errors: ErrorCounts = { requests: 0, byKind: [] };
  for (const v of errorRows.rows as Values[]) {
    const n = Number(v[1] ?? 0);
    errors.byKind.push({ kind: String(v[0]), requests: n });
    errors.requests += n;
  }

  const byModel = new Map<string, number[]>();
  const byProject = new Map<string, number[]>();
  const byUser = new Map<string, number[]>();
  const add = (m: Map<string, number[]>, key: string, v: Values, at: number): void => {
    let acc = m.get(key);
    if (!acc) m.set(key, (acc = new Array<number>(COUNTERS).fill(0)));
    for (let i = 0; i < COUNTERS; i++) acc[i]! += Number(v[at + i] ?? 0);
  };
  const pointOf = (b: unknown): SeriesPoint | undefined => series[Math.max(0, Math.min(series.length - 1, Number(b) - 1))];
  const addSeries = (point: SeriesPoint, g: number, model: string, project: string, requests: number, cost: number): void => {
    if (g === 1) {
      point.requests += requests;
      point.costNanoUsd += cost;
      point.byModel[model] = (point.byModel[model] ?? 0) + cost;
    } else point.byProject[project] = (point.byProject[project] ?? 0) + cost;
  };
  if (viaDays) {
    // dayQueries' cells: 1 = bucket × model, 2 = bucket × project (requests, cost), 3 = model × project (all)
    for (const v of cells.rows as Values[]) {
      const g = Number(v[0]);
      const model = String(v[2] ?? '') || NONE_KEY;
      const project = String(v[3] ?? '') || NONE_KEY;
      if (g === 3) {
        add(byModel, model, v, 4);
        add(byProject, project, v, 4);
        if (q.user !== undefined) add(byUser, keyParam(q.user) || NONE_KEY, v, 4);
        continue;
      }
      if (viaDays.timeKeyed) {
        // the team: one row per model or project, its windows and hours as "start:requests:cost,…"
        const xs = String(v[4 + COUNTERS] ?? '').split(/[:,]/);
        for (let i = 0; i + 2 < xs.length; i += 3) {
          const point = series[bucketOf(Number(xs[i]) + HALF_HOUR, starts) - 1];
          if (point) addSeries(point, g, model, project, Number(xs[i + 1]), Number(xs[i + 2]));
        }
        continue;
      }
      const point = pointOf(v[1]);
      if (point) addSeries(point, g, model, project, Number(v[4] ?? 0), Number(v[5] ?? 0));
    }
  } else {
    for (const v of cells.rows as Values[]) {
      const model = String(v[1] ?? '') || NONE_KEY;
      const project = String(v[2] ?? '') || NONE_KEY;
      add(byModel, model, v, 3);
      add(byProject, project, v, 3);
      const point = pointOf(v[0]);
      if (!point) continue;
      const cost = Number(v[4] ?? 0);
      point.requests += Number(v[3] ?? 0);
      point.costNanoUsd += cost;
      point.byModel[model] = (point.byModel[model] ?? 0) + cost;
      point.byProject[project] = (point.byProject[project] ?? 0) + cost;
    }
  }
  for (const v of (users?.rows ?? []) as Values[]) add(byUser, String(v[0] ?? '') || NONE_KEY, v, 1);
  const sum = new Array<number>(COUNTERS).fill(0);
  for (const a of byModel.values()) for (let i = 0; i < COUNTERS; i++) sum[i]! += a[i]!;
  return {
    range: q.range,
    tz: q.tz,
    from: new Date(from).toISOString(),
    to: new Date(to).toISOString(),
    bucket,
    totals: totalsOf(sum),
    byModel: sortGroups(byModel),
    byProject: sortGroups(byProject),
    bySession: sessions ?? [],
    byUser: sortGroups(byUser),
    errors,
    ...(q.session === undefined ? {} : { session: q.session }),
    series,
  };
}

/** The costliest sessions of the range (ties: requests, then session in byte order), as the embedded store. */
async function readSessions(db: pg.Pool, q: PgSummaryQuery, from: number, to: number): Promise<SessionGroup[]> {
  const s = scope(q, from, to);
  const { rows } = await db.query({
    text: `SELECT t.*, i.project, i.first_ms, i.last_ms FROM (
        SELECT session, ${SUMS}, SUM(cost_nano_usd) AS c, SUM(requests) AS n FROM session_rollups WHERE ${s.where}
        GROUP BY session ORDER BY c DESC, n DESC, session ASC LIMIT ${TOP_SESSIONS}) t
      LEFT JOIN LATERAL (SELECT project, first_ms, last_ms FROM sessions WHERE sessions.session = t.session OFFSET 0) i ON true
      ORDER BY t.c DESC, t.n DESC, t.session ASC`,
    values: s.values,
    rowMode: 'array',
  });
  return sessionGroups(rows as Values[]);
}

function sessionGroups(rows: Values[]): SessionGroup[] {
  return rows.map((v) => {
    const [project, first, last] = v.slice(3 + COUNTERS);
    return {
      key: String(v[0] ?? '') || NONE_KEY,
      ...totalsOf(v.slice(1, 1 + COUNTERS).map(Number)),
      project: project ? String(project) : null,
      firstAt: first === null || first === undefined ? null : Number(first),
      lastAt: last === null || last === undefined ? null : Number(last),
    };
  });
}

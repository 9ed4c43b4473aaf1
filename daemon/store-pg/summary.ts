/**
 * Summaries on PostgreSQL, from `rollups` / `session_rollups` only, with the embedded store's rules (see
 * daemon/store/summary.ts: hours attributed by their midpoint, ranges in the caller's IANA zone, top 50
 * sessions): the database sums the cells of the range over users, the folding into totals, groups and
 * buckets is the same arithmetic in JS. Adds `byUser` (the team view) and an optional `user` filter.
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
}

const HALF_HOUR = HOUR_MS / 2;
const COUNTERS = 11;
const SUMS = COUNTER_SQL.split(', ').map((c) => `SUM(${c})`).join(', ');

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

async function resolveRange(db: pg.Pool, q: PgSummaryQuery): Promise<{ from: number; to: number; bucket: 'hour' | 'day' }> {
  if (!isValidTimeZone(q.tz)) throw new RangeError(`unknown time zone: ${q.tz}`);
  const now = q.now ?? Date.now();
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
      const where: string[] = [];
      const values: unknown[] = [];
      if (q.session !== undefined) where.push(`session = $${values.push(keyParam(q.session))}`);
      if (q.user !== undefined) where.push(`user_name = $${values.push(keyParam(q.user))}`);
      const table = q.session === undefined ? 'rollups' : 'session_rollups';
      const { rows } = await db.query<{ h: number | null }>(
        `SELECT MIN(hour_start_ms) AS h FROM ${table}${where.length ? ` WHERE ${where.join(' AND ')}` : ''}`,
        values,
      );
      const first = rows[0]?.h ?? null;
      const from = startOfDayContaining(first === null ? now : Math.min(Number(first) + HALF_HOUR, now), q.tz);
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

function sortGroups(m: Map<string, number[]>): SpendGroup[] {
  return [...m.entries()]
    .map(([key, a]) => ({ key, ...totalsOf(a) }))
    .sort((a, b) => b.costNanoUsd - a.costNanoUsd || b.requests - a.requests || a.key.localeCompare(b.key));
}

type Values = unknown[];

export async function buildSummary(db: pg.Pool, q: PgSummaryQuery): Promise<Summary> {
  const { from, to, bucket } = await resolveRange(db, q);
  const starts = bucketStarts(from, to, bucket, q.tz);
  const series: SeriesPoint[] = starts.map((t) => ({ t: new Date(t).toISOString(), costNanoUsd: 0, requests: 0, byModel: {}, byProject: {} }));
  const s = scope(q, from, to);
  const table = q.session === undefined ? 'rollups' : 'session_rollups';
  // Cells summed per series bucket in the database: width_bucket over the bucket starts gives the last
  // start at or before the hour's midpoint (1-based; 0 = before the first, clamped to it as the embedded
  // store does). Grouped by hour instead, every hour × model × project of the range came here to be folded:
  // ~90 k rows for range=all at 5 M requests (bench:team), against days × models × projects now.
  const cellsQ = db.query({
    text: `SELECT width_bucket(hour_start_ms + ${HALF_HOUR}, $${s.values.length + 1}::int8[]) AS b, model, project, ${SUMS}
      FROM ${table} WHERE ${s.where} GROUP BY b, model, project`,
    values: [...s.values, starts.length > 0 ? starts : [from]],
    rowMode: 'array',
  });
  const usersQ = db.query({
    text: `SELECT user_name, ${SUMS} FROM ${table} WHERE ${s.where} GROUP BY user_name`,
    values: s.values,
    rowMode: 'array',
  });
  const sessionsQ = q.sessions === false ? null : readSessions(db, q, from, to);
  const errorsQ = db.query({
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
  const add = (m: Map<string, number[]>, key: string, v: Values, at: number): void => {
    let acc = m.get(key);
    if (!acc) m.set(key, (acc = new Array<number>(COUNTERS).fill(0)));
    for (let i = 0; i < COUNTERS; i++) acc[i]! += Number(v[at + i] ?? 0);
  };
  for (const v of cells.rows as Values[]) {
    const model = String(v[1] ?? '') || NONE_KEY;
    const project = String(v[2] ?? '') || NONE_KEY;
    add(byModel, model, v, 3);
    add(byProject, project, v, 3);
    const point = series[Math.max(0, Math.min(series.length - 1, Number(v[0]) - 1))];
    if (!point) continue;
    const cost = Number(v[4] ?? 0);
    point.requests += Number(v[3] ?? 0);
    point.costNanoUsd += cost;
    point.byModel[model] = (point.byModel[model] ?? 0) + cost;
    point.byProject[project] = (point.byProject[project] ?? 0) + cost;
  }
  const byUser = new Map<string, number[]>();
  for (const v of users.rows as Values[]) add(byUser, String(v[0] ?? '') || NONE_KEY, v, 1);
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
      LEFT JOIN sessions i ON i.session = t.session
      ORDER BY t.c DESC, t.n DESC, t.session ASC`,
    values: s.values,
    rowMode: 'array',
  });
  return (rows as Values[]).map((v) => {
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

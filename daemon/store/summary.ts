/**
 * Summaries from `rollups` only (never a scan of `requests`).
 *
 * Rollups are per UTC hour. Each rollup hour is attributed by its midpoint (start + 30 min): it belongs to
 * a range when its midpoint is at or after `from` and it has started before `to`, and to the hour/day
 * bucket that contains its midpoint. For zones with whole-hour offsets this is exact; for zones like
 * Asia/Kolkata (+5:30) or Asia/Kathmandu (+5:45) an hour straddling local midnight is counted wholly in
 * one day (an accepted approximation, see docs/design.md).
 *
 * Per-session figures come from `session_rollups` (hour × session × model × project, same counters; the keys
 * are ids into `strings`, read back as text here):
 * `bySession` lists the top sessions of the range, and `session` narrows the whole summary (totals, groups,
 * series) to one session; with `range: 'all'` the range then starts at that session's first day.
 *
 * Ranges (in the caller's IANA zone): today = local midnight → now (hour buckets); 7d / 30d = local
 * midnight 6 / 29 days ago → now; month = local first of the month → now; all = local midnight of the
 * first day with data → now; custom = [from, to) (hour buckets up to 48 h, day buckets beyond).
 */
import type { Database } from 'sql.js';
import type { ErrorCounts, SeriesPoint, SessionGroup, SpendGroup, SpendTotals, Summary, SummaryRange } from '../../shared/contract.ts';
import { HOUR_MS } from './rows.ts';
import { NONE_KEY, earliestRollupHour } from './queries.ts';
import {
  addDays,
  localDate,
  startOfDayContaining,
  startOfDaysAgo,
  startOfLocalDay,
  startOfMonthContaining,
  isValidTimeZone,
} from './tz.ts';

export interface SummaryQuery {
  range: SummaryRange | 'custom';
  tz: string;
  from?: number;
  to?: number;
  now?: number;
  /** Narrow everything to one Claude Code session ("(none)" = requests without a session). */
  session?: string;
  /** Compute `bySession` (default true); views that show no sessions skip its cost. */
  sessions?: boolean;
}

/** At most this many sessions in `bySession` (the costliest of the range). */
export const TOP_SESSIONS = 50;

const HALF_HOUR = HOUR_MS / 2;

/** Counter order of every SpendTotals read from SQL (COUNTER_COLUMNS below). */
export const COUNTERS = 11;

/** Counters in COUNTER_COLUMNS order → SpendTotals. */
export function totalsOf(a: ArrayLike<number>, at = 0): SpendTotals {
  return {
    requests: a[at]!,
    costNanoUsd: a[at + 1]!,
    unpricedRequests: a[at + 2]!,
    cacheSavingsNanoUsd: a[at + 3]!,
    responseCacheHits: a[at + 9]!,
    responseCacheSavedNanoUsd: a[at + 10]!,
    tokens: { input: a[at + 4]!, cacheWrite5m: a[at + 5]!, cacheWrite1h: a[at + 6]!, cacheRead: a[at + 7]!, output: a[at + 8]! },
  };
}

/** The [from, to) window and bucket size for a query. Throws RangeError on bad input. */
export function resolveRange(
  db: Database,
  q: SummaryQuery,
  /** The first rollup hour (range `all`), when the caller keeps it. */
  earliest: () => number | null = () => earliestRollupHour(db),
): { from: number; to: number; bucket: 'hour' | 'day' } {
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
      const first = q.session === undefined ? earliest() : earliestSessionHour(db, sessionParam(q.session));
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

/** Stored session key for a query value: "(none)" means requests without a session (''). */
export function sessionParam(session: string): string {
  return session === NONE_KEY ? '' : session;
}

/**
 * The id in `strings` of the session bound as `param` (session_rollups keys are ids, migration 8 → 9); NULL — no
 * cell — for a session never stored.
 */
export function sessionIdSql(param = '?'): string {
  return `(SELECT id FROM strings WHERE value = ${param})`;
}

function earliestSessionHour(db: Database, session: string): number | null {
  const v = db.exec(`SELECT MIN(hour_start_ms) FROM session_rollups WHERE session = ${sessionIdSql()}`, [session])[0]?.values[0]?.[0];
  return v === null || v === undefined ? null : Number(v);
}

export const COUNTER_COLUMNS = `requests, cost_nano_usd, unpriced_requests, cache_savings_nano_usd, input_tokens,
  cache_write_5m_tokens, cache_write_1h_tokens, cache_read_tokens, output_tokens, cache_hits, cache_hit_savings_nano_usd`;

/**
 * Folds the rollup cells of [from, to) (one row per hour × model × project) into totals, per-model and
 * per-project counters and the series, in one pass over the rows in primary-key (hour) order. Counters
 * are summed into flat number arrays (no object per row); the bucket of an hour is looked up once per hour.
 * With 100 k requests spread over a month this reads ~28 k cells in ~20 ms, where summing per group in
 * SQL (one GROUP BY per grouping) took twice as long and building an object per cell four times as long.
 */
function foldCells(
  db: Database,
  from: number,
  to: number,
  session: string | undefined,
  bucketOf: (hourMidpoint: number) => number,
  series: SeriesPoint[],
): { byModel: Map<string, number[]>; byProject: Map<string, number[]> } {
  const stmt =
    session === undefined
      ? db.prepare(`SELECT hour_start_ms, model, project, ${COUNTER_COLUMNS}
          FROM rollups WHERE hour_start_ms >= ? AND hour_start_ms < ? ORDER BY hour_start_ms`)
      : // keys are ids: the cells of an hour in model, then project text order, as the rollups' TEXT keys give them
        db.prepare(`SELECT r.hour_start_ms, m.value, p.value, ${COUNTER_COLUMNS}
          FROM session_rollups r JOIN strings m ON m.id = r.model JOIN strings p ON p.id = r.project
          WHERE r.hour_start_ms >= ? AND r.hour_start_ms < ? AND r.session = ${sessionIdSql()}
          ORDER BY r.hour_start_ms, m.value, p.value`);
  const byModel = new Map<string, number[]>();
  const byProject = new Map<string, number[]>();
  const add = (m: Map<string, number[]>, key: string, v: readonly unknown[]): void => {
    let acc = m.get(key);
    if (!acc) m.set(key, (acc = new Array<number>(COUNTERS).fill(0)));
    for (let i = 0; i < COUNTERS; i++) acc[i]! += Number(v[3 + i] ?? 0);
  };
  let lastHour = Number.NaN;
  let point: SeriesPoint | undefined;
  try {
    stmt.bind(session === undefined ? [from - HALF_HOUR, to] : [from - HALF_HOUR, to, sessionParam(session)]);
    while (stmt.step()) {
      const v = stmt.get();
      const hour = Number(v[0]);
      const model = String(v[1] ?? '') || NONE_KEY;
      const project = String(v[2] ?? '') || NONE_KEY;
      add(byModel, model, v);
      add(byProject, project, v);
      if (hour !== lastHour) {
        lastHour = hour;
        point = series[Math.max(0, Math.min(series.length - 1, bucketOf(hour + HALF_HOUR)))];
      }
      if (!point) continue;
      const requests = Number(v[3] ?? 0);
      const cost = Number(v[4] ?? 0);
      point.requests += requests;
      point.costNanoUsd += cost;
      point.byModel[model] = (point.byModel[model] ?? 0) + cost;
      point.byProject[project] = (point.byProject[project] ?? 0) + cost;
    }
  } finally {
    stmt.free();
  }
  return { byModel, byProject };
}

/**
 * The costliest sessions of [from, to) (same hour rule as the cells), '' shown as "(none)". Ranks on
 * cost and requests only, then sums every counter for the top `limit` through the (session, hour) index:
 * with one session_rollups row per request (sessions spread over the month) that is ~30% cheaper than
 * summing all eleven counters for every session. Ties rank by the session's text (its id in `strings` is
 * only the order it was first seen in).
 */
function readSessions(db: Database, from: number, to: number, session: string | undefined, limit: number): SessionGroup[] {
  const sums = COUNTER_COLUMNS.split(',').map((c) => `SUM(s.${c.trim()})`).join(', ');
  const one = session === undefined ? '' : ` AND session = ${sessionIdSql('?3')}`;
  const stmt = db.prepare(`WITH g AS (
      SELECT session AS sid, SUM(cost_nano_usd) AS cost, SUM(requests) AS n FROM session_rollups
      WHERE hour_start_ms >= ?1 AND hour_start_ms < ?2${one} GROUP BY session),
    top AS (
      SELECT g.sid, k.value AS session, g.cost, g.n FROM g JOIN strings k ON k.id = g.sid
      ORDER BY g.cost DESC, g.n DESC, k.value ASC LIMIT ?4)
    SELECT top.session, ${sums}, MAX(i.project), MAX(i.first_ms), MAX(i.last_ms) FROM top
      JOIN session_rollups s ON s.session = top.sid AND s.hour_start_ms >= ?1 AND s.hour_start_ms < ?2
      LEFT JOIN sessions i ON i.session = top.session
    GROUP BY top.sid ORDER BY MAX(top.cost) DESC, MAX(top.n) DESC, top.session ASC`);
  const groups: SessionGroup[] = [];
  try {
    stmt.bind(session === undefined ? [from - HALF_HOUR, to, null, limit] : [from - HALF_HOUR, to, sessionParam(session), limit]);
    while (stmt.step()) {
      const v = stmt.get();
      const n = v.slice(1, 1 + COUNTERS).map((x) => Number(x ?? 0));
      const [project, first, last] = v.slice(1 + COUNTERS);
      groups.push({
        key: String(v[0] ?? '') || NONE_KEY,
        ...totalsOf(n),
        project: project ? String(project) : null,
        firstAt: first === null || first === undefined ? null : Number(first),
        lastAt: last === null || last === undefined ? null : Number(last),
      });
    }
  } finally {
    stmt.free();
  }
  return groups;
}

/** Failed requests of [from, to) (same hour rule), optionally of one session, most frequent kind first. */
function readErrors(db: Database, from: number, to: number, session: string | undefined): ErrorCounts {
  const one = session === undefined ? '' : ' AND session = ?';
  const stmt = db.prepare(`SELECT kind, SUM(requests) AS n FROM error_rollups
    WHERE hour_start_ms >= ? AND hour_start_ms < ?${one} GROUP BY kind ORDER BY n DESC, kind ASC`);
  const byKind: ErrorCounts['byKind'] = [];
  let requests = 0;
  try {
    stmt.bind(session === undefined ? [from - HALF_HOUR, to] : [from - HALF_HOUR, to, sessionParam(session)]);
    while (stmt.step()) {
      const v = stmt.get();
      const n = Number(v[1] ?? 0);
      byKind.push({ kind: String(v[0]), requests: n });
      requests += n;
    }
  } finally {
    stmt.free();
  }
  return { requests, byKind };
}

/**
 * Bucket start instants covering [from, to), and a function mapping an instant to its bucket index
 * (arithmetic for hours, a binary search over the local midnights for days: no time-zone lookup per row).
 */
export function buckets(from: number, to: number, bucket: 'hour' | 'day', tz: string): {
  starts: number[];
  indexOf: (t: number) => number;
} {
  const starts: number[] = [];
  if (bucket === 'hour') {
    for (let t = from; t < to; t += HOUR_MS) starts.push(t);
    return { starts, indexOf: (t) => Math.floor((t - from) / HOUR_MS) };
  }
  let d = localDate(from, tz);
  for (let t = startOfLocalDay(d, tz); t < to; d = addDays(d, 1), t = startOfLocalDay(d, tz)) {
    starts.push(Math.max(t, from));
  }
  return {
    starts,
    // the last start at or before t (0 before the range)
    indexOf: (t) => {
      let lo = 0;
      let hi = starts.length - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (starts[mid]! <= t) lo = mid;
        else hi = mid - 1;
      }
      return lo;
    },
  };
}

export function sortGroups(m: Map<string, number[]>): SpendGroup[] {
  return [...m.entries()]
    .map(([key, a]) => ({ key, ...totalsOf(a) }))
    .sort((a, b) => b.costNanoUsd - a.costNanoUsd || b.requests - a.requests || a.key.localeCompare(b.key));
}

export function buildSummary(db: Database, q: SummaryQuery): Summary {
  const { from, to, bucket } = resolveRange(db, q);
  const { starts, indexOf } = buckets(from, to, bucket, q.tz);
  const series: SeriesPoint[] = starts.map((t) => ({
    t: new Date(t).toISOString(),
    costNanoUsd: 0,
    requests: 0,
    byModel: {},
    byProject: {},
  }));
  const { byModel, byProject } = foldCells(db, from, to, q.session, indexOf, series);
  // every cell has exactly one model key: the totals are the sum of the per-model counters
  const sum = new Array<number>(COUNTERS).fill(0);
  for (const a of byModel.values()) for (let i = 0; i < COUNTERS; i++) sum[i]! += a[i]!;
  const totals = totalsOf(sum);
  return {
    range: q.range,
    tz: q.tz,
    from: new Date(from).toISOString(),
    to: new Date(to).toISOString(),
    bucket,
    totals,
    byModel: sortGroups(byModel),
    byProject: sortGroups(byProject),
    bySession: q.sessions === false ? [] : readSessions(db, from, to, q.session, TOP_SESSIONS),
    errors: readErrors(db, from, to, q.session),
    ...(q.session === undefined ? {} : { session: q.session }),
    series,
  };
}

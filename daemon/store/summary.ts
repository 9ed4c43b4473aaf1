/**
 * Summaries from `rollups` only (never a scan of `requests`).
 *
 * Rollups are per UTC hour. Each rollup hour is attributed by its midpoint (start + 30 min): it belongs to
 * a range when its midpoint is at or after `from` and it has started before `to`, and to the hour/day
 * bucket that contains its midpoint. For zones with whole-hour offsets this is exact; for zones like
 * Asia/Kolkata (+5:30) or Asia/Kathmandu (+5:45) an hour straddling local midnight is counted wholly in
 * one day (the approximation DESIGN.md allows).
 *
 * Per-session figures come from `session_rollups` (hour × session × model × project, same counters):
 * `bySession` lists the top sessions of the range, and `session` narrows the whole summary (totals, groups,
 * series) to one session; with `range: 'all'` the range then starts at that session's first day.
 *
 * Ranges (in the caller's IANA zone): today = local midnight → now (hour buckets); 7d / 30d = local
 * midnight 6 / 29 days ago → now; month = local first of the month → now; all = local midnight of the
 * first day with data → now; custom = [from, to) (hour buckets up to 48 h, day buckets beyond).
 */
import type { Database } from 'sql.js';
import type { SeriesPoint, SpendGroup, SpendTotals, Summary, SummaryRange } from '../api/contract.ts';
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
}

/** At most this many sessions in `bySession` (the costliest of the range). */
export const TOP_SESSIONS = 50;

const HALF_HOUR = HOUR_MS / 2;

interface Cell {
  hour: number;
  model: string;
  project: string;
  totals: SpendTotals;
}

function emptyTotals(): SpendTotals {
  return {
    requests: 0,
    costNanoUsd: 0,
    unpricedRequests: 0,
    cacheSavingsNanoUsd: 0,
    tokens: { input: 0, cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: 0, output: 0 },
  };
}

function addInto(a: SpendTotals, b: SpendTotals): void {
  a.requests += b.requests;
  a.costNanoUsd += b.costNanoUsd;
  a.unpricedRequests += b.unpricedRequests;
  a.cacheSavingsNanoUsd += b.cacheSavingsNanoUsd;
  a.tokens.input += b.tokens.input;
  a.tokens.cacheWrite5m += b.tokens.cacheWrite5m;
  a.tokens.cacheWrite1h += b.tokens.cacheWrite1h;
  a.tokens.cacheRead += b.tokens.cacheRead;
  a.tokens.output += b.tokens.output;
}

/** The [from, to) window and bucket size for a query. Throws RangeError on bad input. */
export function resolveRange(
  db: Database,
  q: SummaryQuery,
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
      const first = q.session === undefined ? earliestRollupHour(db) : earliestSessionHour(db, sessionParam(q.session));
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
function sessionParam(session: string): string {
  return session === NONE_KEY ? '' : session;
}

function earliestSessionHour(db: Database, session: string): number | null {
  const v = db.exec('SELECT MIN(hour_start_ms) FROM session_rollups WHERE session = ?', [session])[0]?.values[0]?.[0];
  return v === null || v === undefined ? null : Number(v);
}

const COUNTER_COLUMNS = `requests, cost_nano_usd, unpriced_requests, cache_savings_nano_usd, input_tokens,
  cache_write_5m_tokens, cache_write_1h_tokens, cache_read_tokens, output_tokens`;

function totalsAt(n: (i: number) => number, i: number): SpendTotals {
  return {
    requests: n(i),
    costNanoUsd: n(i + 1),
    unpricedRequests: n(i + 2),
    cacheSavingsNanoUsd: n(i + 3),
    tokens: { input: n(i + 4), cacheWrite5m: n(i + 5), cacheWrite1h: n(i + 6), cacheRead: n(i + 7), output: n(i + 8) },
  };
}

function readCells(db: Database, from: number, to: number, session: string | undefined): Cell[] {
  const stmt =
    session === undefined
      ? db.prepare(`SELECT hour_start_ms, model, project, ${COUNTER_COLUMNS}
          FROM rollups WHERE hour_start_ms >= ? AND hour_start_ms < ?`)
      : db.prepare(`SELECT hour_start_ms, model, project, ${COUNTER_COLUMNS}
          FROM session_rollups WHERE hour_start_ms >= ? AND hour_start_ms < ? AND session = ?`);
  const cells: Cell[] = [];
  try {
    stmt.bind(session === undefined ? [from - HALF_HOUR, to] : [from - HALF_HOUR, to, sessionParam(session)]);
    while (stmt.step()) {
      const v = stmt.get().map((x) => (typeof x === 'number' ? x : String(x ?? '')));
      const n = (i: number): number => Number(v[i] ?? 0);
      cells.push({
        hour: n(0),
        model: String(v[1]) || NONE_KEY,
        project: String(v[2]) || NONE_KEY,
        totals: totalsAt(n, 3),
      });
    }
  } finally {
    stmt.free();
  }
  return cells;
}

/** The costliest sessions of [from, to) (same hour rule as the cells), '' shown as "(none)". */
function readSessions(db: Database, from: number, to: number, session: string | undefined, limit: number): SpendGroup[] {
  const sums = COUNTER_COLUMNS.split(',').map((c) => `SUM(${c.trim()})`).join(', ');
  const stmt = db.prepare(`SELECT session, ${sums} FROM session_rollups
    WHERE hour_start_ms >= ? AND hour_start_ms < ?${session === undefined ? '' : ' AND session = ?'}
    GROUP BY session ORDER BY SUM(cost_nano_usd) DESC, SUM(requests) DESC, session ASC LIMIT ?`);
  const groups: SpendGroup[] = [];
  try {
    stmt.bind(session === undefined ? [from - HALF_HOUR, to, limit] : [from - HALF_HOUR, to, sessionParam(session), limit]);
    while (stmt.step()) {
      const v = stmt.get();
      const n = (i: number): number => Number(v[i] ?? 0);
      groups.push({ key: String(v[0] ?? '') || NONE_KEY, ...totalsAt(n, 1) });
    }
  } finally {
    stmt.free();
  }
  return groups;
}

/** Bucket start instants covering [from, to), and a function mapping an instant to its bucket index. */
function buckets(from: number, to: number, bucket: 'hour' | 'day', tz: string): {
  starts: number[];
  indexOf: (t: number) => number;
} {
  const starts: number[] = [];
  if (bucket === 'hour') {
    for (let t = from; t < to; t += HOUR_MS) starts.push(t);
    return { starts, indexOf: (t) => Math.floor((t - from) / HOUR_MS) };
  }
  const index = new Map<string, number>();
  const key = (d: { year: number; month: number; day: number }): string => `${d.year}-${d.month}-${d.day}`;
  let d = localDate(from, tz);
  for (let t = startOfLocalDay(d, tz); t < to; d = addDays(d, 1), t = startOfLocalDay(d, tz)) {
    index.set(key(d), starts.length);
    starts.push(Math.max(t, from));
  }
  return {
    starts,
    indexOf: (t) => index.get(key(localDate(t, tz))) ?? (t < from ? 0 : starts.length - 1),
  };
}

function sortGroups(m: Map<string, SpendTotals>): SpendGroup[] {
  return [...m.entries()]
    .map(([key, t]) => ({ key, ...t }))
    .sort((a, b) => b.costNanoUsd - a.costNanoUsd || b.requests - a.requests || a.key.localeCompare(b.key));
}

export function buildSummary(db: Database, q: SummaryQuery): Summary {
  const { from, to, bucket } = resolveRange(db, q);
  const cells = readCells(db, from, to, q.session);
  const { starts, indexOf } = buckets(from, to, bucket, q.tz);
  const series: SeriesPoint[] = starts.map((t) => ({
    t: new Date(t).toISOString(),
    costNanoUsd: 0,
    requests: 0,
    byModel: {},
    byProject: {},
  }));
  const totals = emptyTotals();
  const byModel = new Map<string, SpendTotals>();
  const byProject = new Map<string, SpendTotals>();
  const dayIndexCache = new Map<number, number>();
  for (const c of cells) {
    addInto(totals, c.totals);
    for (const [map, key] of [[byModel, c.model], [byProject, c.project]] as const) {
      let g = map.get(key);
      if (!g) map.set(key, (g = emptyTotals()));
      addInto(g, c.totals);
    }
    let i = dayIndexCache.get(c.hour);
    if (i === undefined) {
      i = Math.max(0, Math.min(series.length - 1, indexOf(c.hour + HALF_HOUR)));
      dayIndexCache.set(c.hour, i);
    }
    const p = series[i];
    if (!p) continue;
    p.costNanoUsd += c.totals.costNanoUsd;
    p.requests += c.totals.requests;
    p.byModel[c.model] = (p.byModel[c.model] ?? 0) + c.totals.costNanoUsd;
    p.byProject[c.project] = (p.byProject[c.project] ?? 0) + c.totals.costNanoUsd;
  }
  return {
    range: q.range,
    tz: q.tz,
    from: new Date(from).toISOString(),
    to: new Date(to).toISOString(),
    bucket,
    totals,
    byModel: sortGroups(byModel),
    byProject: sortGroups(byProject),
    bySession: readSessions(db, from, to, q.session, TOP_SESSIONS),
    ...(q.session === undefined ? {} : { session: q.session }),
    series,
  };
}

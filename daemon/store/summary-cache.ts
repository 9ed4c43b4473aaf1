/**
 * Day-bucketed summaries from per-day folds kept in memory (per IANA zone), so `30d` or `all` fold only the
 * day that is still running instead of every rollup cell of the range.
 *
 * The answer is `buildSummary`'s (summary.ts, the reference; `summary-cache.test.ts` compares the two on
 * random data with writes between the queries): a day bucket covers the rollup hours whose midpoint is in
 * [local midnight, next local midnight), i.e. hour starts in [start − 30 min, next start − 30 min), and its
 * fold — counters per model, per project, per session and failures per kind, the models and projects in the
 * order the cells come (the series' key order) — is what the hourly fold adds for those hours. A range is the
 * sum of its buckets' folds; the last bucket (up to `to`, still running) and a first bucket that starts off
 * midnight (custom ranges) are read every time, the whole days in between are kept.
 *
 * Invalidation: every rollup write goes through RowWriter, which notes the hour it touched
 * (`RowWriter.touchedHours`: inserts, late and bulk rows, repricing); each summary first drops the kept days
 * holding those hours. Live traffic touches the current hour only, which no kept day holds.
 *
 * Measured (`bench:store-scale`, docs/design.md "Store partitions"): with 1 M rows over 12 months, `all`
 * folded ~41 k rollup cells and ~85 k session cells per query.
 */
import type { Database, Statement } from 'sql.js';
import type { ErrorCounts, SeriesPoint, SessionGroup, Summary } from '../../shared/contract.ts';
import { NONE_KEY } from './queries.ts';
import { HOUR_MS } from './rows.ts';
import {
  buckets,
  buildSummary,
  COUNTER_COLUMNS,
  COUNTERS,
  resolveRange,
  sortGroups,
  totalsOf,
  TOP_SESSIONS,
  type SummaryQuery,
} from './summary.ts';
import { startOfDayContaining } from './tz.ts';

const HALF_HOUR = HOUR_MS / 2;
/** Zones kept at most (the dashboard's, and maybe one more: the CLI's or a test's). */
export const MAX_ZONES = 2;
/** Days kept per zone at most (~11 years); beyond it the zone starts over. */
const MAX_DAYS = 4000;

/** One day bucket's fold: hour starts in [lo, hi). */
interface DayFold {
  lo: number;
  hi: number;
  /** Counters (COUNTER_COLUMNS order) per key, in the order the cells came. */
  models: Map<string, number[]>;
  projects: Map<string, number[]>;
  /** Per session ('' = none), or null until a query with sessions needs them. */
  sessions: Map<string, number[]> | null;
  errors: Map<string, number>;
  /** Its series point (never changed once made: answers share it). */
  point: SeriesPoint;
}

/** A run of whole days [lo, hi) summed (models, projects, failures; sessions and their TOP_SESSIONS first). */
interface Span {
  lo: number;
  hi: number;
  models: Map<string, number[]>;
  projects: Map<string, number[]>;
  errors: Map<string, number>;
  /** null until a query with sessions needs them. */
  sessions: Map<string, number[]> | null;
  top: [string, number[]][];
}

/** Spans kept at most (the ranges a dashboard asks for, in one or two zones). */
const MAX_SPANS = 8;

/** The TOP_SESSIONS costliest sessions (then requests, then key in byte order), as readSessions ranks them. */
function topOf(all: Map<string, number[]>): [string, number[]][] {
  const before = (a: [string, number[]], b: [string, number[]]): boolean =>
    a[1][1]! > b[1][1]! || (a[1][1] === b[1][1] && (a[1][0]! > b[1][0]! || (a[1][0] === b[1][0] && byteOrder(a[0], b[0]) < 0)));
  // a bounded insertion: `all` may hold every session of the range (17 k for a year of 1 M requests)
  const top: [string, number[]][] = [];
  for (const e of all) {
    if (top.length === TOP_SESSIONS && !before(e, top[TOP_SESSIONS - 1]!)) continue;
    let i = top.length;
    while (i > 0 && before(e, top[i - 1]!)) i--;
    top.splice(i, 0, e);
    if (top.length > TOP_SESSIONS) top.pop();
  }
  return top;
}

/** SQLite's BINARY order of TEXT (UTF-8 bytes = code points), which `<` on UTF-16 breaks above U+D7FF. */
export function byteOrder(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codePointRank(x) - codePointRank(y);
  }
  return a.length - b.length;
}

/** UTF-16 unit → a rank in code point order: surrogates (U+10000 and up) above U+E000–U+FFFF. */
function codePointRank(u: number): number {
  if (u >= 0xd800 && u <= 0xdfff) return u + 0x2000;
  if (u >= 0xe000) return u - 0x800;
  return u;
}

const addInto = (m: Map<string, number[]>, key: string, v: ArrayLike<unknown>, at: number): void => {
  let acc = m.get(key);
  if (!acc) m.set(key, (acc = new Array<number>(COUNTERS).fill(0)));
  for (let i = 0; i < COUNTERS; i++) acc[i]! += Number(v[at + i] ?? 0);
};

const copyOf = (m: Map<string, number[]> | undefined): Map<string, number[]> => {
  const out = new Map<string, number[]>();
  if (m) for (const [k, a] of m) out.set(k, [...a]);
  return out;
};

const addArrays = (m: Map<string, number[]>, key: string, a: readonly number[]): void => {
  const acc = m.get(key);
  if (!acc) m.set(key, [...a]);
  else for (let i = 0; i < COUNTERS; i++) acc[i]! += a[i]!;
};

class Statements {
  readonly cells: Statement;
  readonly sessions: Statement;
  readonly errors: Statement;
  readonly earliest: Statement;
  constructor(db: Database) {
    this.cells = db.prepare(`SELECT hour_start_ms, model, project, ${COUNTER_COLUMNS}
      FROM rollups WHERE hour_start_ms >= ? AND hour_start_ms < ? ORDER BY hour_start_ms`);
    const sums = COUNTER_COLUMNS.split(',').map((c, i) => `SUM(${c.trim()}) AS c${i}`).join(', ');
    // keys are ids into `strings`: summed per id, then the session's text
    this.sessions = db.prepare(`SELECT k.value, ${Array.from({ length: COUNTERS }, (_, i) => `g.c${i}`).join(', ')}
      FROM (SELECT session, ${sums} FROM session_rollups WHERE hour_start_ms >= ? AND hour_start_ms < ? GROUP BY session) g
      JOIN strings k ON k.id = g.session`);
    this.errors = db.prepare('SELECT kind, SUM(requests) FROM error_rollups WHERE hour_start_ms >= ? AND hour_start_ms < ? GROUP BY kind');
    this.earliest = db.prepare('SELECT MIN(hour_start_ms) FROM rollups');
  }
  free(): void {
    this.cells.free();
    this.sessions.free();
    this.errors.free();
    this.earliest.free();
  }
}

export class SummaryCache {
  /** Per zone: kept day folds by `lo`. Map order = least recently used zone first. */
  private readonly zones = new Map<string, Map<number, DayFold>>();
  private stmts: Statements | null = null;
  /** MIN(hour_start_ms) of rollups; undefined = not read since the last write. */
  private earliest: number | null | undefined = undefined;
  /**
   * Sessions summed over the whole days of recent ranges (`all` holds every session: re-summing 17 k of them
   * per query was most of a cached `all`), by `tz lo hi`; dropped when a touched hour falls inside.
   */
  private readonly spans = new Map<string, Span>();

  constructor(
    private readonly db: Database,
    /** Hours whose rollups changed since the last summary (filled by RowWriter, emptied here). */
    private readonly touchedHours: Set<number>,
  ) {}

  /** Kept day folds (all zones), for tests and stats. */
  get keptDays(): number {
    let n = 0;
    for (const z of this.zones.values()) n += z.size;
    return n;
  }

  summary(q: SummaryQuery): Summary {
    this.invalidate();
    const { from, to, bucket } = resolveRange(this.db, q, () => this.earliestHour());
    // One session's summary reads its own few cells; hour buckets cover at most two days.
    if (q.session !== undefined || bucket !== 'day') return buildSummary(this.db, q);
    const { starts } = buckets(from, to, bucket, q.tz);
    if (starts.length === 0) return buildSummary(this.db, q);
    const zone = this.zone(q.tz);
    const withSessions = q.sessions !== false;
    const last = starts.length - 1;
    const folds: DayFold[] = new Array<DayFold>(starts.length);
    const missing: number[] = [];
    // whole local days only: the last bucket runs to `to`, a first one may start off midnight
    const whole = (i: number): boolean => i < last && (i > 0 || startOfDayContaining(from, q.tz) === from);
    for (let i = 0; i <= last; i++) {
      const lo = starts[i]! - HALF_HOUR;
      const hi = i === last ? to : starts[i + 1]! - HALF_HOUR;
      const kept = whole(i) ? zone.get(lo) : undefined;
      if (kept && kept.hi === hi && (kept.sessions || !withSessions)) folds[i] = kept;
      else missing.push(i);
    }
    this.fill(starts, to, missing, withSessions, folds);
    for (const i of missing) if (whole(i)) zone.set(folds[i]!.lo, folds[i]!);
    if (zone.size > MAX_DAYS) zone.clear();
    return this.assemble(q, from, to, folds, withSessions);
  }

  /** The first rollup hour (range `all`), read again after a write before it. */
  private earliestHour(): number | null {
    if (this.earliest === undefined) {
      this.stmts ??= new Statements(this.db);
      const stmt = this.stmts.earliest;
      try {
        const v = stmt.step() ? stmt.get()[0] : null;
        this.earliest = v === null || v === undefined ? null : Number(v);
      } finally {
        stmt.reset();
      }
    }
    return this.earliest;
  }

  /** Drops the kept days holding a touched hour. */
  private invalidate(): void {
    if (this.touchedHours.size === 0) return;
    // a write may add an earlier hour (or, repricing to zero, never remove one: cells are not deleted)
    this.earliest = undefined;
    for (const [key, span] of this.spans) {
      for (const h of this.touchedHours) {
        if (h >= span.lo && h < span.hi) {
          this.spans.delete(key);
          break;
        }
      }
    }
    for (const zone of this.zones.values()) {
      if (zone.size === 0) continue;
      const los = [...zone.keys()].sort((a, b) => a - b);
      for (const h of this.touchedHours) {
        // the kept day with the greatest lo ≤ h (days never overlap)
        let a = 0;
        let b = los.length - 1;
        if (h < los[0]!) continue;
        while (a < b) {
          const mid = (a + b + 1) >> 1;
          if (los[mid]! <= h) a = mid;
          else b = mid - 1;
        }
        const day = zone.get(los[a]!);
        if (day && h < day.hi) zone.delete(day.lo);
      }
    }
    this.touchedHours.clear();
  }

  private zone(tz: string): Map<number, DayFold> {
    let z = this.zones.get(tz);
    if (z) this.zones.delete(tz);
    else z = new Map();
    this.zones.set(tz, z); // most recently used last
    while (this.zones.size > MAX_ZONES) this.zones.delete(this.zones.keys().next().value!);
    return z;
  }

  /** Folds the buckets `missing` (ascending) from the rollups: one hour-ordered scan per run of buckets. */
  private fill(starts: readonly number[], to: number, missing: readonly number[], withSessions: boolean, folds: DayFold[]): void {
    if (missing.length === 0) return;
    this.stmts ??= new Statements(this.db);
    const { cells, sessions, errors } = this.stmts;
    const last = starts.length - 1;
    const bound = (i: number): { lo: number; hi: number } => ({
      lo: starts[i]! - HALF_HOUR,
      hi: i === last ? to : starts[i + 1]! - HALF_HOUR,
    });
    for (const i of missing) {
      const { lo, hi } = bound(i);
      const point: SeriesPoint = { t: new Date(starts[i]!).toISOString(), costNanoUsd: 0, requests: 0, byModel: {}, byProject: {} };
      folds[i] = { lo, hi, models: new Map(), projects: new Map(), sessions: withSessions ? new Map() : null, errors: new Map(), point };
    }
    // Runs of consecutive missing buckets: one scan of `rollups` each, rows split at the bucket bounds.
    let r = 0;
    while (r < missing.length) {
      let e = r;
      while (e + 1 < missing.length && missing[e + 1] === missing[e]! + 1) e++;
      let k = r;
      let fold = folds[missing[k]!]!;
      try {
        cells.bind([fold.lo, folds[missing[e]!]!.hi]);
        while (cells.step()) {
          const v = cells.get();
          const hour = Number(v[0]);
          while (hour >= fold.hi && k < e) fold = folds[missing[++k]!]!;
          addInto(fold.models, String(v[1] ?? '') || NONE_KEY, v, 3);
          addInto(fold.projects, String(v[2] ?? '') || NONE_KEY, v, 3);
        }
      } finally {
        cells.reset();
      }
      r = e + 1;
    }
    for (const i of missing) {
      const fold = folds[i]!;
      const point = fold.point;
      for (const [key, a] of fold.models) {
        point.requests += a[0]!;
        point.costNanoUsd += a[1]!;
        point.byModel[key] = a[1]!;
      }
      for (const [key, a] of fold.projects) point.byProject[key] = a[1]!;
      if (fold.sessions) {
        try {
          sessions.bind([fold.lo, fold.hi]);
          while (sessions.step()) {
            const v = sessions.get();
            addInto(fold.sessions, String(v[0] ?? ''), v, 1);
          }
        } finally {
          sessions.reset();
        }
      }
      try {
        errors.bind([fold.lo, fold.hi]);
        while (errors.step()) {
          const v = errors.get();
          fold.errors.set(String(v[0]), Number(v[1] ?? 0));
        }
      } finally {
        errors.reset();
      }
    }
  }

  private assemble(q: SummaryQuery, from: number, to: number, folds: readonly DayFold[], withSessions: boolean): Summary {
    // The whole days between the first and the last bucket come summed from a kept span.
    const inner = folds.slice(1, -1);
    const span = inner.length > 0 ? this.span(q.tz, inner) : null;
    const edges = span ? [folds[0]!, folds[folds.length - 1]!] : folds;
    const byModel = copyOf(span?.models);
    const byProject = copyOf(span?.projects);
    const errorCounts = new Map(span?.errors);
    for (const f of edges) {
      for (const [key, a] of f.models) addArrays(byModel, key, a);
      for (const [key, a] of f.projects) addArrays(byProject, key, a);
      for (const [kind, n] of f.errors) errorCounts.set(kind, (errorCounts.get(kind) ?? 0) + n);
    }
    const sum = new Array<number>(COUNTERS).fill(0);
    for (const a of byModel.values()) for (let i = 0; i < COUNTERS; i++) sum[i]! += a[i]!;
    const errors: ErrorCounts = { requests: 0, byKind: [] };
    for (const [kind, n] of [...errorCounts].sort((a, b) => b[1] - a[1] || byteOrder(a[0], b[0]))) {
      errors.byKind.push({ kind, requests: n });
      errors.requests += n;
    }
    return {
      range: q.range,
      tz: q.tz,
      from: new Date(from).toISOString(),
      to: new Date(to).toISOString(),
      bucket: 'day',
      totals: totalsOf(sum),
      byModel: sortGroups(byModel),
      byProject: sortGroups(byProject),
      bySession: withSessions ? this.withInfo(this.topSessions(span, inner, edges)) : [],
      errors,
      // kept days share their point objects between answers: the worker's answer is copied (postMessage)
      series: folds.map((f) => f.point),
    };
  }

  /** The kept span of the whole days `inner` (summed now when none is kept). */
  private span(tz: string, inner: readonly DayFold[]): Span {
    const lo = inner[0]!.lo;
    const hi = inner[inner.length - 1]!.hi;
    const key = `${tz} ${lo} ${hi}`;
    let span = this.spans.get(key);
    if (span) this.spans.delete(key);
    else {
      span = { lo, hi, models: new Map(), projects: new Map(), errors: new Map(), sessions: null, top: [] };
      for (const f of inner) {
        for (const [k, a] of f.models) addArrays(span.models, k, a);
        for (const [k, a] of f.projects) addArrays(span.projects, k, a);
        for (const [kind, n] of f.errors) span.errors.set(kind, (span.errors.get(kind) ?? 0) + n);
      }
    }
    this.spans.set(key, span); // most recently used last
    while (this.spans.size > MAX_SPANS) this.spans.delete(this.spans.keys().next().value!);
    return span;
  }

  /**
   * The top sessions: the span's sums (summed once per span) plus the edge buckets'. Adding counters that are
   * never negative only moves a session up, so the span's top plus the sessions of the edges hold the top of
   * the range; a negative counter (never written by the store) falls back to summing every session.
   */
  private topSessions(span: Span | null, inner: readonly DayFold[], edges: readonly DayFold[]): [string, number[]][] {
    const negative = edges.some((f) => [...f.sessions!.values()].some((a) => a.some((x) => x < 0)));
    if (!span || negative) {
      const all = new Map<string, number[]>();
      for (const f of [...inner, ...edges]) for (const [key, a] of f.sessions!) addArrays(all, key, a);
      return topOf(all);
    }
    if (!span.sessions) {
      span.sessions = new Map();
      for (const f of inner) for (const [k, a] of f.sessions!) addArrays(span.sessions, k, a);
      span.top = topOf(span.sessions);
    }
    const candidates = new Map<string, number[]>();
    for (const [k, a] of span.top) candidates.set(k, [...a]);
    for (const f of edges) {
      for (const [k, a] of f.sessions!) {
        let acc = candidates.get(k);
        if (!acc) {
          const whole = span.sessions.get(k);
          candidates.set(k, (acc = whole ? [...whole] : new Array<number>(COUNTERS).fill(0)));
        }
        for (let i = 0; i < COUNTERS; i++) acc[i]! += a[i]!;
      }
    }
    return topOf(candidates);
  }

  /** Sessions with their project and first/last request (the `sessions` table), as readSessions gives them. */
  private withInfo(top: readonly [string, number[]][]): SessionGroup[] {
    if (top.length === 0) return [];
    // one IN query: 50 point look-ups through a prepared statement cost ~3× as much (their pages miss the cache)
    const keys = top.map(([k]) => k);
    const info = new Map<string, unknown[]>();
    const rows = this.db.exec(`SELECT session, project, first_ms, last_ms FROM sessions WHERE session IN (${keys.map(() => '?').join(',')})`, keys);
    for (const v of rows[0]?.values ?? []) info.set(String(v[0]), v.slice(1));
    return top.map(([key, a]) => {
      const [project, first, last] = info.get(key) ?? [null, null, null];
      return {
        key: key || NONE_KEY,
        ...totalsOf(a),
        project: project ? String(project) : null,
        firstAt: first === null || first === undefined ? null : Number(first),
        lastAt: last === null || last === undefined ? null : Number(last),
      };
    });
  }

  free(): void {
    this.stmts?.free();
    this.stmts = null;
    this.zones.clear();
    this.spans.clear();
  }
}

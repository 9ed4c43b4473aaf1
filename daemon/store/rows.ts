/**
 * RequestRecord ⇄ `requests` row, and the insert that keeps `rollups` in step (same transaction).
 */
import type { Database, ParamsObject, SqlValue, Statement } from 'sql.js';
import type { RecordSource, RequestRecord, RequestState } from '../../shared/contract.ts';
import type { Interner } from './interner.ts';
import { errorKind } from '../api/outcome.ts';
import { sessionRollupsByIds, tableColumns } from './migrations.ts';

export const HOUR_MS = 3_600_000;

/** Columns in table order; record → row binds in this order. */
export const REQUEST_COLUMNS = [
  'id', 'started_at', 'ended_at', 'method', 'path', 'status', 'state', 'upstream_request_id', 'message_id',
  'model_requested', 'model', 'stream', 'ttfb_ms', 'duration_ms', 'input_tokens', 'cache_write_5m_tokens',
  'cache_write_1h_tokens', 'cache_read_tokens', 'output_tokens', 'thinking_tokens', 'web_search_requests',
  'service_tier', 'speed', 'inference_geo', 'billable', 'cost_nano_usd', 'price_version', 'unpriced_reason',
  'cache_savings_nano_usd', 'session_id', 'agent_id', 'parent_agent_id', 'project', 'client', 'credential_id',
  'source', 'cache_hit', 'error_type', 'bytes_in', 'bytes_out', 'git_branch', 'is_sidechain',
] as const;

/** Columns holding an id into `strings` (see recordToParams), by REQUEST_COLUMNS index. */
export const INTERNED_COLUMNS: ReadonlySet<number> = new Set(
  ['method', 'path', 'state', 'model_requested', 'model', 'service_tier', 'speed', 'inference_geo', 'price_version',
    'unpriced_reason', 'session_id', 'agent_id', 'parent_agent_id', 'project', 'client', 'credential_id', 'source',
    'error_type', 'git_branch'].map((c) => REQUEST_COLUMNS.indexOf(c as (typeof REQUEST_COLUMNS)[number])),
);

const b = (v: boolean): number => (v ? 1 : 0);
/** Journal lines written before schema 8 have no gitBranch/isSidechain: unknown. */
const nb = (v: boolean | null | undefined): number | null => (v === null || v === undefined ? null : b(v));

/** Row values in REQUEST_COLUMNS order; repeated strings become ids (new ones are added to `strings`). */
export function recordToParams(r: RequestRecord, s: Interner): SqlValue[] {
  const i = (v: string | null): number | null => s.intern(v);
  return [
    r.id, r.startedAt, r.endedAt, i(r.method), i(r.path), r.status, i(r.state), r.upstreamRequestId, r.messageId,
    i(r.modelRequested), i(r.model), b(r.stream), r.ttfbMs, r.durationMs, r.tokens.input, r.tokens.cacheWrite5m,
    r.tokens.cacheWrite1h, r.tokens.cacheRead, r.tokens.output, r.thinkingTokens, r.webSearchRequests,
    i(r.serviceTier), i(r.speed), i(r.inferenceGeo), b(r.billable), r.costNanoUsd, i(r.priceVersion),
    i(r.unpricedReason), r.cacheSavingsNanoUsd, i(r.sessionId), i(r.agentId), i(r.parentAgentId), i(r.project),
    i(r.client), i(r.credentialId), i(r.source), b(r.cacheHit), i(r.errorType), r.bytesIn, r.bytesOut,
    i(r.gitBranch ?? null), nb(r.isSidechain),
  ];
}

const str = (v: SqlValue | undefined): string | null => (v === null || v === undefined ? null : String(v));
const num = (v: SqlValue | undefined): number | null => (v === null || v === undefined ? null : Number(v));
const int = (v: SqlValue | undefined): number => Number(v ?? 0);

export function rowToRecord(o: ParamsObject, s: Interner): RequestRecord {
  const t = (v: SqlValue | undefined): string | null => s.text(num(v));
  const tt = (v: SqlValue | undefined): string => t(v) ?? '';
  return {
    id: String(o.id),
    startedAt: int(o.started_at),
    endedAt: int(o.ended_at),
    method: tt(o.method),
    path: tt(o.path),
    status: num(o.status),
    state: tt(o.state) as RequestState,
    upstreamRequestId: str(o.upstream_request_id),
    messageId: str(o.message_id),
    modelRequested: t(o.model_requested),
    model: t(o.model),
    stream: int(o.stream) === 1,
    ttfbMs: num(o.ttfb_ms),
    durationMs: int(o.duration_ms),
    tokens: {
      input: int(o.input_tokens),
      cacheWrite5m: int(o.cache_write_5m_tokens),
      cacheWrite1h: int(o.cache_write_1h_tokens),
      cacheRead: int(o.cache_read_tokens),
      output: int(o.output_tokens),
    },
    thinkingTokens: int(o.thinking_tokens),
    webSearchRequests: int(o.web_search_requests),
    serviceTier: t(o.service_tier),
    speed: t(o.speed),
    inferenceGeo: t(o.inference_geo),
    billable: int(o.billable) === 1,
    costNanoUsd: num(o.cost_nano_usd),
    priceVersion: t(o.price_version),
    unpricedReason: t(o.unpriced_reason),
    cacheSavingsNanoUsd: int(o.cache_savings_nano_usd),
    sessionId: t(o.session_id),
    agentId: t(o.agent_id),
    parentAgentId: t(o.parent_agent_id),
    project: t(o.project),
    client: t(o.client),
    credentialId: t(o.credential_id),
    source: tt(o.source) as RecordSource,
    cacheHit: int(o.cache_hit) === 1,
    errorType: t(o.error_type),
    gitBranch: t(o.git_branch),
    isSidechain: o.is_sidechain === null || o.is_sidechain === undefined ? null : int(o.is_sidechain) === 1,
    bytesIn: int(o.bytes_in),
    bytesOut: int(o.bytes_out),
  };
}

const isObj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null;
const isNum = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
const isStrOrNull = (x: unknown): boolean => x === null || typeof x === 'string';
const isNumOrNull = (x: unknown): boolean => x === null || isNum(x);

/** Structural check for journal lines: enough that inserting cannot violate a NOT NULL or mis-bind. */
export function isRequestRecord(x: unknown): x is RequestRecord {
  if (!isObj(x) || !isObj(x.tokens)) return false;
  const t = x.tokens;
  return (
    typeof x.id === 'string' && x.id.length > 0 &&
    isNum(x.startedAt) && isNum(x.endedAt) && typeof x.method === 'string' && typeof x.path === 'string' &&
    isNumOrNull(x.status) && typeof x.state === 'string' && typeof x.stream === 'boolean' &&
    isNumOrNull(x.ttfbMs) && isNum(x.durationMs) &&
    isNum(t.input) && isNum(t.cacheWrite5m) && isNum(t.cacheWrite1h) && isNum(t.cacheRead) && isNum(t.output) &&
    isNum(x.thinkingTokens) && isNum(x.webSearchRequests) && typeof x.billable === 'boolean' &&
    isNumOrNull(x.costNanoUsd) && isNum(x.cacheSavingsNanoUsd) && typeof x.source === 'string' &&
    typeof x.cacheHit === 'boolean' && isNum(x.bytesIn) && isNum(x.bytesOut) &&
    ['upstreamRequestId', 'messageId', 'modelRequested', 'model', 'serviceTier', 'speed', 'inferenceGeo',
      'priceVersion', 'unpricedReason', 'sessionId', 'agentId', 'parentAgentId', 'project', 'client',
      'credentialId', 'errorType', 'gitBranch'].every((k) => isStrOrNull(x[k] ?? null)) &&
    (x.isSidechain === undefined || x.isSidechain === null || typeof x.isSidechain === 'boolean')
  );
}

/** Rollup key parts: '' stands for unknown. The model is the response's, else the requested one. */
export function rollupKey(r: { startedAt: number; model: string | null; modelRequested: string | null; project: string | null }): [number, string, string] {
  return [Math.floor(r.startedAt / HOUR_MS) * HOUR_MS, r.model ?? r.modelRequested ?? '', r.project ?? ''];
}

const ROLLUP_COUNTERS = [
  'requests', 'cost_nano_usd', 'unpriced_requests', 'cache_savings_nano_usd', 'input_tokens', 'cache_write_5m_tokens',
  'cache_write_1h_tokens', 'cache_read_tokens', 'output_tokens', 'cache_hits', 'cache_hit_savings_nano_usd',
] as const;

/** UPSERT adding the counters of one delta into the cell keyed by `keys` (rollups and session_rollups). */
function rollupUpsert(table: string, keys: readonly string[], counters: readonly string[]): string {
  const cols = [...keys, ...counters];
  return `INSERT INTO ${table} (${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')})
    ON CONFLICT (${keys.join(', ')}) DO UPDATE SET ${counters.map((c) => `${c} = ${c} + excluded.${c}`).join(', ')}`;
}

/** Session part of the session rollup key: '' stands for unknown. */
export function sessionKey(r: { sessionId: string | null }): string {
  return r.sessionId ?? '';
}

/** Deltas to add to one rollup cell (and to its session rollup cell). */
export interface RollupDelta {
  key: [number, string, string];
  session: string;
  requests: number;
  cost: number;
  unpriced: number;
  savings: number;
  tokens: [number, number, number, number, number];
  /** Response-cache hits, and what they would have cost (part of `savings`). */
  hits: number;
  hitSavings: number;
}

export function recordDelta(r: RequestRecord): RollupDelta {
  return {
    key: rollupKey(r),
    session: sessionKey(r),
    requests: 1,
    cost: r.costNanoUsd ?? 0,
    unpriced: r.billable && r.costNanoUsd === null ? 1 : 0,
    savings: r.cacheSavingsNanoUsd,
    tokens: [r.tokens.input, r.tokens.cacheWrite5m, r.tokens.cacheWrite1h, r.tokens.cacheRead, r.tokens.output],
    hits: r.cacheHit ? 1 : 0,
    hitSavings: r.cacheHit ? r.cacheSavingsNanoUsd : 0,
  };
}

/** Adds `d` into the batch's cell for the same (hour, model, project, session). */
export function mergeDelta(cells: Map<string, RollupDelta>, d: RollupDelta): void {
  const id = `${d.key[0]}\u0000${d.key[1]}\u0000${d.key[2]}\u0000${d.session}`;
  const cell = cells.get(id);
  if (!cell) {
    cells.set(id, { ...d, tokens: [...d.tokens] });
    return;
  }
  cell.requests += d.requests;
  cell.cost += d.cost;
  cell.unpriced += d.unpriced;
  cell.savings += d.savings;
  cell.hits += d.hits;
  cell.hitSavings += d.hitSavings;
  for (let i = 0; i < 5; i++) cell.tokens[i]! += d.tokens[i]!;
}

const ERROR_ROLLUP_UPSERT = `INSERT INTO error_rollups (hour_start_ms, session, kind, requests) VALUES (?, ?, ?, ?)
  ON CONFLICT (hour_start_ms, session, kind) DO UPDATE SET requests = requests + excluded.requests`;
// A session's project is the one of its latest request that names one (SET reads the old row's values).
const SESSION_UPSERT = `INSERT INTO sessions (session, first_ms, last_ms, project) VALUES (?, ?, ?, ?)
  ON CONFLICT (session) DO UPDATE SET first_ms = MIN(first_ms, excluded.first_ms), last_ms = MAX(last_ms, excluded.last_ms),
    project = CASE WHEN excluded.project <> '' AND (project = '' OR excluded.last_ms >= last_ms) THEN excluded.project ELSE project END`;

/** A batch's failed requests per hour × session × kind, and its sessions' bounds and project. */
export class ErrorAndSessionCells {
  /** [hour, session, kind, user, requests]: the user is '' unless `userOf` is given (the PostgreSQL store keys by user too). */
  readonly errors = new Map<string, [number, string, string, string, number]>();
  readonly sessions = new Map<string, [string, number, number, string, number]>(); // + started_at of the project's request

  constructor(private readonly userOf: (r: RequestRecord) => string | null = () => null) {}

  add(r: RequestRecord): void {
    const kind = errorKind(r);
    const session = sessionKey(r);
    if (kind !== null) {
      const hour = Math.floor(r.startedAt / HOUR_MS) * HOUR_MS;
      const user = this.userOf(r) ?? '';
      const id = `${hour}\u0000${session}\u0000${kind}\u0000${user}`;
      const cell = this.errors.get(id);
      if (cell) cell[4]++;
      else this.errors.set(id, [hour, session, kind, user, 1]);
    }
    if (session === '') return;
    const s = this.sessions.get(session);
    const project = r.project ?? '';
    if (!s) {
      this.sessions.set(session, [session, r.startedAt, r.endedAt, project, r.startedAt]);
      return;
    }
    s[1] = Math.min(s[1], r.startedAt);
    s[2] = Math.max(s[2], r.endedAt);
    if (project !== '' && (s[3] === '' || r.startedAt >= s[4])) {
      s[3] = project;
      s[4] = r.startedAt;
    }
  }
}

/** Prepared statements for the write path; create once per database, `free()` on close. */
export class RowWriter {
  /** Indexes into recordToParams' values (REQUEST_COLUMNS order) of the columns `requests` has. */
  private readonly requestPick: number[] | null;
  /** Indexes into applyDelta's counters (ROLLUP_COUNTERS order) of the counters the rollups have. */
  private readonly counterPick: number[] | null;
  private readonly insertStmt: Statement;
  private readonly rollupStmt: Statement;
  private readonly sessionRollupStmt: Statement;
  /** session_rollups keyed by ids into `strings` (schema 9 on), else by TEXT (tests write older schemas). */
  private readonly sessionIds: boolean;
  // Prepared on first use (a batch with a failure or a session): tests write through older schemas too.
  private errorRollupStmt: Statement | null = null;
  private sessionStmt: Statement | null = null;
  /** UTC hours whose rollups this writer changed, until a reader empties it (summary-cache.ts invalidation). */
  readonly touchedHours = new Set<number>();

  constructor(
    private readonly db: Database,
    readonly strings: Interner,
    /** false: rows only (a month file; its rollups are counted in cco.sqlite). */
    private readonly rollups = true,
  ) {
    // Writes the columns the schema has: the store always runs the latest; tests write stores of older schemas.
    const requestCols = new Set(tableColumns(db, 'requests'));
    const counterCols = new Set(tableColumns(db, 'rollups'));
    const requestPick = REQUEST_COLUMNS.flatMap((c, i) => (requestCols.has(c) ? [i] : []));
    const counterPick = ROLLUP_COUNTERS.flatMap((c, i) => (counterCols.has(c) ? [i] : []));
    this.requestPick = requestPick.length === REQUEST_COLUMNS.length ? null : requestPick;
    this.counterPick = counterPick.length === ROLLUP_COUNTERS.length ? null : counterPick;
    const cols = requestPick.map((i) => REQUEST_COLUMNS[i]!);
    const counters = counterPick.map((i) => ROLLUP_COUNTERS[i]!);
    this.insertStmt = db.prepare(`INSERT OR IGNORE INTO requests (${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`);
    this.rollupStmt = db.prepare(rollupUpsert('rollups', ['hour_start_ms', 'model', 'project'], counters));
    this.sessionRollupStmt = db.prepare(rollupUpsert('session_rollups', ['hour_start_ms', 'session', 'model', 'project'], counters));
    this.sessionIds = sessionRollupsByIds(db);
  }

  /**
   * Inserts records not yet stored (by id) in one transaction; returns how many were new. A record that
   * SQLite rejects is reported through `onError` and skipped; the rest of the batch still commits.
   * `counts` is the writer whose rollups count the new rows: this one, or — for a month database, which holds
   * rows only — cco.sqlite's; then both databases commit together (a rollup failure rolls back both).
   */
  insertMany(records: readonly RequestRecord[], onError: (r: RequestRecord, err: Error) => void, counts: RowWriter | null = this.rollups ? this : null): number {
    if (records.length === 0) return 0;
    if (counts && !counts.rollups) throw new Error('insertMany: the counting writer keeps no rollups');
    let inserted = 0;
    // Rollup deltas of the batch, merged per cell: a busy batch touches few cells, so this turns one
    // upsert pair per record into one per cell (the same totals, in the same transaction).
    const cells = new Map<string, RollupDelta>();
    const extra = new ErrorAndSessionCells();
    const other = counts && counts !== this ? counts : null;
    this.db.run('BEGIN');
    try {
      other?.db.run('BEGIN');
      try {
        for (const r of records) {
          try {
            const params = recordToParams(r, this.strings);
            this.insertStmt.run(this.requestPick ? this.requestPick.map((i) => params[i]!) : params);
            if (this.db.getRowsModified() !== 1) continue; // already stored (replay) → nothing to add
            if (counts) {
              mergeDelta(cells, recordDelta(r));
              extra.add(r);
            }
            inserted++;
          } catch (err) {
            onError(r, err as Error); // a failed statement is rolled back on its own; the transaction stays open
          }
        }
        // A rollup failure fails the whole batch (rows and rollups never disagree); it stays in the journal.
        counts?.applyCells(cells, extra);
        other?.db.run('COMMIT');
      } catch (err) {
        if (other) {
          other.db.run('ROLLBACK');
          other.strings.reload();
        }
        throw err;
      }
      this.db.run('COMMIT');
    } catch (err) {
      this.db.run('ROLLBACK');
      this.strings.reload(); // drop dictionary entries the rollback removed
      throw err;
    }
    return inserted;
  }

  /** Adds a batch's merged rollup, failure and session cells (caller owns the transaction). */
  private applyCells(cells: Map<string, RollupDelta>, extra: ErrorAndSessionCells): void {
    for (const d of cells.values()) this.applyDelta(d);
    if (extra.errors.size > 0) {
      this.errorRollupStmt ??= this.db.prepare(ERROR_ROLLUP_UPSERT);
      for (const [hour, session, kind, , n] of extra.errors.values()) this.errorRollupStmt.run([hour, session, kind, n]);
    }
    if (extra.sessions.size > 0) {
      this.sessionStmt ??= this.db.prepare(SESSION_UPSERT);
      for (const s of extra.sessions.values()) this.sessionStmt.run(s.slice(0, 4) as [string, number, number, string]);
    }
  }

  /**
   * Inserts rows given as values in REQUEST_COLUMNS order, strings already this database's ids (a fold copying
   * rows between databases: no record objects), in one transaction; a row SQLite rejects goes to `onError` and
   * the rest still commit. Rows only: a writer without rollups. Returns how many were new.
   */
  insertValues(rows: readonly SqlValue[][], onError: (id: string, err: Error) => void): number {
    if (this.rollups) throw new Error('insertValues writes rows only (a month file)');
    let inserted = 0;
    this.db.run('BEGIN');
    try {
      for (const v of rows) {
        try {
          this.insertStmt.run(this.requestPick ? this.requestPick.map((i) => v[i]!) : v);
          inserted += this.db.getRowsModified();
        } catch (err) {
          onError(String(v[0]), err as Error);
        }
      }
      this.db.run('COMMIT');
    } catch (err) {
      this.db.run('ROLLBACK');
      this.strings.reload();
      throw err;
    }
    return inserted;
  }

  /** Adds a delta to a rollup cell and to its session rollup cell (caller owns the transaction). */
  applyDelta(d: RollupDelta): void {
    const all = [d.requests, d.cost, d.unpriced, d.savings, ...d.tokens, d.hits, d.hitSavings];
    const counters = this.counterPick ? this.counterPick.map((i) => all[i]!) : all;
    this.touchedHours.add(d.key[0]);
    this.rollupStmt.run([...d.key, ...counters]);
    const [hour, model, project] = d.key;
    const key = this.sessionIds
      ? [hour, this.strings.intern(d.session), this.strings.intern(model), this.strings.intern(project)]
      : [hour, d.session, model, project];
    this.sessionRollupStmt.run([...key, ...counters]);
  }

  free(): void {
    this.insertStmt.free();
    this.rollupStmt.free();
    this.sessionRollupStmt.free();
    this.errorRollupStmt?.free();
    this.sessionStmt?.free();
  }
}

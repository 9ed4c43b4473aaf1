/**
 * Schema and migrations. `meta.schema_version` holds the number of migrations applied; each migration
 * runs in its own transaction together with the version bump, so a crash mid-migration leaves the
 * previous version intact (and the snapshot on disk is only replaced after a successful open anyway).
 *
 * Design choice (measured, see scripts/bench-store.ts and interner.ts): every repeated string column of
 * `requests` (method, path, state, models, tier, speed, geo, price version, reasons, session, agents,
 * project, client, credential id, source, error type) holds an INTEGER id into `strings`; only the
 * per-request unique strings (id, upstream_request_id, message_id) are TEXT. `rollups` keeps TEXT keys
 * (it is small: hours × models × projects); `session_rollups` (hours × sessions × models × projects) holds ids
 * into `strings` too (schema 9).
 */
import type { Database } from 'sql.js';

export type Migration = (db: Database) => void;

const TOKEN_COLUMNS = `
  input_tokens INTEGER NOT NULL DEFAULT 0,
  cache_write_5m_tokens INTEGER NOT NULL DEFAULT 0,
  cache_write_1h_tokens INTEGER NOT NULL DEFAULT 0,
  cache_read_tokens INTEGER NOT NULL DEFAULT 0,
  output_tokens INTEGER NOT NULL DEFAULT 0`;

/** Total tokens of a row: the generated column `total_tokens` (migration 2 → 3), the `tokens` sort. */
export const TOTAL_TOKENS_SQL = '(input_tokens + cache_write_5m_tokens + cache_write_1h_tokens + cache_read_tokens + output_tokens)';

/** Ordered: index i migrates from version i to version i + 1. Never edit a released entry; append. */
export const MIGRATIONS: readonly Migration[] = [
  // 0 → 1: strings, requests, rollups, indexes.
  (db) => {
    db.run('CREATE TABLE strings (id INTEGER PRIMARY KEY, value TEXT NOT NULL UNIQUE)');
    // S = string id (see interner.ts).
    db.run(`CREATE TABLE requests (
      id TEXT PRIMARY KEY NOT NULL,
      started_at INTEGER NOT NULL,
      ended_at INTEGER NOT NULL,
      method INTEGER NOT NULL, -- S
      path INTEGER NOT NULL, -- S
      status INTEGER,
      state INTEGER NOT NULL, -- S
      upstream_request_id TEXT,
      message_id TEXT,
      model_requested INTEGER, -- S
      model INTEGER, -- S
      stream INTEGER NOT NULL,
      ttfb_ms INTEGER,
      duration_ms INTEGER NOT NULL,
      ${TOKEN_COLUMNS},
      thinking_tokens INTEGER NOT NULL DEFAULT 0,
      web_search_requests INTEGER NOT NULL DEFAULT 0,
      service_tier INTEGER, -- S
      speed INTEGER, -- S
      inference_geo INTEGER, -- S
      billable INTEGER NOT NULL,
      cost_nano_usd INTEGER,
      price_version INTEGER, -- S
      unpriced_reason INTEGER, -- S
      cache_savings_nano_usd INTEGER NOT NULL DEFAULT 0,
      session_id INTEGER, -- S
      agent_id INTEGER, -- S
      parent_agent_id INTEGER, -- S
      project INTEGER, -- S
      client INTEGER, -- S
      credential_id INTEGER, -- S
      source INTEGER NOT NULL, -- S
      cache_hit INTEGER NOT NULL,
      error_type INTEGER, -- S
      bytes_in INTEGER NOT NULL DEFAULT 0,
      bytes_out INTEGER NOT NULL DEFAULT 0
    )`);
    db.run('CREATE INDEX requests_started ON requests (started_at, id)');
    db.run('CREATE INDEX requests_model ON requests (model, started_at)');
    db.run('CREATE INDEX requests_project ON requests (project, started_at)');
    db.run('CREATE INDEX requests_session ON requests (session_id, started_at)');
    db.run('CREATE INDEX requests_state ON requests (state, started_at)');
    // model/project are '' when unknown so the primary key (and UPSERT) works; shown as "(none)".
    db.run(`CREATE TABLE rollups (
      hour_start_ms INTEGER NOT NULL,
      model TEXT NOT NULL,
      project TEXT NOT NULL,
      requests INTEGER NOT NULL DEFAULT 0,
      cost_nano_usd INTEGER NOT NULL DEFAULT 0,
      unpriced_requests INTEGER NOT NULL DEFAULT 0,
      cache_savings_nano_usd INTEGER NOT NULL DEFAULT 0,
      ${TOKEN_COLUMNS},
      PRIMARY KEY (hour_start_ms, model, project)
    ) WITHOUT ROWID`);
  },
  // 1 → 2: per-session rollups (hour × session × model × project), so per-session summaries and the
  // session filter of /api/summary never scan `requests`. Backfilled from the detail rows still kept
  // (hours already past retention have no detail left: their sessions cannot be recovered).
  (db) => {
    db.run(`CREATE TABLE session_rollups (
      hour_start_ms INTEGER NOT NULL,
      session TEXT NOT NULL,
      model TEXT NOT NULL,
      project TEXT NOT NULL,
      requests INTEGER NOT NULL DEFAULT 0,
      cost_nano_usd INTEGER NOT NULL DEFAULT 0,
      unpriced_requests INTEGER NOT NULL DEFAULT 0,
      cache_savings_nano_usd INTEGER NOT NULL DEFAULT 0,
      ${TOKEN_COLUMNS},
      PRIMARY KEY (hour_start_ms, session, model, project)
    ) WITHOUT ROWID`);
    db.run('CREATE INDEX session_rollups_session ON session_rollups (session, hour_start_ms)');
    db.run(`INSERT INTO session_rollups
      SELECT (r.started_at / ${3_600_000}) * ${3_600_000}, COALESCE(s.value, ''), COALESCE(m.value, mr.value, ''),
        COALESCE(p.value, ''), COUNT(*), SUM(COALESCE(r.cost_nano_usd, 0)),
        SUM(CASE WHEN r.billable = 1 AND r.cost_nano_usd IS NULL THEN 1 ELSE 0 END), SUM(r.cache_savings_nano_usd),
        SUM(r.input_tokens), SUM(r.cache_write_5m_tokens), SUM(r.cache_write_1h_tokens), SUM(r.cache_read_tokens),
        SUM(r.output_tokens)
      FROM requests r
        LEFT JOIN strings s ON s.id = r.session_id
        LEFT JOIN strings m ON m.id = r.model
        LEFT JOIN strings mr ON mr.id = r.model_requested
        LEFT JOIN strings p ON p.id = r.project
      GROUP BY 1, 2, 3, 4`);
  },
  // 2 → 3: indexes for the server-side sorts of /api/requests (cost, total tokens, duration), each with id
  // as the tie-breaker so keyset pages seek instead of sorting every row. Total tokens is a VIRTUAL generated
  // column (no storage): keyset pages compare row values `(key, id) < (?, ?)`, which SQLite seeks on a column
  // index but not on an expression index (measured at 250 k rows with equal keys: 20 ms vs 0.6 ms a page).
  (db) => {
    // table_xinfo: table_info leaves generated columns out
    const columns = (db.exec("SELECT name FROM pragma_table_xinfo('requests')")[0]?.values ?? []).flat();
    if (!columns.includes('total_tokens')) {
      db.run(`ALTER TABLE requests ADD COLUMN total_tokens INTEGER GENERATED ALWAYS AS ${TOTAL_TOKENS_SQL} VIRTUAL`);
    }
    db.run('CREATE INDEX IF NOT EXISTS requests_cost ON requests (cost_nano_usd, id)');
    db.run('CREATE INDEX IF NOT EXISTS requests_tokens ON requests (total_tokens, id)');
    db.run('CREATE INDEX IF NOT EXISTS requests_duration ON requests (duration_ms, id)');
  },
  // 3 → 4: drops the three sort indexes again. Measured at 250 k rows: they held 30 MB of the in-memory
  // database (105 → 74 MB) and a third of each insert's cost on the store worker (sql.js, 13 → 8 µs a
  // record), which the proxy paid for in throughput; without them a sorted page scans the table (30–60 ms
  // at 250 k rows, 0.3 ms within a 7-day range, which then uses requests_started instead of a sort index).
  (db) => {
    db.run('DROP INDEX IF EXISTS requests_cost');
    db.run('DROP INDEX IF EXISTS requests_tokens');
    db.run('DROP INDEX IF EXISTS requests_duration');
  },
  // 4 → 5: the history import links transcript entries to proxy records by the upstream request id
  // (Store.findByUpstreamRequestIds). Partial: rows without one (errors before the upstream answered) cost nothing.
  (db) => {
    db.run('CREATE INDEX IF NOT EXISTS requests_upstream ON requests (upstream_request_id) WHERE upstream_request_id IS NOT NULL');
  },
  // 5 → 6: request detail partitioned by UTC month (partitioned.ts). In cco.sqlite (rollups + unsealed
  // detail), `partitions` describes each sealed month file (row count, size and mtime as last sealed, Bloom
  // filters of its ids and upstream ids) and `reprice_log` holds repricings of sealed rows until their
  // month is re-sealed. Month files carry the same schema (these two tables stay empty there). The rows
  // of past months move out of cco.sqlite at the next snapshot (the v4/v5 → partitioned migration).
  (db) => {
    db.run(`CREATE TABLE IF NOT EXISTS partitions (
      month TEXT PRIMARY KEY NOT NULL,
      rows INTEGER NOT NULL,
      bytes INTEGER NOT NULL,
      mtime_ms INTEGER NOT NULL,
      ids BLOB NOT NULL,
      upstream BLOB NOT NULL
    ) WITHOUT ROWID`);
    db.run(`CREATE TABLE IF NOT EXISTS reprice_log (
      id TEXT PRIMARY KEY NOT NULL,
      month TEXT NOT NULL,
      cost_nano_usd INTEGER,
      price_version TEXT NOT NULL,
      cache_savings_nano_usd INTEGER NOT NULL,
      unpriced_reason TEXT
    ) WITHOUT ROWID`);
  },
  // 6 → 7: what the dashboard shows of failures and sessions, kept like the rollups (never a scan of detail).
  // `error_rollups` counts failed requests per hour × session × kind (outcome.ts errorKind: the HTTP status
  // "429", or a failed state); `sessions` holds each session's first and last request and its project.
  // Backfilled from the detail rows in cco.sqlite: every released store (schema ≤ 5) still holds all of its
  // detail there (within retention); sessions older than the detail come from session_rollups (hour bounds).
  (db) => {
    db.run(`CREATE TABLE IF NOT EXISTS error_rollups (
      hour_start_ms INTEGER NOT NULL,
      session TEXT NOT NULL,
      kind TEXT NOT NULL,
      requests INTEGER NOT NULL DEFAULT 0,
      PRIMARY KEY (hour_start_ms, session, kind)
    ) WITHOUT ROWID`);
    db.run(`CREATE TABLE IF NOT EXISTS sessions (
      session TEXT PRIMARY KEY NOT NULL,
      first_ms INTEGER NOT NULL,
      last_ms INTEGER NOT NULL,
      project TEXT NOT NULL
    ) WITHOUT ROWID`);
    // Computed from scratch (also when a test re-runs the step over tables the writer already fills).
    db.run('DELETE FROM error_rollups');
    db.run('DELETE FROM sessions');
    db.run(`INSERT INTO error_rollups (hour_start_ms, session, kind, requests)
      SELECT (r.started_at / ${3_600_000}) * ${3_600_000}, COALESCE(s.value, ''),
        CASE WHEN r.status >= 400 THEN CAST(r.status AS TEXT) ELSE st.value END, COUNT(*)
      FROM requests r
        JOIN strings st ON st.id = r.state
        LEFT JOIN strings s ON s.id = r.session_id
      WHERE r.status >= 400 OR st.value IN ('error_event', 'upstream_error', 'proxy_error')
      GROUP BY 1, 2, 3`);
    db.run(`INSERT INTO sessions (session, first_ms, last_ms, project)
      SELECT session, MIN(hour_start_ms), MAX(hour_start_ms) + ${3_600_000 - 1}, MAX(project)
      FROM session_rollups WHERE session <> '' GROUP BY session`);
    // Exact bounds where the detail still covers the session's first (last) hour; hour bounds otherwise.
    db.run(`UPDATE sessions SET
        first_ms = CASE WHEN d.first_hour = sessions.first_ms THEN d.first_ms ELSE sessions.first_ms END,
        last_ms = CASE WHEN d.last_hour = sessions.last_ms - ${3_600_000 - 1} THEN d.last_ms ELSE sessions.last_ms END,
        project = CASE WHEN d.project <> '' THEN d.project ELSE sessions.project END
      FROM (SELECT s.value AS session, MIN(r.started_at) AS first_ms, (MIN(r.started_at) / ${3_600_000}) * ${3_600_000} AS first_hour,
          MAX(r.ended_at) AS last_ms, (MAX(r.started_at) / ${3_600_000}) * ${3_600_000} AS last_hour, COALESCE(MAX(p.value), '') AS project
        FROM requests r JOIN strings s ON s.id = r.session_id LEFT JOIN strings p ON p.id = r.project
        GROUP BY s.value) AS d
      WHERE d.session = sessions.session`);
  },
  // 7 → 8: response-cache hits apart in every total (issue 20), and two transcript fields of a request (issue 15).
  // `rollups` and `session_rollups` count the hits (`cache_hits`) and what they would have cost
  // (`cache_hit_savings_nano_usd`, also in cache_savings_nano_usd); this replaces the response cache's own hourly
  // ledger. Backfilled from the detail rows in this file; a partitioned store adds its sealed months' rows after
  // opening them (partitioned.ts `backfillCacheHits`, flagged by `meta.backfill_cache_hits`). `requests` gains
  // `git_branch` (S) and `is_sidechain` (NULL = unknown).
  (db) => {
    // IF NOT EXISTS by hand (SQLite has none for columns): a test may run the step again over a current schema
    const add = (table: string, column: string, type: string) => {
      if (!tableColumns(db, table).includes(column)) db.run(`ALTER TABLE ${table} ADD COLUMN ${column} ${type}`);
    };
    for (const table of ['rollups', 'session_rollups']) {
      add(table, 'cache_hits', 'INTEGER NOT NULL DEFAULT 0');
      add(table, 'cache_hit_savings_nano_usd', 'INTEGER NOT NULL DEFAULT 0');
    }
    add('requests', 'git_branch', 'INTEGER'); // S
    add('requests', 'is_sidechain', 'INTEGER');
    if (getMeta(db, 'month') !== null) return; // a month file: rows only, its rollups are cco.sqlite's
    for (const table of ['rollups', 'session_rollups']) db.run(`UPDATE ${table} SET cache_hits = 0, cache_hit_savings_nano_usd = 0`);
    backfillCacheHitCells(db, db);
    const sealed = db.exec('SELECT COUNT(*) FROM partitions')[0]?.values[0]?.[0];
    if (Number(sealed ?? 0) > 0) setMeta(db, 'backfill_cache_hits', '1');
  },
  // 8 → 9: `session_rollups` keyed by ids into `strings` (S, interner.ts: the same dictionary as `requests`'
  // columns, never pruned) instead of three TEXT columns. At 1 M rows it held 23 of cco.sqlite's ~42 MB (a
  // session id, a model and a project path in every cell and again in the (session, hour) index), and
  // cco.sqlite is in memory all the time and copied whole by each snapshot. '' (unknown) is a string like any
  // other. Copied in primary-key order (full pages), the old table and its index dropped; the space they free
  // is given back by the VACUUM after the migration (db.ts `vacuumIfSparse`).
  (db) => {
    if (sessionRollupsByIds(db)) return; // a test may run the step again over a current schema
    db.run(`INSERT OR IGNORE INTO strings (value)
      SELECT session FROM session_rollups UNION SELECT model FROM session_rollups UNION SELECT project FROM session_rollups`);
    db.run(`CREATE TABLE session_rollups_by_id (
      hour_start_ms INTEGER NOT NULL,
      session INTEGER NOT NULL, -- S
      model INTEGER NOT NULL, -- S
      project INTEGER NOT NULL, -- S
      requests INTEGER NOT NULL DEFAULT 0,
      cost_nano_usd INTEGER NOT NULL DEFAULT 0,
      unpriced_requests INTEGER NOT NULL DEFAULT 0,
      cache_savings_nano_usd INTEGER NOT NULL DEFAULT 0,
      ${TOKEN_COLUMNS},
      cache_hits INTEGER NOT NULL DEFAULT 0,
      cache_hit_savings_nano_usd INTEGER NOT NULL DEFAULT 0,
      PRIMARY KEY (hour_start_ms, session, model, project)
    ) WITHOUT ROWID`);
    const counters = `requests, cost_nano_usd, unpriced_requests, cache_savings_nano_usd, input_tokens, cache_write_5m_tokens,
      cache_write_1h_tokens, cache_read_tokens, output_tokens, cache_hits, cache_hit_savings_nano_usd`;
    db.run(`INSERT INTO session_rollups_by_id (hour_start_ms, session, model, project, ${counters})
      SELECT r.hour_start_ms, s.id, m.id, p.id, ${counters.split(',').map((c) => `r.${c.trim()}`).join(', ')}
      FROM session_rollups r
        JOIN strings s ON s.value = r.session
        JOIN strings m ON m.value = r.model
        JOIN strings p ON p.value = r.project
      ORDER BY 1, 2, 3, 4`);
    db.run('DROP TABLE session_rollups'); // and its index
    db.run('ALTER TABLE session_rollups_by_id RENAME TO session_rollups');
    db.run('CREATE INDEX session_rollups_session ON session_rollups (session, hour_start_ms)');
  },
];

/**
 * Whether `session_rollups` is keyed by ids into `strings` (schema 9 on) rather than by TEXT: the writer and
 * the cache-hit backfill serve stores of either (tests write stores of older schemas; the backfill also runs in
 * the 7 → 8 step).
 */
export function sessionRollupsByIds(db: Database): boolean {
  const type = db.exec("SELECT type FROM pragma_table_info('session_rollups') WHERE name = 'session'")[0]?.values[0]?.[0];
  return type === 'INTEGER';
}

/**
 * Adds the response-cache hits of the detail rows in `rows` (cco.sqlite or a month file) into the rollup and
 * session rollup cells of `cells` (cco.sqlite). Rows only count where their cell exists (it always does: a
 * row is counted in its cells when inserted).
 */
export function backfillCacheHitCells(cells: Database, rows: Database): void {
  const agg = rows.exec(`SELECT (r.started_at / ${3_600_000}) * ${3_600_000}, COALESCE(s.value, ''),
      COALESCE(m.value, mr.value, ''), COALESCE(p.value, ''), COUNT(*), SUM(r.cache_savings_nano_usd)
    FROM requests r
      LEFT JOIN strings s ON s.id = r.session_id
      LEFT JOIN strings m ON m.id = r.model
      LEFT JOIN strings mr ON mr.id = r.model_requested
      LEFT JOIN strings p ON p.id = r.project
    WHERE r.cache_hit = 1
    GROUP BY 1, 2, 3, 4`)[0]?.values ?? [];
  const cell = cells.prepare(`UPDATE rollups SET cache_hits = cache_hits + ?, cache_hit_savings_nano_usd = cache_hit_savings_nano_usd + ?
    WHERE hour_start_ms = ? AND model = ? AND project = ?`);
  // keyed by ids (schema 9 on): a string `cells` never stored has no cell (the subquery is NULL, matches nothing)
  const byIds = sessionRollupsByIds(cells);
  const id = (): string => (byIds ? '(SELECT id FROM strings WHERE value = ?)' : '?');
  const sessionCell = cells.prepare(`UPDATE session_rollups SET cache_hits = cache_hits + ?,
      cache_hit_savings_nano_usd = cache_hit_savings_nano_usd + ? WHERE hour_start_ms = ? AND session = ${id()} AND model = ${id()} AND project = ${id()}`);
  try {
    for (const [hour, session, model, project, n, saved] of agg) {
      cell.run([n!, saved!, hour!, model!, project!]);
      sessionCell.run([n!, saved!, hour!, session!, model!, project!]);
    }
  } finally {
    cell.free();
    sessionCell.free();
  }
}

export const SCHEMA_VERSION = MIGRATIONS.length;

/** The columns of `table` (generated ones included). */
export function tableColumns(db: Database, table: string): string[] {
  return (db.exec(`SELECT name FROM pragma_table_xinfo('${table}')`)[0]?.values ?? []).map((v) => String(v[0]));
}

export function getMeta(db: Database, key: string): string | null {
  const rows = db.exec('SELECT value FROM meta WHERE key = ?', [key]);
  const v = rows[0]?.values[0]?.[0];
  return v === undefined || v === null ? null : String(v);
}

export function setMeta(db: Database, key: string, value: string): void {
  db.run('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value', [
    key,
    value,
  ]);
}

/**
 * Brings `db` to the latest schema (or to `target`, for tests). Returns the versions before and after.
 * Throws if the database comes from a newer CCO (a downgrade must not silently corrupt it).
 */
export function migrate(
  db: Database,
  migrations: readonly Migration[] = MIGRATIONS,
  target = migrations.length,
): { from: number; to: number } {
  db.run('CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL)');
  const from = Number(getMeta(db, 'schema_version') ?? '0');
  if (!Number.isInteger(from) || from < 0) throw new Error(`invalid schema_version in database: ${from}`);
  if (from > migrations.length) {
    throw new Error(`database schema version ${from} is newer than this CCO supports (${migrations.length})`);
  }
  for (let v = from; v < target; v++) {
    const step = migrations[v];
    if (!step) break;
    db.run('BEGIN');
    try {
      step(db);
      setMeta(db, 'schema_version', String(v + 1));
      db.run('COMMIT');
    } catch (err) {
      db.run('ROLLBACK');
      throw new Error(`migration ${v} → ${v + 1} failed: ${(err as Error).message}`, { cause: err });
    }
  }
  return { from, to: Math.max(from, Math.min(target, migrations.length)) };
}

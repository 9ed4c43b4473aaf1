/**
 * PostgreSQL schema and migrations. `cco_schema_version` holds one row per migration applied (version,
 * when, by which CCO); migrations run in order, each in its own transaction with its version row, under a
 * transaction-scoped advisory lock so several daemons starting at once migrate once.
 *
 * Tables:
 * - `request_keys` (id PRIMARY KEY, upstream_request_id UNIQUE, started_at): the idempotency ledger. An
 *   insert first claims the record's id and its upstream `request-id` here (ON CONFLICT DO NOTHING); only
 *   records that got both are written to `requests` and counted in the rollups, in the same transaction.
 *   So retries, replays and several daemons shipping the same request never double-count. Kept past
 *   retention (a late replay of an old record must still be recognised): ~60 bytes a request.
 * - `requests`: the detail, natively partitioned by month of `started_at` (UTC, epoch ms), one partition
 *   `requests_pYYYYMM` per month created on first use (partitions.ts); primary key (started_at, id).
 * - `rollups` (hour × model × project × user) and `session_rollups` (hour × session × model × project ×
 *   user): the same counters as the embedded store's, with the user as an extra key ('' = none). These and
 *   `error_rollups` have an index (user_name, hour_start_ms) that includes the columns a summary reads, so
 *   one user's summary is an index-only scan (migration 4).
 * - `day_rollups` (UTC day × model × project × user), `day_team_rollups` (day × model × project),
 *   `day_user_rollups` (day × user), `session_day_rollups` (day × session × user): the hourly cells summed per
 *   UTC day (day_start_ms = the day's first ms); `session_totals`: each session's counters and first/last cell
 *   hour. Written with the hours (migration 5).
 * - `hour_team_rollups` (hour × model × project: the team's hours without the user) and `month_user_rollups`
 *   (UTC month × user): the team view's edge and moved hours, and its by-user breakdown of whole months.
 *   Written with the hours (migration 6).
 * - `day_model_rollups`, `day_project_rollups` (UTC day × model, UTC day × project: requests and cost only) and
 *   `month_team_rollups` (UTC month × model × project): the team view's series and groups (migration 7).
 * - `local_day_model_rollups`, `local_day_project_rollups` (the 24 hours from each whole UTC hour × model /
 *   project: requests and cost only, `start_hour` = that hour of the day): the team's series in any zone, one
 *   row per local day (migration 8).
 *
 * Text keys that are sorted (id, session) use COLLATE "C" so orders match the embedded store's byte order.
 */
import type pg from 'pg';
import { SchemaNewerError } from './schema-newer.ts';

const COUNTERS = `
  requests bigint NOT NULL DEFAULT 0,
  cost_nano_usd bigint NOT NULL DEFAULT 0,
  unpriced_requests bigint NOT NULL DEFAULT 0,
  cache_savings_nano_usd bigint NOT NULL DEFAULT 0,
  input_tokens bigint NOT NULL DEFAULT 0,
  cache_write_5m_tokens bigint NOT NULL DEFAULT 0,
  cache_write_1h_tokens bigint NOT NULL DEFAULT 0,
  cache_read_tokens bigint NOT NULL DEFAULT 0,
  output_tokens bigint NOT NULL DEFAULT 0`;

/** The rollup counters as of migration 4 (a fixed list: a released migration's text never changes). */
const INCLUDED_COUNTERS = `requests, cost_nano_usd, unpriced_requests, cache_savings_nano_usd, input_tokens,
     cache_write_5m_tokens, cache_write_1h_tokens, cache_read_tokens, output_tokens, cache_hits, cache_hit_savings_nano_usd`;

/** COUNTERS and the response-cache columns (migration 3), for tables made after it. */
const ALL_COUNTERS = `${COUNTERS},
  cache_hits bigint NOT NULL DEFAULT 0,
  cache_hit_savings_nano_usd bigint NOT NULL DEFAULT 0`;

const sumOf = (cols: string): string => cols.split(',').map((c) => `SUM(${c.trim()})`).join(', ');

/** Index i migrates from version i to i + 1. Never edit a released entry; append. */
export const PG_MIGRATIONS: readonly string[] = [
  // 0 → 1
  `CREATE TABLE request_keys (
     id text COLLATE "C" PRIMARY KEY,
     upstream_request_id text COLLATE "C" UNIQUE,
     started_at bigint NOT NULL
   );
   CREATE TABLE requests (
     id text COLLATE "C" NOT NULL,
     started_at bigint NOT NULL,
     ended_at bigint NOT NULL,
     method text NOT NULL,
     path text NOT NULL,
     status integer,
     state text NOT NULL,
     upstream_request_id text,
     message_id text,
     model_requested text,
     model text,
     stream boolean NOT NULL,
     ttfb_ms bigint,
     duration_ms bigint NOT NULL,
     input_tokens bigint NOT NULL,
     cache_write_5m_tokens bigint NOT NULL,
     cache_write_1h_tokens bigint NOT NULL,
     cache_read_tokens bigint NOT NULL,
     output_tokens bigint NOT NULL,
     thinking_tokens bigint NOT NULL,
     web_search_requests bigint NOT NULL,
     service_tier text,
     speed text,
     inference_geo text,
     billable boolean NOT NULL,
     cost_nano_usd bigint,
     price_version text,
     unpriced_reason text,
     cache_savings_nano_usd bigint NOT NULL,
     session_id text,
     agent_id text,
     parent_agent_id text,
     project text,
     client text,
     credential_id text,
     source text NOT NULL,
     cache_hit boolean NOT NULL,
     error_type text,
     bytes_in bigint NOT NULL,
     bytes_out bigint NOT NULL,
     user_name text,
     total_tokens bigint GENERATED ALWAYS AS
       (input_tokens + cache_write_5m_tokens + cache_write_1h_tokens + cache_read_tokens + output_tokens) STORED,
     PRIMARY KEY (started_at, id)
   ) PARTITION BY RANGE (started_at);
   CREATE INDEX requests_model ON requests (model, started_at);
   CREATE INDEX requests_project ON requests (project, started_at);
   CREATE INDEX requests_session ON requests (session_id, started_at);
   CREATE INDEX requests_state ON requests (state, started_at);
   CREATE INDEX requests_user ON requests (user_name, started_at);
   CREATE TABLE rollups (
     hour_start_ms bigint NOT NULL,
     model text NOT NULL,
     project text NOT NULL,
     user_name text NOT NULL,
     ${COUNTERS},
     PRIMARY KEY (hour_start_ms, model, project, user_name)
   );
   CREATE TABLE session_rollups (
     hour_start_ms bigint NOT NULL,
     session text COLLATE "C" NOT NULL,
     model text NOT NULL,
     project text NOT NULL,
     user_name text NOT NULL,
     ${COUNTERS},
     PRIMARY KEY (hour_start_ms, session, model, project, user_name)
   );
   CREATE INDEX session_rollups_session ON session_rollups (session, hour_start_ms);
   CREATE INDEX rollups_user ON rollups (user_name, hour_start_ms);`,
  // 1 → 2: failed requests per hour × session × kind × user, and each session's bounds and project (the
  // embedded store's schema 7), backfilled from the detail.
  `CREATE TABLE error_rollups (
     hour_start_ms bigint NOT NULL,
     session text COLLATE "C" NOT NULL,
     kind text NOT NULL,
     user_name text NOT NULL,
     requests bigint NOT NULL DEFAULT 0,
     PRIMARY KEY (hour_start_ms, session, kind, user_name)
   );
   CREATE TABLE sessions (
     session text COLLATE "C" PRIMARY KEY,
     first_ms bigint NOT NULL,
     last_ms bigint NOT NULL,
     project text NOT NULL
   );
   INSERT INTO error_rollups (hour_start_ms, session, kind, user_name, requests)
     SELECT (started_at / 3600000) * 3600000, COALESCE(session_id, ''),
       CASE WHEN status >= 400 THEN status::text ELSE state END, COALESCE(user_name, ''), count(*)
     FROM requests WHERE status >= 400 OR state IN ('error_event', 'upstream_error', 'proxy_error')
     GROUP BY 1, 2, 3, 4;
   INSERT INTO sessions (session, first_ms, last_ms, project)
     SELECT session_id, min(started_at), max(ended_at),
       COALESCE((array_agg(project ORDER BY started_at DESC) FILTER (WHERE project IS NOT NULL AND project <> ''))[1], '')
     FROM requests WHERE session_id IS NOT NULL AND session_id <> '' GROUP BY session_id;`,
  // 2 → 3 (the embedded store's schema 8): response-cache hits apart in the rollups (issue 20), backfilled from
  // the detail still kept; a request's git branch and sidechain flag (issue 15, NULL = unknown).
  `ALTER TABLE rollups ADD COLUMN cache_hits bigint NOT NULL DEFAULT 0,
     ADD COLUMN cache_hit_savings_nano_usd bigint NOT NULL DEFAULT 0;
   ALTER TABLE session_rollups ADD COLUMN cache_hits bigint NOT NULL DEFAULT 0,
     ADD COLUMN cache_hit_savings_nano_usd bigint NOT NULL DEFAULT 0;
   ALTER TABLE requests ADD COLUMN git_branch text, ADD COLUMN is_sidechain boolean;
   CREATE TEMP TABLE cco_hits ON COMMIT DROP AS
     SELECT (started_at / 3600000) * 3600000 AS hour_start_ms, COALESCE(session_id, '') AS session,
       COALESCE(model, model_requested, '') AS model, COALESCE(project, '') AS project,
       COALESCE(user_name, '') AS user_name, count(*) AS n, sum(cache_savings_nano_usd) AS saved
     FROM requests WHERE cache_hit GROUP BY 1, 2, 3, 4, 5;
   UPDATE rollups r SET cache_hits = h.n, cache_hit_savings_nano_usd = h.saved
     FROM (SELECT hour_start_ms, model, project, user_name, sum(n) AS n, sum(saved) AS saved FROM cco_hits GROUP BY 1, 2, 3, 4) h
     WHERE r.hour_start_ms = h.hour_start_ms AND r.model = h.model AND r.project = h.project AND r.user_name = h.user_name;
   UPDATE session_rollups r SET cache_hits = h.n, cache_hit_savings_nano_usd = h.saved FROM cco_hits h
     WHERE r.hour_start_ms = h.hour_start_ms AND r.session = h.session AND r.model = h.model AND r.project = h.project
       AND r.user_name = h.user_name;`,
  // 3 → 4: one user's summary (`user=`, the team dashboard's per-user view) at 5 M requests (bench:team,
  // EXPLAIN ANALYZE): session_rollups and error_rollups had no index by user, so it read every cell of the
  // range (the whole table for range=all); and rollups_user found that user's cells on as many heap pages as
  // cells (they are written hour after hour among everyone's). Each index is now keyed by user and carries the
  // columns the summary reads, so one user's cells come from an index-only scan of a few pages.
  `DROP INDEX rollups_user;
   CREATE INDEX rollups_user ON rollups (user_name, hour_start_ms) INCLUDE (model, project, ${INCLUDED_COUNTERS});
   CREATE INDEX session_rollups_user ON session_rollups (user_name, hour_start_ms) INCLUDE (session, ${INCLUDED_COUNTERS});
   CREATE INDEX error_rollups_user ON error_rollups (user_name, hour_start_ms) INCLUDE (kind, requests);`,
  // 4 → 5: layers of UTC days over the hourly rollups, and each session's totals (bench:team at 5 M requests: the
  // team view of range=all read ≈265 k hourly cells and ≈290 k session cells, 1.4 s). Summaries read whole UTC
  // days from them and hours at the range's edges and where a local day does not start on a UTC midnight
  // (summary.ts DayPlan). All are written with the hours, in the same transaction (rows.ts applyCells), and
  // backfilled from them here:
  // - day_rollups: rollups per UTC day (one user's view);
  // - day_team_rollups (no user) and day_user_rollups (no model or project): the team view's series and groups,
  //   and its by-user breakdown, without the rows the other key multiplies;
  // - session_day_rollups: session_rollups per UTC day, session and user (no model or project: only the
  //   top-sessions list reads it); error_day_rollups: error_rollups per UTC day, kind and user;
  // - session_totals: each session's counters and the hours of its first and last cells; the team's top
  //   sessions of a range are the costliest sessions wholly inside it (an index in that order) merged with
  //   those that cross one of its ends (a GiST index on the span), summed from their cells.
  `CREATE TABLE day_rollups (
     day_start_ms bigint NOT NULL,
     model text NOT NULL,
     project text NOT NULL,
     user_name text NOT NULL,
     ${ALL_COUNTERS},
     PRIMARY KEY (day_start_ms, model, project, user_name)
   );
   CREATE TABLE day_team_rollups (
     day_start_ms bigint NOT NULL,
     model text NOT NULL,
     project text NOT NULL,
     ${ALL_COUNTERS},
     PRIMARY KEY (day_start_ms, model, project)
   );
   CREATE TABLE day_user_rollups (
     day_start_ms bigint NOT NULL,
     user_name text NOT NULL,
     ${ALL_COUNTERS},
     PRIMARY KEY (day_start_ms, user_name)
   );
   CREATE TABLE session_day_rollups (
     day_start_ms bigint NOT NULL,
     session text COLLATE "C" NOT NULL,
     user_name text NOT NULL,
     ${ALL_COUNTERS},
     PRIMARY KEY (day_start_ms, session, user_name)
   );
   CREATE TABLE error_day_rollups (
     day_start_ms bigint NOT NULL,
     kind text NOT NULL,
     user_name text NOT NULL,
     requests bigint NOT NULL DEFAULT 0,
     PRIMARY KEY (day_start_ms, kind, user_name)
   );
   CREATE TABLE session_totals (
     session text COLLATE "C" PRIMARY KEY,
     first_hour_ms bigint NOT NULL,
     last_hour_ms bigint NOT NULL,
     ${ALL_COUNTERS}
   );
   INSERT INTO day_rollups (day_start_ms, model, project, user_name, ${INCLUDED_COUNTERS})
     SELECT (hour_start_ms / 86400000) * 86400000, model, project, user_name, ${sumOf(INCLUDED_COUNTERS)}
     FROM rollups GROUP BY 1, 2, 3, 4;
   INSERT INTO day_team_rollups (day_start_ms, model, project, ${INCLUDED_COUNTERS})
     SELECT day_start_ms, model, project, ${sumOf(INCLUDED_COUNTERS)} FROM day_rollups GROUP BY 1, 2, 3;
   INSERT INTO day_user_rollups (day_start_ms, user_name, ${INCLUDED_COUNTERS})
     SELECT day_start_ms, user_name, ${sumOf(INCLUDED_COUNTERS)} FROM day_rollups GROUP BY 1, 2;
   INSERT INTO session_day_rollups (day_start_ms, session, user_name, ${INCLUDED_COUNTERS})
     SELECT (hour_start_ms / 86400000) * 86400000, session, user_name, ${sumOf(INCLUDED_COUNTERS)}
     FROM session_rollups GROUP BY 1, 2, 3;
   INSERT INTO error_day_rollups (day_start_ms, kind, user_name, requests)
     SELECT (hour_start_ms / 86400000) * 86400000, kind, user_name, SUM(requests) FROM error_rollups GROUP BY 1, 2, 3;
   INSERT INTO session_totals (session, first_hour_ms, last_hour_ms, ${INCLUDED_COUNTERS})
     SELECT session, MIN(hour_start_ms), MAX(hour_start_ms), ${sumOf(INCLUDED_COUNTERS)} FROM session_rollups GROUP BY 1;
   CREATE INDEX day_rollups_user ON day_rollups (user_name, day_start_ms) INCLUDE (model, project, ${INCLUDED_COUNTERS});
   CREATE INDEX session_day_rollups_user ON session_day_rollups (user_name, day_start_ms) INCLUDE (session, ${INCLUDED_COUNTERS});
   CREATE INDEX error_day_rollups_user ON error_day_rollups (user_name, day_start_ms) INCLUDE (kind, requests);
   CREATE INDEX session_day_rollups_session ON session_day_rollups (session, day_start_ms);
   CREATE INDEX session_totals_cost ON session_totals (cost_nano_usd DESC, requests DESC, session);
   CREATE INDEX session_totals_span ON session_totals USING gist (int8range(first_hour_ms, last_hour_ms, '[]'));`,
  // 5 → 6: the team view of range=all at 5 M requests (bench:team) still read every user's hourly cells of the
  // hours a viewer's local day takes from the next UTC day (Europe/Paris: 22:00–24:00 UTC, a busy hour of an
  // American office) and each user's day cells for the by-user breakdown. Two more layers, written with the
  // hours (rows.ts applyCells) and backfilled from them here:
  // - hour_team_rollups: rollups without the user (hour × model × project), the team's edge and moved hours;
  // - month_user_rollups: rollups per UTC month (month_start_ms = its first ms) and user, the team's by-user
  //   breakdown of the whole UTC months of a range.
  `CREATE TABLE hour_team_rollups (
     hour_start_ms bigint NOT NULL,
     model text NOT NULL,
     project text NOT NULL,
     ${ALL_COUNTERS},
     PRIMARY KEY (hour_start_ms, model, project)
   );
   CREATE TABLE month_user_rollups (
     month_start_ms bigint NOT NULL,
     user_name text NOT NULL,
     ${ALL_COUNTERS},
     PRIMARY KEY (month_start_ms, user_name)
   );
   INSERT INTO hour_team_rollups (hour_start_ms, model, project, ${INCLUDED_COUNTERS})
     SELECT hour_start_ms, model, project, ${sumOf(INCLUDED_COUNTERS)} FROM rollups GROUP BY 1, 2, 3;
   INSERT INTO month_user_rollups (month_start_ms, user_name, ${INCLUDED_COUNTERS})
     SELECT (EXTRACT(EPOCH FROM date_trunc('month', to_timestamp(day_start_ms / 1000) AT TIME ZONE 'UTC')) * 1000)::int8, user_name,
       ${sumOf(INCLUDED_COUNTERS)}
     FROM day_user_rollups GROUP BY 1, 2;`,
  // 6 → 7: the team view of range=all at 5 M requests still read every day × model × project cell (≈7,300) and
  // summed them twice for its series and once for its groups (bench:team, EXPLAIN ANALYZE: ≈90 % of the
  // summary). Its series needs only requests and cost per day and model, and per day and project; its groups
  // whole months. Written with the hours (rows.ts applyCells) and backfilled from them here:
  // - day_model_rollups, day_project_rollups: requests and cost per UTC day × model and UTC day × project;
  // - month_team_rollups: every counter per UTC month × model × project.
  `CREATE TABLE day_model_rollups (
     day_start_ms bigint NOT NULL,
     model text NOT NULL,
     requests bigint NOT NULL DEFAULT 0,
     cost_nano_usd bigint NOT NULL DEFAULT 0,
     PRIMARY KEY (day_start_ms, model)
   );
   CREATE TABLE day_project_rollups (
     day_start_ms bigint NOT NULL,
     project text NOT NULL,
     requests bigint NOT NULL DEFAULT 0,
     cost_nano_usd bigint NOT NULL DEFAULT 0,
     PRIMARY KEY (day_start_ms, project)
   );
   CREATE TABLE month_team_rollups (
     month_start_ms bigint NOT NULL,
     model text NOT NULL,
     project text NOT NULL,
     ${ALL_COUNTERS},
     PRIMARY KEY (month_start_ms, model, project)
   );
   INSERT INTO day_model_rollups (day_start_ms, model, requests, cost_nano_usd)
     SELECT (hour_start_ms / 86400000) * 86400000, model, SUM(requests), SUM(cost_nano_usd) FROM rollups GROUP BY 1, 2;
   INSERT INTO day_project_rollups (day_start_ms, project, requests, cost_nano_usd)
     SELECT (hour_start_ms / 86400000) * 86400000, project, SUM(requests), SUM(cost_nano_usd) FROM rollups GROUP BY 1, 2;
   INSERT INTO month_team_rollups (month_start_ms, model, project, ${INCLUDED_COUNTERS})
     SELECT (EXTRACT(EPOCH FROM date_trunc('month', to_timestamp(hour_start_ms / 1000) AT TIME ZONE 'UTC')) * 1000)::int8, model, project,
       ${sumOf(INCLUDED_COUNTERS)}
     FROM rollups GROUP BY 1, 2, 3;`,
  // 7 → 8: in a zone whose day does not start on a UTC midnight (Europe/Paris: 22:00 or 23:00 UTC) the team's
  // series still read the hours each local day takes from the next or last UTC day (range=all at 5 M requests:
  // 493 hours, 3,427 team cells read by one index probe an hour and summed twice, ≈75 % of the rows the series
  // aggregated). Every local day of a zone (hours by their midpoint) is the 24 hours from some whole UTC hour,
  // except on a DST change. Two layers of requests and cost per 24-hour window from every UTC hour, written with
  // the hours (rows.ts applyCells; an hour is in 24 windows) and backfilled from them here:
  // - local_day_model_rollups, local_day_project_rollups: the window [day_start_ms, day_start_ms + 24 h) per
  //   model and per project; start_hour = its UTC hour (0–23) leads the key, so the days of one offset are one
  //   range scan.
  `CREATE TABLE local_day_model_rollups (
     start_hour smallint NOT NULL,
     day_start_ms bigint NOT NULL,
     model text NOT NULL,
     requests bigint NOT NULL DEFAULT 0,
     cost_nano_usd bigint NOT NULL DEFAULT 0,
     PRIMARY KEY (start_hour, day_start_ms, model)
   );
   CREATE TABLE local_day_project_rollups (
     start_hour smallint NOT NULL,
     day_start_ms bigint NOT NULL,
     project text NOT NULL,
     requests bigint NOT NULL DEFAULT 0,
     cost_nano_usd bigint NOT NULL DEFAULT 0,
     PRIMARY KEY (start_hour, day_start_ms, project)
   );
   INSERT INTO local_day_model_rollups (start_hour, day_start_ms, model, requests, cost_nano_usd)
     SELECT ((w.s / 3600000) % 24)::int2, w.s, model, SUM(requests), SUM(cost_nano_usd)
     FROM (SELECT hour_start_ms, model, SUM(requests) AS requests, SUM(cost_nano_usd) AS cost_nano_usd FROM rollups GROUP BY 1, 2) h
       CROSS JOIN LATERAL (SELECT h.hour_start_ms - j * 3600000 AS s FROM generate_series(0, 23) j) w
     GROUP BY 1, 2, 3;
   INSERT INTO local_day_project_rollups (start_hour, day_start_ms, project, requests, cost_nano_usd)
     SELECT ((w.s / 3600000) % 24)::int2, w.s, project, SUM(requests), SUM(cost_nano_usd)
     FROM (SELECT hour_start_ms, project, SUM(requests) AS requests, SUM(cost_nano_usd) AS cost_nano_usd FROM rollups GROUP BY 1, 2) h
       CROSS JOIN LATERAL (SELECT h.hour_start_ms - j * 3600000 AS s FROM generate_series(0, 23) j) w
     GROUP BY 1, 2, 3;`,
];

export const PG_SCHEMA_VERSION = PG_MIGRATIONS.length;

/**
 * Any number: the advisory lock key (hashtext would also do). Migrations and partition creation take it
 * exclusively in their transactions; every write transaction takes it shared first and then reads the schema
 * version (schema-guard.ts), so no write of an older CCO commits after a newer one's migration.
 */
export const MIGRATION_LOCK = 7_011_019;

/**
 * Brings the database to the latest schema; refuses one from a newer CCO (SchemaNewerError). Returns versions
 * before/after. `migrations`: tests give a prefix of PG_MIGRATIONS to play an older CCO.
 */
export async function migratePg(
  pool: pg.Pool,
  version: string,
  migrations: readonly string[] = PG_MIGRATIONS,
): Promise<{ from: number; to: number }> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await client.query(`CREATE TABLE IF NOT EXISTS cco_schema_version (
      version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now(), cco_version text NOT NULL)`);
    const { rows } = await client.query<{ version: number; cco_version: string }>(
      'SELECT version, cco_version FROM cco_schema_version ORDER BY version DESC LIMIT 1',
    );
    const from = Number(rows[0]?.version ?? 0);
    if (from > migrations.length) throw new SchemaNewerError(from, migrations.length, rows[0]?.cco_version ?? null);
    await client.query('COMMIT');
    for (let v = from; v < migrations.length; v++) {
      await client.query('BEGIN');
      try {
        await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
        const done = await client.query('SELECT 1 FROM cco_schema_version WHERE version = $1', [v + 1]);
        if (done.rowCount === 0) {
          await client.query(migrations[v]!);
          await client.query('INSERT INTO cco_schema_version (version, cco_version) VALUES ($1, $2)', [v + 1, version]);
        }
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw new Error(`PostgreSQL migration ${v} → ${v + 1} failed: ${(err as Error).message}`, { cause: err });
      }
    }
    return { from, to: Math.max(from, migrations.length) };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

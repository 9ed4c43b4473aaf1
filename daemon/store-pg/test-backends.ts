/**
 * Test helpers (not used by production code): the two store backends behind one `open()`, records with
 * unique upstream request-ids (as the real upstream gives; the PostgreSQL store dedupes on them), and the check
 * that the PostgreSQL day layers are in step with their hours.
 */
import { ulid } from 'ulid';
import type { RequestRecord } from '../../shared/contract.ts';
import { openStore, type Store } from '../store/index.ts';
import { makeRecord, tempDir } from '../store/test-fixtures.ts';
import { openPgStore } from './index.ts';
import type { PgCluster } from '../../test/pg/cluster.ts';

export interface Backend {
  name: 'sql.js' | 'postgres';
  open(opts?: { retentionDays?: number; dataDir?: string }): Promise<Store>;
}

const quiet = (): void => undefined;

export function sqljsBackend(): Backend {
  return {
    name: 'sql.js',
    open: (o = {}) => openStore({ dataDir: o.dataDir ?? tempDir(), retentionDays: o.retentionDays ?? 36_500, log: quiet }),
  };
}

/** Each open() gets a fresh database in the cluster (given lazily: the cluster starts in beforeAll). */
export function pgBackend(cluster: () => PgCluster): Backend {
  return {
    name: 'postgres',
    open: async (o = {}) =>
      openPgStore({
        url: await cluster().createDatabase(),
        dataDir: o.dataDir ?? tempDir('cco-pgstore-'),
        retentionDays: o.retentionDays ?? 36_500,
        log: quiet,
      }),
  };
}

/** makeRecord with a unique upstream request-id. */
export function rec(over: Partial<RequestRecord> = {}): RequestRecord {
  return makeRecord({ upstreamRequestId: `req_${ulid()}`, ...over });
}

const COUNTER_COLUMNS_SQL = `requests, cost_nano_usd, unpriced_requests, cache_savings_nano_usd, input_tokens, cache_write_5m_tokens,
  cache_write_1h_tokens, cache_read_tokens, output_tokens, cache_hits, cache_hit_savings_nano_usd`;
/** The rollup counters, by name. */
export const COUNTER_COLUMNS = COUNTER_COLUMNS_SQL.split(',').map((c) => c.trim());
const SUMS = COUNTER_COLUMNS.map((c) => `SUM(${c})::text`).join(', ');
const TEXTS = COUNTER_COLUMNS.map((c) => `${c}::text`).join(', ');
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/**
 * Rows where a day layer of the PostgreSQL store (or its session totals, its team hours or its users'
 * months, its local days) and its hourly cells summed the same way differ, both ways: [] when they are in step
 * (schema.ts migrations 5 to 8).
 */
export async function dayLayerMismatches(db: { query: (text: string) => Promise<{ rows: unknown[] }> }): Promise<unknown[]> {
  const day = `(hour_start_ms / ${DAY}) * ${DAY}`;
  // the UTC month's first ms, as PostgreSQL's calendar has it (the write path computes it in JS)
  const month = `(EXTRACT(EPOCH FROM date_trunc('month', to_timestamp(hour_start_ms / 1000) AT TIME ZONE 'UTC')) * 1000)::int8`;
  const pairs: [string, string][] = [
    [`SELECT ${day}, model, project, user_name, ${SUMS} FROM rollups GROUP BY 1, 2, 3, 4`, `SELECT day_start_ms, model, project, user_name, ${TEXTS} FROM day_rollups`],
    [`SELECT ${day}, model, project, ${SUMS} FROM rollups GROUP BY 1, 2, 3`, `SELECT day_start_ms, model, project, ${TEXTS} FROM day_team_rollups`],
    [`SELECT ${day}, user_name, ${SUMS} FROM rollups GROUP BY 1, 2`, `SELECT day_start_ms, user_name, ${TEXTS} FROM day_user_rollups`],
    [`SELECT hour_start_ms, model, project, ${SUMS} FROM rollups GROUP BY 1, 2, 3`, `SELECT hour_start_ms, model, project, ${TEXTS} FROM hour_team_rollups`],
    [`SELECT ${month}, user_name, ${SUMS} FROM rollups GROUP BY 1, 2`, `SELECT month_start_ms, user_name, ${TEXTS} FROM month_user_rollups`],
    [`SELECT ${day}, model, SUM(requests)::text, SUM(cost_nano_usd)::text FROM rollups GROUP BY 1, 2`, 'SELECT day_start_ms, model, requests::text, cost_nano_usd::text FROM day_model_rollups'],
    [`SELECT ${day}, project, SUM(requests)::text, SUM(cost_nano_usd)::text FROM rollups GROUP BY 1, 2`, 'SELECT day_start_ms, project, requests::text, cost_nano_usd::text FROM day_project_rollups'],
    [`SELECT ${month}, model, project, ${SUMS} FROM rollups GROUP BY 1, 2, 3`, `SELECT month_start_ms, model, project, ${TEXTS} FROM month_team_rollups`],
    // every 24-hour window from a whole UTC hour holds the hours from its start to 23 hours later
    ...(['model', 'project'] as const).map((key): [string, string] => [
      `SELECT ((s / ${HOUR}) % 24)::int2, s, ${key}, SUM(requests)::text, SUM(cost_nano_usd)::text
        FROM (SELECT hour_start_ms - j * ${HOUR} AS s, ${key}, requests, cost_nano_usd FROM rollups CROSS JOIN generate_series(0, 23) j) w GROUP BY 1, 2, 3`,
      `SELECT start_hour, day_start_ms, ${key}, requests::text, cost_nano_usd::text FROM local_day_${key}_rollups`,
    ]),
    [`SELECT ${day}, session, user_name, ${SUMS} FROM session_rollups GROUP BY 1, 2, 3`, `SELECT day_start_ms, session, user_name, ${TEXTS} FROM session_day_rollups`],
    [`SELECT ${day}, kind, user_name, SUM(requests)::text FROM error_rollups GROUP BY 1, 2, 3`, 'SELECT day_start_ms, kind, user_name, requests::text FROM error_day_rollups'],
    [
      `SELECT session, MIN(hour_start_ms), MAX(hour_start_ms), ${SUMS} FROM session_rollups GROUP BY 1`,
      `SELECT session, first_hour_ms, last_hour_ms, ${TEXTS} FROM session_totals`,
    ],
  ];
  const out: unknown[] = [];
  for (const [a, b] of pairs) {
    out.push(...(await db.query(`(${a}) EXCEPT (${b})`)).rows, ...(await db.query(`(${b}) EXCEPT (${a})`)).rows);
  }
  return out;
}

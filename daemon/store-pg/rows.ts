/**
 * RequestRecord ⇄ `requests` row for PostgreSQL, and the idempotent batch insert that keeps `rollups`,
 * `session_rollups` and their UTC-day layers (`day_rollups`, `session_day_rollups`) in step in the same transaction.
 *
 * A batch is three statements whatever its size (columns passed as arrays and `unnest`ed, prepared once
 * per connection as named statements): claim ids + upstream request-ids in `request_keys`, insert the
 * records that got their claim, add their merged rollup deltas (cells sorted, so concurrent daemons take
 * row locks in the same order).
 */
import type pg from 'pg';
import type { RecordSource, RequestRecord, RequestState } from '../../shared/contract.ts';
import { ErrorAndSessionCells, HOUR_MS } from '../store/rows.ts';
import { ensurePartitions } from './partitions.ts';
import { PG_SCHEMA_VERSION } from './schema.ts';
import { SchemaGuard } from './schema-guard.ts';

const DAY_MS = 24 * HOUR_MS;

/** [column, SQL array type, value of a record]. */
type Column = readonly [string, string, (r: RequestRecord, user: string | null) => unknown];

export const COLUMNS: readonly Column[] = [
  ['id', 'text', (r) => r.id],
  ['started_at', 'int8', (r) => r.startedAt],
  ['ended_at', 'int8', (r) => r.endedAt],
  ['method', 'text', (r) => r.method],
  ['path', 'text', (r) => r.path],
  ['status', 'int4', (r) => r.status],
  ['state', 'text', (r) => r.state],
  ['upstream_request_id', 'text', (r) => r.upstreamRequestId],
  ['message_id', 'text', (r) => r.messageId],
  ['model_requested', 'text', (r) => r.modelRequested],
  ['model', 'text', (r) => r.model],
  ['stream', 'bool', (r) => r.stream],
  ['ttfb_ms', 'int8', (r) => r.ttfbMs],
  ['duration_ms', 'int8', (r) => r.durationMs],
  ['input_tokens', 'int8', (r) => r.tokens.input],
  ['cache_write_5m_tokens', 'int8', (r) => r.tokens.cacheWrite5m],
  ['cache_write_1h_tokens', 'int8', (r) => r.tokens.cacheWrite1h],
  ['cache_read_tokens', 'int8', (r) => r.tokens.cacheRead],
  ['output_tokens', 'int8', (r) => r.tokens.output],
  ['thinking_tokens', 'int8', (r) => r.thinkingTokens],
  ['web_search_requests', 'int8', (r) => r.webSearchRequests],
  ['service_tier', 'text', (r) => r.serviceTier],
  ['speed', 'text', (r) => r.speed],
  ['inference_geo', 'text', (r) => r.inferenceGeo],
  ['billable', 'bool', (r) => r.billable],
  ['cost_nano_usd', 'int8', (r) => r.costNanoUsd],
  ['price_version', 'text', (r) => r.priceVersion],
  ['unpriced_reason', 'text', (r) => r.unpricedReason],
  ['cache_savings_nano_usd', 'int8', (r) => r.cacheSavingsNanoUsd],
  ['session_id', 'text', (r) => r.sessionId],
  ['agent_id', 'text', (r) => r.agentId],
  ['parent_agent_id', 'text', (r) => r.parentAgentId],
  ['project', 'text', (r) => r.project],
  ['client', 'text', (r) => r.client],
  ['credential_id', 'text', (r) => r.credentialId],
  ['source', 'text', (r) => r.source],
  ['cache_hit', 'bool', (r) => r.cacheHit],
  ['error_type', 'text', (r) => r.errorType],
  ['bytes_in', 'int8', (r) => r.bytesIn],
  ['bytes_out', 'int8', (r) => r.bytesOut],
  ['git_branch', 'text', (r) => r.gitBranch ?? null],
  ['is_sidechain', 'bool', (r) => r.isSidechain ?? null],
  ['user_name', 'text', (r, user) => user],
];

/** SELECT list giving every column of a record (not the generated total_tokens). */
export const SELECT_COLUMNS = COLUMNS.map((c) => c[0]).join(', ');

/** The record's user: its own, else the store's default (a federated daemon's `[team] user`). */
export function userOf(r: RequestRecord, fallback: string | null): string | null {
  return r.user ?? fallback;
}

type Row = Record<string, unknown>;
const str = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
const int = (v: unknown): number => Number(v ?? 0);

export function rowToRecord(o: Row): RequestRecord {
  const r: RequestRecord = {
    id: String(o.id),
    startedAt: int(o.started_at),
    endedAt: int(o.ended_at),
    method: String(o.method),
    path: String(o.path),
    status: num(o.status),
    state: String(o.state) as RequestState,
    upstreamRequestId: str(o.upstream_request_id),
    messageId: str(o.message_id),
    modelRequested: str(o.model_requested),
    model: str(o.model),
    stream: o.stream === true,
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
    serviceTier: str(o.service_tier),
    speed: str(o.speed),
    inferenceGeo: str(o.inference_geo),
    billable: o.billable === true,
    costNanoUsd: num(o.cost_nano_usd),
    priceVersion: str(o.price_version),
    unpricedReason: str(o.unpriced_reason),
    cacheSavingsNanoUsd: int(o.cache_savings_nano_usd),
    sessionId: str(o.session_id),
    agentId: str(o.agent_id),
    parentAgentId: str(o.parent_agent_id),
    project: str(o.project),
    client: str(o.client),
    credentialId: str(o.credential_id),
    source: String(o.source) as RecordSource,
    cacheHit: o.cache_hit === true,
    errorType: str(o.error_type),
    gitBranch: str(o.git_branch),
    isSidechain: o.is_sidechain === null || o.is_sidechain === undefined ? null : o.is_sidechain === true,
    bytesIn: int(o.bytes_in),
    bytesOut: int(o.bytes_out),
  };
  // Only present when known, so records read back equal the ones written (the field is optional).
  if (o.user_name !== null && o.user_name !== undefined) r.user = String(o.user_name);
  return r;
}

const COUNTER_NAMES = [
  'requests', 'cost_nano_usd', 'unpriced_requests', 'cache_savings_nano_usd', 'input_tokens',
  'cache_write_5m_tokens', 'cache_write_1h_tokens', 'cache_read_tokens', 'output_tokens', 'cache_hits',
  'cache_hit_savings_nano_usd',
] as const;
export const COUNTER_SQL = COUNTER_NAMES.join(', ');

/** One rollup cell's key and counter deltas (COUNTER_NAMES order). */
export interface Cell {
  hour: number;
  model: string;
  project: string;
  user: string;
  session: string;
  counters: number[];
}

/** The rollup contribution of one record ('' = unknown, as in the embedded store). */
export function recordCell(r: RequestRecord, user: string | null): Cell {
  return {
    hour: Math.floor(r.startedAt / HOUR_MS) * HOUR_MS,
    model: r.model ?? r.modelRequested ?? '',
    project: r.project ?? '',
    user: user ?? '',
    session: r.sessionId ?? '',
    counters: [
      1, r.costNanoUsd ?? 0, r.billable && r.costNanoUsd === null ? 1 : 0, r.cacheSavingsNanoUsd,
      r.tokens.input, r.tokens.cacheWrite5m, r.tokens.cacheWrite1h, r.tokens.cacheRead, r.tokens.output,
      r.cacheHit ? 1 : 0, r.cacheHit ? r.cacheSavingsNanoUsd : 0,
    ],
  };
}

/** The first ms of the UTC day holding `t` (day_rollups' key). */
export const utcDayOf = (t: number): number => Math.floor(t / DAY_MS) * DAY_MS;

/** The first ms of the UTC month holding `t` (month_user_rollups' key). */
export const utcMonthOf = (t: number): number => {
  const d = new Date(t);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
};

/**
 * Sums cells by the key `shape` gives (hour or UTC day; with or without the session; with or without model and
 * project), sorted by key so lock order is the same everywhere.
 */
function merge(cells: readonly Cell[], shape: (c: Cell) => Cell): Cell[] {
  const m = new Map<string, Cell>();
  for (const cell of cells) {
    const c = shape(cell);
    const k = `${c.hour}\u0000${c.session}\u0000${c.model}\u0000${c.project}\u0000${c.user}`;
    const acc = m.get(k);
    if (!acc) m.set(k, { ...c, counters: [...c.counters] });
    else for (let i = 0; i < acc.counters.length; i++) acc.counters[i]! += c.counters[i]!;
  }
  return [...m.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map((e) => e[1]);
}

const unnestList = (types: readonly string[], from = 1): string => types.map((t, i) => `$${i + from}::${t}[]`).join(', ');

const ROLLUP_KEYS = ['hour_start_ms', 'model', 'project', 'user_name'];
const SESSION_KEYS = ['hour_start_ms', 'session', 'model', 'project', 'user_name'];
const DAY_KEYS = ['day_start_ms', 'model', 'project', 'user_name'];
const SESSION_DAY_KEYS = ['day_start_ms', 'session', 'user_name'];

function upsertSql(table: string, keys: readonly string[], counters: readonly string[] = COUNTER_NAMES): string {
  const cols = [...keys, ...counters];
  const types = [...keys.map((k) => (k.endsWith('_start_ms') ? 'int8' : 'text')), ...counters.map(() => 'int8')];
  return `INSERT INTO ${table} (${cols.join(', ')}) SELECT * FROM unnest(${unnestList(types)})
    ON CONFLICT (${keys.join(', ')}) DO UPDATE SET ${counters.map((c) => `${c} = ${table}.${c} + excluded.${c}`).join(', ')}`;
}

const ROLLUP_UPSERT = upsertSql('rollups', ROLLUP_KEYS);
const SESSION_UPSERT = upsertSql('session_rollups', SESSION_KEYS);
const DAY_UPSERT = upsertSql('day_rollups', DAY_KEYS);
const DAY_TEAM_UPSERT = upsertSql('day_team_rollups', ['day_start_ms', 'model', 'project']);
const DAY_USER_UPSERT = upsertSql('day_user_rollups', ['day_start_ms', 'user_name']);
const HOUR_TEAM_UPSERT = upsertSql('hour_team_rollups', ['hour_start_ms', 'model', 'project']);
const MONTH_USER_UPSERT = upsertSql('month_user_rollups', ['month_start_ms', 'user_name']);
const SERIES_COUNTERS = ['requests', 'cost_nano_usd'];
const DAY_MODEL_UPSERT = upsertSql('day_model_rollups', ['day_start_ms', 'model'], SERIES_COUNTERS);
const DAY_PROJECT_UPSERT = upsertSql('day_project_rollups', ['day_start_ms', 'project'], SERIES_COUNTERS);
const MONTH_TEAM_UPSERT = upsertSql('month_team_rollups', ['month_start_ms', 'model', 'project']);
const localDayUpsert = (table: string, key: string): string => `INSERT INTO ${table} (start_hour, day_start_ms, ${key}, requests, cost_nano_usd)
  SELECT * FROM unnest($1::int2[], $2::int8[], $3::text[], $4::int8[], $5::int8[])
  ON CONFLICT (start_hour, day_start_ms, ${key}) DO UPDATE SET requests = ${table}.requests + excluded.requests,
    cost_nano_usd = ${table}.cost_nano_usd + excluded.cost_nano_usd`;
const LOCAL_DAY_MODEL_UPSERT = localDayUpsert('local_day_model_rollups', 'model');
const LOCAL_DAY_PROJECT_UPSERT = localDayUpsert('local_day_project_rollups', 'project');
const SESSION_DAY_UPSERT = upsertSql('session_day_rollups', SESSION_DAY_KEYS);
const SESSION_TOTALS_UPSERT = `INSERT INTO session_totals (session, first_hour_ms, last_hour_ms, ${COUNTER_NAMES.join(', ')})
  SELECT * FROM unnest(${unnestList(['text', 'int8', 'int8', ...COUNTER_NAMES.map(() => 'int8')])})
  ON CONFLICT (session) DO UPDATE SET first_hour_ms = LEAST(session_totals.first_hour_ms, excluded.first_hour_ms),
    last_hour_ms = GREATEST(session_totals.last_hour_ms, excluded.last_hour_ms),
    ${COUNTER_NAMES.map((c) => `${c} = session_totals.${c} + excluded.${c}`).join(', ')}`;

const ERROR_UPSERT = `INSERT INTO error_rollups (hour_start_ms, session, kind, user_name, requests)
  SELECT * FROM unnest($1::int8[], $2::text[], $3::text[], $4::text[], $5::int8[])
  ON CONFLICT (hour_start_ms, session, kind, user_name) DO UPDATE SET requests = error_rollups.requests + excluded.requests`;
const ERROR_DAY_UPSERT = `INSERT INTO error_day_rollups (day_start_ms, kind, user_name, requests)
  SELECT * FROM unnest($1::int8[], $2::text[], $3::text[], $4::int8[])
  ON CONFLICT (day_start_ms, kind, user_name) DO UPDATE SET requests = error_day_rollups.requests + excluded.requests`;
// As the embedded store: a session's project is the one of its latest request that names one.
const SESSIONS_UPSERT = `INSERT INTO sessions (session, first_ms, last_ms, project)
  SELECT * FROM unnest($1::text[], $2::int8[], $3::int8[], $4::text[])
  ON CONFLICT (session) DO UPDATE SET first_ms = LEAST(sessions.first_ms, excluded.first_ms),
    last_ms = GREATEST(sessions.last_ms, excluded.last_ms),
    project = CASE WHEN excluded.project <> '' AND (sessions.project = '' OR excluded.last_ms >= sessions.last_ms)
      THEN excluded.project ELSE sessions.project END`;

/**
 * Adds a batch's failed requests into error_rollups (and their UTC days into error_day_rollups) and its sessions
 * into `sessions` (caller owns the transaction). `schema`: as applyCells.
 */
export async function applyErrorsAndSessions(
  client: pg.PoolClient,
  records: readonly RequestRecord[],
  userOfRecord: (r: RequestRecord) => string | null,
  schema = PG_SCHEMA_VERSION,
): Promise<void> {
  // The embedded store's cells, with the user in the error cells' key.
  const cells = new ErrorAndSessionCells(userOfRecord);
  for (const r of records) cells.add(r);
  const errors = cells.errors;
  if (errors.size > 0) {
    const list = [...errors.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map((e) => e[1]);
    await client.query({ name: 'cco_error_upsert', text: ERROR_UPSERT, values: [0, 1, 2, 3, 4].map((i) => list.map((e) => e[i])) });
    const byDay = new Map<string, [number, string, string, number]>();
    for (const [hour, , kind, user, n] of list) {
      const day = utcDayOf(hour);
      const k = `${day}\u0000${kind}\u0000${user}`;
      const acc = byDay.get(k);
      if (acc) acc[3] += n;
      else byDay.set(k, [day, kind, user, n]);
    }
    const days = [...byDay.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map((e) => e[1]);
    if (schema >= 5) await client.query({ name: 'cco_error_day_upsert', text: ERROR_DAY_UPSERT, values: [0, 1, 2, 3].map((i) => days.map((e) => e[i])) });
  }
  if (cells.sessions.size > 0) {
    const list = [...cells.sessions.values()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    await client.query({ name: 'cco_sessions_upsert', text: SESSIONS_UPSERT, values: [0, 1, 2, 3].map((i) => list.map((s) => s[i])) });
  }
}

/**
 * Adds merged cells into rollups and session_rollups, their team hours into hour_team_rollups, their UTC days
 * into the day layers, the 24-hour windows holding their hours into the local-day layers and their users' UTC
 * months into month_user_rollups (caller owns the transaction: the hours and the days move together, so every path that
 * writes cells — insert, bulk, federated shipping, reprice — keeps the days exact, and a batch counted once
 * is counted once in both). `schema`: the version whose layers are written (the writer's own, which the schema
 * guard checked the database has; 4 or more; tests give less than the latest to play an older CCO).
 */
export async function applyCells(client: pg.PoolClient, cells: readonly Cell[], schema = PG_SCHEMA_VERSION): Promise<void> {
  if (cells.length === 0) return;
  const byCell = merge(cells, (c) => ({ ...c, session: '' }));
  const cols = (list: Cell[], keys: (c: Cell) => unknown[]): unknown[][] => {
    const width = keys(list[0]!).length + COUNTER_NAMES.length;
    const out: unknown[][] = Array.from({ length: width }, () => []);
    for (const c of list) {
      const row = [...keys(c), ...c.counters];
      for (let i = 0; i < width; i++) out[i]!.push(row[i]);
    }
    return out;
  };
  await client.query({ name: 'cco_rollup_upsert', text: ROLLUP_UPSERT, values: cols(byCell, (c) => [c.hour, c.model, c.project, c.user]) });
  const byTeamHour = merge(byCell, (c) => ({ ...c, user: '' }));
  if (schema >= 6) await client.query({ name: 'cco_hour_team_upsert', text: HOUR_TEAM_UPSERT, values: cols(byTeamHour, (c) => [c.hour, c.model, c.project]) });
  const bySession = merge(cells, (c) => c);
  await client.query({
    name: 'cco_session_rollup_upsert',
    text: SESSION_UPSERT,
    values: cols(bySession, (c) => [c.hour, c.session, c.model, c.project, c.user]),
  });
  const byDay = merge(byCell, (c) => ({ ...c, hour: utcDayOf(c.hour) }));
  if (schema >= 5) await client.query({ name: 'cco_day_rollup_upsert', text: DAY_UPSERT, values: cols(byDay, (c) => [c.hour, c.model, c.project, c.user]) });
  const byTeamDay = merge(byDay, (c) => ({ ...c, user: '' }));
  if (schema >= 5) await client.query({ name: 'cco_day_team_upsert', text: DAY_TEAM_UPSERT, values: cols(byTeamDay, (c) => [c.hour, c.model, c.project]) });
  // requests and cost (the first two counters) per day × model and day × project; every counter per month
  const series = (list: Cell[], key: (c: Cell) => string): unknown[][] => [list.map((c) => c.hour), list.map(key), list.map((c) => c.counters[0]), list.map((c) => c.counters[1])];
  const byModelDay = merge(byTeamDay, (c) => ({ ...c, project: '' }));
  if (schema >= 7) await client.query({ name: 'cco_day_model_upsert', text: DAY_MODEL_UPSERT, values: series(byModelDay, (c) => c.model) });
  const byProjectDay = merge(byTeamDay, (c) => ({ ...c, model: '' }));
  if (schema >= 7) await client.query({ name: 'cco_day_project_upsert', text: DAY_PROJECT_UPSERT, values: series(byProjectDay, (c) => c.project) });
  // the same per 24-hour window from each whole UTC hour (a zone's local day): every hour is in 24 of them
  const windows = (list: Cell[]): Cell[] => merge(list.flatMap((c) => Array.from({ length: 24 }, (_, j) => ({ ...c, hour: c.hour - j * HOUR_MS }))), (c) => c);
  const local = (list: Cell[], key: (c: Cell) => string): unknown[][] => [list.map((c) => (c.hour / HOUR_MS) % 24), ...series(list, key)];
  const byModelHour = merge(byTeamHour, (c) => ({ ...c, project: '' }));
  if (schema >= 8) await client.query({ name: 'cco_local_day_model_upsert', text: LOCAL_DAY_MODEL_UPSERT, values: local(windows(byModelHour), (c) => c.model) });
  const byProjectHour = merge(byTeamHour, (c) => ({ ...c, model: '' }));
  if (schema >= 8) await client.query({ name: 'cco_local_day_project_upsert', text: LOCAL_DAY_PROJECT_UPSERT, values: local(windows(byProjectHour), (c) => c.project) });
  const byTeamMonth = merge(byTeamDay, (c) => ({ ...c, hour: utcMonthOf(c.hour) }));
  if (schema >= 7) await client.query({ name: 'cco_month_team_upsert', text: MONTH_TEAM_UPSERT, values: cols(byTeamMonth, (c) => [c.hour, c.model, c.project]) });
  const byUserDay = merge(byDay, (c) => ({ ...c, model: '', project: '' }));
  if (schema >= 5) await client.query({ name: 'cco_day_user_upsert', text: DAY_USER_UPSERT, values: cols(byUserDay, (c) => [c.hour, c.user]) });
  const byUserMonth = merge(byUserDay, (c) => ({ ...c, hour: utcMonthOf(c.hour) }));
  if (schema >= 6) await client.query({ name: 'cco_month_user_upsert', text: MONTH_USER_UPSERT, values: cols(byUserMonth, (c) => [c.hour, c.user]) });
  const bySessionDay = merge(bySession, (c) => ({ ...c, hour: utcDayOf(c.hour), model: '', project: '' }));
  if (schema >= 5) await client.query({
    name: 'cco_session_day_rollup_upsert',
    text: SESSION_DAY_UPSERT,
    values: cols(bySessionDay, (c) => [c.hour, c.session, c.user]),
  });
  // each session's totals and the span of its cells' hours (first, last)
  const spans = new Map<string, { first: number; last: number; counters: number[] }>();
  for (const c of bySession) {
    const acc = spans.get(c.session);
    if (!acc) spans.set(c.session, { first: c.hour, last: c.hour, counters: [...c.counters] });
    else {
      acc.first = Math.min(acc.first, c.hour);
      acc.last = Math.max(acc.last, c.hour);
      for (let i = 0; i < acc.counters.length; i++) acc.counters[i]! += c.counters[i]!;
    }
  }
  const totals = [...spans.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  if (schema >= 5) await client.query({
    name: 'cco_session_totals_upsert',
    text: SESSION_TOTALS_UPSERT,
    values: [totals.map((t) => t[0]), totals.map((t) => t[1].first), totals.map((t) => t[1].last), ...COUNTER_NAMES.map((_, i) => totals.map((t) => t[1].counters[i]))],
  });
}

const CLAIM_SQL = `INSERT INTO request_keys (id, upstream_request_id, started_at)
  SELECT * FROM unnest($1::text[], $2::text[], $3::int8[]) ON CONFLICT DO NOTHING RETURNING id`;
const INSERT_SQL = `INSERT INTO requests (${SELECT_COLUMNS})
  SELECT * FROM unnest(${unnestList(COLUMNS.map((c) => c[1]))})`;

/**
 * Inserts the records not stored yet (by id, and by upstream request-id) with their rollups, in one
 * transaction; returns the records inserted. Throws (and rolls back) on any error; throws SchemaNewerError,
 * writing nothing, when the database's schema is newer than the guard's (schema-guard.ts), whose layers it writes.
 */
export async function insertBatch(
  pool: pg.Pool,
  records: readonly RequestRecord[],
  defaultUser: string | null,
  knownMonths: Set<number>,
  guard: SchemaGuard = new SchemaGuard(),
): Promise<RequestRecord[]> {
  if (records.length === 0) return [];
  guard.check();
  await ensurePartitions(pool, records.map((r) => r.startedAt), knownMonths);
  const client = await pool.connect();
  try {
    await guard.begin(client);
    const claimed = await client.query<{ id: string }>({
      name: 'cco_claim',
      text: CLAIM_SQL,
      values: [records.map((r) => r.id), records.map((r) => r.upstreamRequestId), records.map((r) => r.startedAt)],
    });
    const ids = new Set(claimed.rows.map((r) => r.id));
    const fresh: RequestRecord[] = [];
    for (const r of records) {
      if (!ids.delete(r.id)) continue; // not claimed, or a repeat within the batch
      fresh.push(r);
    }
    if (fresh.length > 0) {
      await client.query({
        name: 'cco_insert',
        text: INSERT_SQL,
        values: COLUMNS.map(([, , get]) => fresh.map((r) => get(r, userOf(r, defaultUser)))),
      });
      await applyCells(client, fresh.map((r) => recordCell(r, userOf(r, defaultUser))), guard.known);
      await applyErrorsAndSessions(client, fresh, (r) => userOf(r, defaultUser), guard.known);
    }
    await client.query('COMMIT');
    return fresh;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

/**
 * Read and maintenance queries on PostgreSQL: list (keyset paging, the embedded store's cursors and orders),
 * get, upstream-id lookup, reprice scan/apply, retention. Same results as daemon/store/queries.ts (the
 * two-backend tests check it); text keys compare in byte order (COLLATE "C", see schema.ts).
 */
import type pg from 'pg';
import { ERROR_STATES, STATE_FILTER_ERRORS, type RequestPage, type RequestQuery, type RequestRecord, type RequestSort } from '../../shared/contract.ts';
import { sortValue } from '../../shared/record-values.ts';
import { NONE_KEY, clampLimit, decodeCursor, decodeListCursor, encodeCursor, encodeListCursor, type RepriceUpdate } from '../store/queries.ts';
import { listPartitions, monthBounds } from './partitions.ts';
import { SELECT_COLUMNS, applyCells, recordCell, rowToRecord, type Cell } from './rows.ts';
import { SchemaGuard } from './schema-guard.ts';

type Queryable = pg.Pool | pg.PoolClient;

const SORT_SQL: Record<RequestSort, string> = {
  time: 'started_at',
  cost: 'cost_nano_usd',
  tokens: 'total_tokens',
  duration: 'duration_ms',
};

/** Builds `$n` placeholders as values are pushed. */
class Params {
  readonly values: unknown[] = [];
  add(v: unknown): string {
    this.values.push(v);
    return `$${this.values.length}`;
  }
}

function filterWhere(q: RequestQuery, p: Params): string[] {
  const where: string[] = [];
  if (q.model !== undefined) {
    if (q.model === NONE_KEY) where.push('model IS NULL AND model_requested IS NULL');
    else {
      const m = p.add(q.model);
      where.push(`(model = ${m} OR (model IS NULL AND model_requested = ${m}))`);
    }
  }
  if (q.project !== undefined) where.push(q.project === NONE_KEY ? 'project IS NULL' : `project = ${p.add(q.project)}`);
  if (q.session !== undefined) where.push(`session_id = ${p.add(q.session)}`);
  if (q.state === STATE_FILTER_ERRORS) where.push(`(status >= 400 OR state IN (${ERROR_STATES.map((st) => p.add(st)).join(', ')}))`);
  else if (q.state !== undefined) where.push(`state = ${p.add(q.state)}`);
  if (q.user !== undefined) where.push(q.user === NONE_KEY ? 'user_name IS NULL' : `user_name = ${p.add(q.user)}`);
  if (q.from !== undefined) where.push(`started_at >= ${p.add(q.from)}`);
  if (q.to !== undefined) where.push(`started_at < ${p.add(q.to)}`);
  return where;
}

/** One page in `sort`/`order`, ties by id; unpriced rows after priced ones for `cost` (as the embedded store). */
export async function listRequests(db: Queryable, q: RequestQuery): Promise<RequestPage> {
  const sort = q.sort ?? 'time';
  const order = q.order ?? 'desc';
  const key = SORT_SQL[sort];
  const dir = order === 'desc' ? 'DESC' : 'ASC';
  const lt = order === 'desc' ? '<' : '>';
  const cursor = q.cursor !== undefined && q.cursor !== '' ? decodeListCursor(q.cursor, sort, order) : null;
  const limit = clampLimit(q.limit);

  const read = async (extra: (p: Params) => string[], n: number): Promise<RequestRecord[]> => {
    const p = new Params();
    const where = [...filterWhere(q, p), ...extra(p)];
    const sql = `SELECT ${SELECT_COLUMNS} FROM requests ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY ${key} ${dir}, id ${dir} LIMIT ${p.add(n)}`;
    const { rows } = await db.query(sql, p.values);
    return rows.map(rowToRecord);
  };

  let rows: RequestRecord[] = [];
  const nullable = sort === 'cost';
  if (!cursor || cursor.v !== null) {
    rows = await read((p) => {
      const extra = nullable ? [`${key} IS NOT NULL`] : [];
      if (cursor) extra.push(`(${key}, id) ${lt} (${p.add(cursor.v)}::int8, ${p.add(cursor.id)}::text)`);
      return extra;
    }, limit + 1);
  }
  if (nullable && rows.length <= limit) {
    rows = rows.concat(
      await read((p) => {
        const extra = [`${key} IS NULL`];
        if (cursor && cursor.v === null) extra.push(`id ${lt} ${p.add(cursor.id)}`);
        return extra;
      }, limit + 1 - rows.length),
    );
  }
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return {
    items,
    nextCursor: rows.length > limit && last ? encodeListCursor({ sort, order, v: sortValue(last, sort), id: last.id }) : null,
  };
}

/** By id through request_keys (which knows its month), so one partition's primary key is probed. */
export async function getRequest(db: Queryable, id: string): Promise<RequestRecord | null> {
  const { rows } = await db.query({
    name: 'cco_get',
    text: `SELECT ${SELECT_COLUMNS.split(', ').map((c) => `r.${c}`).join(', ')} FROM request_keys k
      JOIN requests r ON r.started_at = k.started_at AND r.id = k.id WHERE k.id = $1`,
    values: [id],
  });
  return rows[0] ? rowToRecord(rows[0]) : null;
}

export async function findByUpstreamRequestIds(
  db: Queryable,
  ids: readonly string[],
  range: { from?: number; to?: number },
): Promise<RequestRecord[]> {
  if (ids.length === 0) return [];
  const { rows } = await db.query(
    `SELECT ${SELECT_COLUMNS.split(', ').map((c) => `r.${c}`).join(', ')} FROM request_keys k
      JOIN requests r ON r.started_at = k.started_at AND r.id = k.id
      WHERE k.upstream_request_id = ANY($1::text[]) AND ($2::int8 IS NULL OR k.started_at >= $2) AND ($3::int8 IS NULL OR k.started_at < $3)
      ORDER BY r.started_at, r.id`,
    [[...ids], range.from ?? null, range.to ?? null],
  );
  return rows.map(rowToRecord);
}

/** Oldest first from `since`, keyset-paged on (started_at, id). */
export async function scanForReprice(
  db: Queryable,
  q: { since?: number; cursor?: string; limit: number },
): Promise<{ rows: RequestRecord[]; nextCursor: string | null }> {
  const p = new Params();
  const where: string[] = [];
  if (q.since !== undefined) where.push(`started_at >= ${p.add(q.since)}`);
  if (q.cursor) {
    const c = decodeCursor(q.cursor);
    where.push(`(started_at, id) > (${p.add(c.t)}::int8, ${p.add(c.id)}::text)`);
  }
  const limit = Math.max(1, Math.min(5000, Math.floor(q.limit)));
  const { rows } = await db.query(
    `SELECT ${SELECT_COLUMNS} FROM requests ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
     ORDER BY started_at ASC, id ASC LIMIT ${p.add(limit + 1)}`,
    p.values,
  );
  const records = rows.map(rowToRecord);
  const page = records.slice(0, limit);
  const last = page[page.length - 1];
  return { rows: page, nextCursor: records.length > limit && last ? encodeCursor({ t: last.startedAt, id: last.id }) : null };
}

/**
 * Updates rows and moves the cost/unpriced/savings differences into their rollup cells (the guard's schema's
 * layers); one transaction, refused by the schema guard as a batch insert is.
 */
export async function applyReprice(pool: pg.Pool, updates: readonly RepriceUpdate[], guard: SchemaGuard = new SchemaGuard()): Promise<number> {
  if (updates.length === 0) return 0;
  guard.check();
  const client = await pool.connect();
  try {
    await guard.begin(client);
    const { rows } = await client.query(
      `SELECT ${SELECT_COLUMNS.split(', ').map((c) => `r.${c}`).join(', ')} FROM request_keys k
        JOIN requests r ON r.started_at = k.started_at AND r.id = k.id WHERE k.id = ANY($1::text[]) FOR UPDATE OF r`,
      [updates.map((u) => u.id)],
    );
    const old = new Map(rows.map((o) => [String(o.id), rowToRecord(o)] as const));
    const applied: { u: RepriceUpdate; r: RequestRecord }[] = [];
    const cells: Cell[] = [];
    for (const u of updates) {
      const r = old.get(u.id);
      if (!r) continue; // deleted by retention meanwhile
      applied.push({ u, r });
      const before = recordCell(r, r.user ?? null);
      const after = recordCell({ ...r, costNanoUsd: u.costNanoUsd, cacheSavingsNanoUsd: u.cacheSavingsNanoUsd }, r.user ?? null);
      cells.push({ ...after, counters: after.counters.map((v, i) => v - before.counters[i]!) });
      // a repeated id in `updates` applies on top of the first
      old.set(u.id, { ...r, costNanoUsd: u.costNanoUsd, priceVersion: u.priceVersion, cacheSavingsNanoUsd: u.cacheSavingsNanoUsd, unpricedReason: u.unpricedReason });
    }
    if (applied.length > 0) {
      await client.query(
        `UPDATE requests r SET cost_nano_usd = u.cost, price_version = u.pv, cache_savings_nano_usd = u.savings, unpriced_reason = u.reason
         FROM unnest($1::text[], $2::int8[], $3::int8[], $4::text[], $5::int8[], $6::text[]) AS u(id, started_at, cost, pv, savings, reason)
         WHERE r.id = u.id AND r.started_at = u.started_at`,
        [
          applied.map((a) => a.u.id),
          applied.map((a) => a.r.startedAt),
          applied.map((a) => a.u.costNanoUsd),
          applied.map((a) => a.u.priceVersion),
          applied.map((a) => a.u.cacheSavingsNanoUsd),
          applied.map((a) => a.u.unpricedReason),
        ],
      );
      await applyCells(client, cells, guard.known);
    }
    await client.query('COMMIT');
    return applied.length;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

/**
 * Deletes detail rows that started before `cutoff` (rollups and request_keys stay): whole months are
 * dropped as partitions, the month holding the cutoff is DELETEd from. Returns the rows removed. Each in a
 * transaction the schema guard checks, as every write.
 */
export async function deleteOlderThan(pool: pg.Pool, cutoff: number, known: Set<number>, guard: SchemaGuard = new SchemaGuard()): Promise<number> {
  guard.check();
  let removed = 0;
  for (const [m, name] of [...(await listPartitions(pool)).entries()].sort((a, b) => a[0] - b[0])) {
    const b = monthBounds(m);
    if (b.from >= cutoff) break;
    const whole = b.to <= cutoff;
    const client = await pool.connect();
    try {
      await guard.begin(client);
      if (whole) {
        const { rows } = await client.query<{ n: number }>(`SELECT count(*) AS n FROM ${name}`);
        await client.query(`DROP TABLE ${name}`);
        removed += Number(rows[0]?.n ?? 0);
      } else {
        removed += (await client.query(`DELETE FROM ${name} WHERE started_at < $1`, [cutoff])).rowCount ?? 0;
      }
      await client.query('COMMIT');
      if (whole) known.delete(m);
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }
  return removed;
}

/**
 * Monthly partitions of `requests` (UTC months of started_at, epoch ms): `requests_pYYYYMM` holds
 * [first ms of the month, first ms of the next). Created on first use under the migration advisory lock
 * (two daemons may want the same month at once), outside the insert's transaction so a rolled-back batch
 * never undoes a partition the cache believes in.
 */
import type pg from 'pg';
import { MIGRATION_LOCK } from './schema.ts';

/** Month index (year * 12 + month0) of an instant. */
export function monthOf(t: number): number {
  const d = new Date(t);
  return d.getUTCFullYear() * 12 + d.getUTCMonth();
}

export function monthBounds(m: number): { from: number; to: number; name: string } {
  const y = Math.floor(m / 12);
  const mo = m % 12;
  return {
    from: Date.UTC(y, mo, 1),
    to: Date.UTC(y, mo + 1, 1),
    name: `requests_p${String(y).padStart(4, '0')}${String(mo + 1).padStart(2, '0')}`,
  };
}

/** Partitions present: month index → table name, from the catalog. */
export async function listPartitions(pool: pg.Pool): Promise<Map<number, string>> {
  const { rows } = await pool.query<{ name: string }>(`SELECT c.relname AS name FROM pg_inherits i
    JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
    WHERE p.relname = 'requests' AND p.relnamespace = to_regnamespace(current_schema())::oid`);
  const out = new Map<number, string>();
  for (const { name } of rows) {
    const m = /^requests_p(\d{4})(\d{2})$/.exec(name);
    if (m) out.set(Number(m[1]) * 12 + Number(m[2]) - 1, name);
  }
  return out;
}

/** Creates the partitions the instants need that `known` does not list yet; adds them to `known`. */
export async function ensurePartitions(pool: pg.Pool, instants: Iterable<number>, known: Set<number>): Promise<void> {
  const wanted = new Set<number>();
  for (const t of instants) {
    const m = monthOf(t);
    if (!known.has(m)) wanted.add(m);
  }
  if (wanted.size === 0) return;
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    for (const m of [...wanted].sort((a, b) => a - b)) {
      const b = monthBounds(m);
      await client.query(`CREATE TABLE IF NOT EXISTS ${b.name} PARTITION OF requests FOR VALUES FROM (${b.from}) TO (${b.to})`);
    }
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
  for (const m of wanted) known.add(m);
}

/**
 * The schema guard (schema-guard.ts) on a real PostgreSQL: a daemon of an older CCO (played by a store given the
 * first 7 migrations, which writes the layers of schema 7 only, as that CCO did) keeps running while a newer one
 * (all migrations) migrates the shared database to 8.
 * - Its records written after the migration stay in its outbox (none reach PostgreSQL without the local-day
 *   layers of migration 8), it says so (health, status, one log line) and refuses reads; once it is replaced by
 *   the newer version they are written, once, and every summary layer equals a recompute from the hours. The same
 *   for the federated shipper (daemon/team/shipper.ts).
 * - The race: a write that begins while the migration's transaction runs waits for it and then writes nothing;
 *   writes streaming while the migration runs leave no record at the old schema after its commit.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RequestRecord } from '../../shared/contract.ts';
import { pgSkipReason, startPgCluster, type PgCluster } from '../../test/pg/cluster.ts';
import { until } from '../../test/daemon-process.ts';
import { openTeamShipper } from '../team/shipper.ts';
import { memoryLog, tempDir } from '../store/test-fixtures.ts';
import { VERSION } from '../version.ts';
import { openPgStore, type PgStore } from './index.ts';
import { createPool, SchemaNewerError } from './pool.ts';
import { insertBatch } from './rows.ts';
import { MIGRATION_LOCK, PG_MIGRATIONS, migratePg } from './schema.ts';
import { SchemaGuard } from './schema-guard.ts';
import { dayLayerMismatches, rec } from './test-backends.ts';
import { mulberry32 as prng } from '../../test/seeded-random.ts';

const quiet = (): void => undefined;
const HOUR = 3_600_000;
const NOW = Date.UTC(2026, 10, 20, 15, 0);
/** The older CCO: it knows schema 7 (no local-day layers). */
const OLD = PG_MIGRATIONS.slice(0, 7);

function records(seed: number, n: number): RequestRecord[] {
  const rnd = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  return Array.from({ length: n }, () => {
    const t = NOW - Math.floor(rnd() * 40 * 24 * HOUR);
    return rec({
      startedAt: t,
      endedAt: t + 40,
      model: pick(['m-opus', 'm-sonnet']),
      project: pick(['/p1', '/p2', null]),
      sessionId: pick(['s1', 's2', 's3', null]),
      user: pick(['ann', 'bob', null]),
      costNanoUsd: Math.floor(rnd() * 30_000_000),
      status: pick([200, 200, 529]),
    });
  });
}

type Db = { query: (text: string, values?: unknown[]) => Promise<{ rows: Record<string, unknown>[] }> };

/** Rows of `requests` per id among `ids` (0 when absent). */
async function copies(db: Db, ids: readonly string[]): Promise<{ present: number; rows: number }> {
  const { rows } = await db.query('SELECT count(DISTINCT id) AS present, count(*) AS rows FROM requests WHERE id = ANY($1::text[])', [ids]);
  return { present: Number(rows[0]!.present), rows: Number(rows[0]!.rows) };
}

async function totalRequests(db: Db): Promise<number> {
  return Number((await db.query('SELECT COALESCE(sum(requests), 0) AS n FROM rollups')).rows[0]!.n);
}

const ids = (rs: readonly RequestRecord[]): string[] => rs.map((r) => r.id);

describe.skipIf(pgSkipReason() !== null)('the schema guard (PostgreSQL)', () => {
  let cluster: PgCluster;
  const data = records(19_2026, 1200);

  beforeAll(async () => {
    cluster = await startPgCluster();
  });
  afterAll(async () => {
    await cluster?.destroy();
  });

  it('an older central store keeps its records in its outbox once a newer CCO migrated; the newer version writes them, every layer in step', async () => {
    const url = await cluster.createDatabase();
    const dir = tempDir('cco-pgstore-');
    const mem = memoryLog();
    const old = await openPgStore({ url, dataDir: dir, migrations: OLD, log: mem.log, retryMinMs: 20, retryMaxMs: 100 });
    let newer: PgStore | null = null;
    try {
      const before = data.slice(0, 300);
      for (const r of before) old.add(r);
      await old.flush();
      // the newer CCO starts: migrates 7 → 8 (its backfill takes the older daemon's hours in)
      newer = await openPgStore({ url, dataDir: tempDir('cco-pgstore-'), log: quiet });
      expect(await dayLayerMismatches(newer.pool)).toEqual([]);

      const after = data.slice(300, 700);
      for (const r of after) old.add(r);
      const refused = await old.flush().then(() => null, (e: unknown) => e);
      expect(refused).toBeInstanceOf(SchemaNewerError);
      expect(refused).toMatchObject({ database: 8, supported: 7, migratedBy: VERSION });
      expect(old.outbox.waiting()).toBe(400);
      expect(await copies(newer.pool, ids(after))).toEqual({ present: 0, rows: 0 });
      expect(await dayLayerMismatches(newer.pool)).toEqual([]);
      // it says so, once, and refuses reads and bulk writes (they would miss or lack the layers)
      expect(old.health().newerSchema).toMatchObject({ database: 8, supported: 7, migratedBy: VERSION });
      expect(old.health().lastError?.message).toMatch(/^database schema version 8 is newer than this CCO supports \(7\)/);
      expect((await old.stats()).outboxWaiting).toBe(400);
      expect(mem.lines.filter((l) => l.level === 'error')).toEqual([
        { level: 'error', msg: expect.stringMatching(/^store: the PostgreSQL schema is now version 8 \(migrated by CCO .+\), newer than this CCO .+ knows \(7\): nothing more is written there; records wait on disk/) },
      ]);
      await expect(old.summary({ range: 'all', tz: 'UTC' })).rejects.toBeInstanceOf(SchemaNewerError);
      await expect(old.listRequests({})).rejects.toBeInstanceOf(SchemaNewerError);
      await expect(old.addBulk(data.slice(1100, 1110))).rejects.toBeInstanceOf(SchemaNewerError);
      await expect(old.applyReprice([{ id: before[0]!.id, costNanoUsd: 1, priceVersion: 'v2', cacheSavingsNanoUsd: 0, unpricedReason: null }])).rejects.toBeInstanceOf(SchemaNewerError);
      await expect(old.pruneOld()).rejects.toBeInstanceOf(SchemaNewerError);

      // the newer daemon writes as usual meanwhile
      const theirs = data.slice(700, 900);
      for (const r of theirs) newer.add(r);
      await newer.flush();
      expect(await totalRequests(newer.pool)).toBe(500);

      // the older daemon is replaced by the newer version on the same data directory: its outbox is written, once
      await old.close();
      const upgraded = await openPgStore({ url, dataDir: dir, log: quiet });
      try {
        await upgraded.flush();
        expect(upgraded.outbox.waiting()).toBe(0);
        expect(await copies(newer.pool, ids(data.slice(0, 900)))).toEqual({ present: 900, rows: 900 });
        expect(await totalRequests(newer.pool)).toBe(900);
        expect(await dayLayerMismatches(newer.pool)).toEqual([]);
        expect((await upgraded.summary({ range: 'all', tz: 'UTC' })).totals.requests).toBe(900);
      } finally {
        await upgraded.close();
      }
    } finally {
      await old.close();
      await newer?.close();
    }
  });

  it('an older federated shipper keeps its records in its outbox once a newer CCO migrated, says so; the newer version ships them once', async () => {
    const url = await cluster.createDatabase();
    const dir = tempDir('cco-team-');
    const mem = memoryLog();
    const open = (migrations?: readonly string[]) => openTeamShipper({ url, user: 'ann', dataDir: dir, log: mem.log, retryMinMs: 20, retryMaxMs: 100, migrations });
    const old = await open(OLD);
    const pool = createPool(url);
    try {
      const before = data.slice(0, 200).map((r) => ({ ...r, user: undefined }));
      for (const r of before) old.add(r);
      await old.drain();
      expect(await migratePg(pool, 'next')).toEqual({ from: 7, to: 8 });

      const after = data.slice(200, 500).map((r) => ({ ...r, user: undefined }));
      for (const r of after) old.add(r);
      await expect(old.drain()).rejects.toBeInstanceOf(SchemaNewerError);
      const st = await until('the status', () => (old.status().lastError ? old.status() : null));
      expect(st).toMatchObject({ waiting: 300, shipped: 200, refused: 0, newerSchema: { database: 8, supported: 7, migratedBy: 'next' } });
      expect(st.lastError).toMatch(/newer than this CCO supports \(7\): migrated by CCO next/);
      expect(await copies(pool, ids(after))).toEqual({ present: 0, rows: 0 });
      expect(await dayLayerMismatches(pool)).toEqual([]);
      expect(mem.lines.filter((l) => l.level === 'error').map((l) => l.msg)).toEqual([
        expect.stringMatching(/^team: the PostgreSQL schema is now version 8 \(migrated by CCO next\), newer than this CCO .+ knows \(7\).+restarted with CCO next or newer$/),
      ]);

      await old.close();
      const upgraded = await open();
      try {
        await upgraded.drain();
        expect(upgraded.status()).toMatchObject({ waiting: 0, shipped: 300, newerSchema: null, lastError: null });
        expect(await copies(pool, ids([...before, ...after]))).toEqual({ present: 500, rows: 500 });
        expect(await totalRequests(pool)).toBe(500);
        expect(await dayLayerMismatches(pool)).toEqual([]);
      } finally {
        await upgraded.close();
      }
    } finally {
      await old.close();
      await pool.end();
    }
  });

  it('a daemon that starts on a database a newer CCO migrated ships nothing and says so (the shipper connects lazily)', async () => {
    const url = await cluster.createDatabase();
    const pool = createPool(url);
    const mem = memoryLog();
    const old = await openTeamShipper({ url, user: 'bob', dataDir: tempDir('cco-team-'), log: mem.log, retryMinMs: 20, retryMaxMs: 100, migrations: OLD });
    try {
      await migratePg(pool, 'next');
      old.add(data[0]!);
      await expect(old.drain()).rejects.toBeInstanceOf(SchemaNewerError);
      expect(old.status()).toMatchObject({ waiting: 1, newerSchema: { database: 8, supported: 7 } });
      expect(Number((await pool.query('SELECT count(*) AS n FROM request_keys')).rows[0].n)).toBe(0);
    } finally {
      await old.close();
      await pool.end();
    }
  });

  it('race: a write that begins while the migration runs waits for its commit, then writes nothing', async () => {
    const url = await cluster.createDatabase();
    const pool = createPool(url);
    const guard = new SchemaGuard(OLD.length);
    const months = new Set<number>();
    const mig = await pool.connect();
    try {
      await migratePg(pool, 'old', OLD);
      await insertBatch(pool, data.slice(0, 100), null, months, guard);
      // migratePg's step 7 → 8, held before its COMMIT: lock, migration (its backfill already read the hours), version row
      await mig.query('BEGIN');
      await mig.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
      await mig.query(PG_MIGRATIONS[7]!);
      await mig.query("INSERT INTO cco_schema_version (version, cco_version) VALUES (8, 'next')");
      const late = data.slice(100, 200);
      let settled = false;
      const write = insertBatch(pool, late, null, months, guard).then(() => 'written', (e: unknown) => e).finally(() => (settled = true));
      const state = await until('the write waiting for the lock, or done', async () => {
        if (settled) return 'done';
        const { rows } = await pool.query("SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted");
        return Number(rows[0].n) === 1 ? 'waiting' : null;
      });
      expect(state).toBe('waiting');
      await mig.query('COMMIT');
      const outcome = await write;
      expect(outcome).toBeInstanceOf(SchemaNewerError);
      expect(outcome).toMatchObject({ database: 8, supported: 7, migratedBy: 'next' });
      expect(await copies(pool, ids(late))).toEqual({ present: 0, rows: 0 });
      expect(await dayLayerMismatches(pool)).toEqual([]);
      // shut from now on: the next write is refused without asking the database
      await expect(insertBatch(pool, data.slice(200, 210), null, months, guard)).rejects.toBeInstanceOf(SchemaNewerError);
      expect(guard.newer).toMatchObject({ database: 8, supported: 7, migratedBy: 'next' });
    } finally {
      await mig.query('ROLLBACK').catch(() => undefined);
      mig.release();
      await pool.end();
    }
  });

  it('race: writes streaming while the migration runs — none at the old schema after its commit, none lost or doubled after the upgrade', async () => {
    for (let round = 0; round < 3; round++) {
      const url = await cluster.createDatabase();
      const dir = tempDir('cco-pgstore-');
      const old = await openPgStore({ url, dataDir: dir, migrations: OLD, log: quiet, retryMinMs: 10, retryMaxMs: 50 });
      const pool = createPool(url);
      const mine = records(round, 600);
      let next = 0;
      const feed = async (batches: number) => {
        for (let b = 0; b < batches; b++) {
          for (const r of mine.slice(next, next + 20)) old.add(r);
          next += 20;
          await new Promise((resolve) => setTimeout(resolve, 3 + round * 4));
        }
      };
      try {
        const feeding = feed(10 + round * 5);
        await new Promise((resolve) => setTimeout(resolve, 10 + round * 15));
        await migratePg(pool, 'next');
        await feeding;
        await feed(3);
        await old.flush().catch(() => undefined);
        expect(old.health().newerSchema).toMatchObject({ database: 8, supported: 7 });
        // what was written is in step with the layers: all of it before the migration's commit
        expect(await dayLayerMismatches(pool)).toEqual([]);
        const written = await copies(pool, ids(mine.slice(0, next)));
        expect(written.rows).toBe(written.present);
        expect(written.present).toBeLessThan(next);
        await old.close();
        const upgraded = await openPgStore({ url, dataDir: dir, log: quiet });
        await upgraded.flush();
        await upgraded.close();
        expect(await copies(pool, ids(mine.slice(0, next)))).toEqual({ present: next, rows: next });
        expect(await totalRequests(pool)).toBe(next);
        expect(await dayLayerMismatches(pool)).toEqual([]);
      } finally {
        await old.close();
        await pool.end();
      }
    }
  });
});

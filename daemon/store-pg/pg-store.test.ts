/**
 * What only the PostgreSQL store has: migrations with a version table, monthly partitions, idempotent ingest
 * across daemons (record id and upstream request-id), clear start errors, and records that wait in the
 * outbox while the database is down and arrive exactly once when it is back.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { pgSkipReason, startPgCluster, type PgCluster } from '../../test/pg/cluster.ts';
import { tempDir } from '../store/test-fixtures.ts';
import { DatabaseError, openPgStore, type PgStore } from './index.ts';
import { PG_MIGRATIONS, migratePg } from './schema.ts';
import { createPool } from './pool.ts';
import { insertBatch } from './rows.ts';
import { buildSummary } from './summary.ts';
import { rec } from './test-backends.ts';

const quiet = (): void => undefined;
const DAY = 86_400_000;

async function sql<T extends pg.QueryResultRow>(url: string, text: string, values: unknown[] = []): Promise<T[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<T>(text, values)).rows;
  } finally {
    await c.end();
  }
}

async function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

describe.skipIf(pgSkipReason() !== null)('PostgreSQL store', () => {
  let cluster: PgCluster;
  beforeAll(async () => {
    cluster = await startPgCluster();
  });
  afterAll(async () => {
    await cluster?.destroy();
  });

  it('migrates once into a version table, and refuses a database from a newer CCO', async () => {
    const url = await cluster.createDatabase();
    const a = await openPgStore({ url, dataDir: tempDir(), log: quiet });
    await a.close();
    const b = await openPgStore({ url, dataDir: tempDir(), log: quiet });
    await b.close();
    const rows = await sql<{ version: number }>(url, 'SELECT version FROM cco_schema_version ORDER BY version');
    expect(rows.map((r) => r.version)).toEqual(PG_MIGRATIONS.map((_, i) => i + 1));
    await sql(url, "INSERT INTO cco_schema_version (version, cco_version) VALUES (999, 'future')");
    await expect(openPgStore({ url, dataDir: tempDir(), log: quiet })).rejects.toThrow(/newer than this CCO supports/);
  });

  it('2 → 3 counts the response-cache hits of a database written by schema 2 into its rollups, as inserts now do', async () => {
    const t = Date.UTC(2026, 4, 1, 7, 10);
    const hit = (over: Parameters<typeof rec>[0]) => rec({ cacheHit: true, billable: false, costNanoUsd: 0, ...over });
    const records = [
      rec({ startedAt: t, sessionId: 's1', model: 'm1', cacheSavingsNanoUsd: 5, user: 'ann' }),
      hit({ startedAt: t + 1, sessionId: 's1', model: 'm1', cacheSavingsNanoUsd: 700, user: 'ann' }),
      hit({ startedAt: t + 2, sessionId: 's1', model: 'm1', cacheSavingsNanoUsd: 300, user: 'bob' }),
      hit({ startedAt: t + 3, sessionId: 's2', model: 'm1', cacheSavingsNanoUsd: 50, user: 'bob' }),
      hit({ startedAt: t + 3_600_000, sessionId: null, model: null, modelRequested: 'm2', project: null, cacheSavingsNanoUsd: 9 }),
      rec({ startedAt: t + 3_600_001, sessionId: 's2', model: 'm2' }),
    ];
    const urls = [await cluster.createDatabase(), await cluster.createDatabase()];
    for (const url of urls) {
      const s = await openPgStore({ url, dataDir: tempDir(), log: quiet });
      for (const r of records) s.add(r);
      await s.flush();
      await s.close();
    }
    // The first back to schema 2: what 2 → 3 added is dropped (its detail rows, as schema 2 wrote them, stay),
    // 3 → 4's indexes by user are schema 2's again, and the layers of 4 → 5 and 5 → 6 are gone.
    const [old, now] = urls as [string, string];
    await sql(old, `DROP TABLE day_rollups, day_team_rollups, day_user_rollups, session_day_rollups, session_totals, error_day_rollups, hour_team_rollups, month_user_rollups, day_model_rollups, day_project_rollups, month_team_rollups,
      local_day_model_rollups, local_day_project_rollups;
      DROP INDEX rollups_user, session_rollups_user, error_rollups_user;
      CREATE INDEX rollups_user ON rollups (user_name, hour_start_ms);
      ALTER TABLE rollups DROP COLUMN cache_hits, DROP COLUMN cache_hit_savings_nano_usd;
      ALTER TABLE session_rollups DROP COLUMN cache_hits, DROP COLUMN cache_hit_savings_nano_usd;
      ALTER TABLE requests DROP COLUMN git_branch, DROP COLUMN is_sidechain;
      DELETE FROM cco_schema_version WHERE version >= 3;`);
    const s = await openPgStore({ url: old, dataDir: tempDir(), log: quiet });
    try {
      for (const table of ['rollups', 'session_rollups']) {
        const q = `SELECT * FROM ${table} ORDER BY 1, 2, 3, 4, 5`;
        expect(await sql(old, q), table).toEqual(await sql(now, q));
      }
      expect(await sql(old, `SELECT hour_start_ms::float8 AS hour_start_ms, session, model, user_name, cache_hits::int AS cache_hits,
        cache_hit_savings_nano_usd::int AS cache_hit_savings_nano_usd FROM session_rollups WHERE cache_hits > 0 ORDER BY 1, 2, 3, 4`)).toEqual([
        { hour_start_ms: Date.UTC(2026, 4, 1, 7), session: 's1', model: 'm1', user_name: 'ann', cache_hits: 1, cache_hit_savings_nano_usd: 700 },
        { hour_start_ms: Date.UTC(2026, 4, 1, 7), session: 's1', model: 'm1', user_name: 'bob', cache_hits: 1, cache_hit_savings_nano_usd: 300 },
        { hour_start_ms: Date.UTC(2026, 4, 1, 7), session: 's2', model: 'm1', user_name: 'bob', cache_hits: 1, cache_hit_savings_nano_usd: 50 },
        { hour_start_ms: Date.UTC(2026, 4, 1, 8), session: '', model: 'm2', user_name: '', cache_hits: 1, cache_hit_savings_nano_usd: 9 },
      ]);
      const q = { range: 'custom' as const, from: Date.UTC(2026, 4, 1, 7), to: Date.UTC(2026, 4, 1, 9), tz: 'UTC' };
      expect((await s.summary({ ...q, session: 's1' })).totals).toMatchObject({ requests: 3, responseCacheHits: 2, responseCacheSavedNanoUsd: 1000 });
      expect((await s.summary({ ...q, user: 'bob' })).totals).toMatchObject({ requests: 2, responseCacheHits: 2, responseCacheSavedNanoUsd: 350 });
      expect((await s.getRequest(records[0]!.id))).toMatchObject({ gitBranch: null, isSidechain: null });
    } finally {
      await s.close();
    }
  });

  it('several daemons migrating at once apply each migration once', async () => {
    const url = await cluster.createDatabase();
    const pools = [0, 1, 2].map(() => createPool(url));
    await Promise.all(pools.map((p) => migratePg(p, 'test')));
    await Promise.all(pools.map((p) => p.end()));
    expect(await sql(url, 'SELECT version FROM cco_schema_version')).toHaveLength(PG_MIGRATIONS.length);
  });

  it('puts request detail in monthly partitions', async () => {
    const url = await cluster.createDatabase();
    const s = await openPgStore({ url, dataDir: tempDir(), log: quiet, retentionDays: 36_500 });
    try {
      for (const t of [Date.UTC(2025, 11, 31, 23, 59), Date.UTC(2026, 0, 1), Date.UTC(2026, 1, 14)]) s.add(rec({ startedAt: t }));
      await s.flush();
    } finally {
      await s.close();
    }
    const parts = await sql<{ name: string; n: number }>(url, `SELECT c.relname AS name,
      (xpath('/row/n/text()', query_to_xml('SELECT count(*) AS n FROM ' || c.relname, false, true, '')))[1]::text::int AS n
      FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'requests'::regclass ORDER BY 1`);
    expect(parts).toEqual([
      { name: 'requests_p202512', n: 1 },
      { name: 'requests_p202601', n: 1 },
      { name: 'requests_p202602', n: 1 },
    ]);
  });

  it('never double-counts: two daemons shipping the same records, and one upstream request under two ids', async () => {
    const url = await cluster.createDatabase();
    const [a, b] = await Promise.all([openPgStore({ url, dataDir: tempDir(), log: quiet }), openPgStore({ url, dataDir: tempDir(), log: quiet })]);
    try {
      const t = Date.UTC(2026, 3, 2, 10);
      const records = Array.from({ length: 300 }, (_, i) => rec({ startedAt: t + i * 1000, costNanoUsd: 10 }));
      for (const r of records) {
        a.add(r);
        b.add(r);
      }
      // the same upstream request seen again under another record id (say, a history import)
      const again = rec({ startedAt: t, upstreamRequestId: records[0]!.upstreamRequestId, costNanoUsd: 10 });
      b.add(again);
      await Promise.all([a.flush(), b.flush()]);
      const s = await a.summary({ range: 'custom', from: t - DAY, to: t + DAY, tz: 'UTC' });
      expect(s.totals.requests).toBe(300);
      expect(s.totals.costNanoUsd).toBe(3000);
      expect((await a.stats()).requests).toBe(300);
      expect(await b.getRequest(again.id)).toBeNull();
      const bulk = await a.addBulk([...records.slice(0, 10), rec({ startedAt: t + 5 })]);
      expect(bulk).toEqual({ inserted: 1, skipped: 10, invalid: 0 });
      expect((await a.findByUpstreamRequestIds([records[3]!.upstreamRequestId!])).map((r) => r.id)).toEqual([records[3]!.id]);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('reads one user\'s summary through indexes keyed by user, added by a migration on a database of the previous schema', async () => {
    const url = await cluster.createDatabase();
    const pool = createPool(url);
    const client = await pool.connect();
    try {
      const m = PG_MIGRATIONS.findIndex((sqlText) => sqlText.includes('session_rollups_user'));
      expect(m).toBeGreaterThan(0);
      const t = Date.UTC(2026, 3, 2, 10);
      const records = Array.from({ length: 40 }, (_, i) =>
        rec({ startedAt: t + i * 600_000, sessionId: `s${i % 4}`, user: i % 2 ? 'alice' : 'bob', status: i % 10 === 1 ? 529 : 200, costNanoUsd: 10 }),
      );
      // Written by today's code, then taken back to the schema before migration m (its indexes and the later
      // day layer dropped, their versions forgotten).
      await migratePg(pool, 'now');
      await insertBatch(pool, records, null, new Set());
      await client.query(`DROP TABLE day_rollups, day_team_rollups, day_user_rollups, session_day_rollups, session_totals, error_day_rollups, hour_team_rollups, month_user_rollups, day_model_rollups, day_project_rollups, month_team_rollups,
          local_day_model_rollups, local_day_project_rollups;
        DROP INDEX rollups_user, session_rollups_user, error_rollups_user;
        CREATE INDEX rollups_user ON rollups (user_name, hour_start_ms);
        DELETE FROM cco_schema_version WHERE version > ${m}`);
      const q = { range: 'custom', from: t - DAY, to: t + DAY, tz: 'UTC', user: 'alice' } as const;
      const before = await buildSummary(pool, q);
      expect(await migratePg(pool, 'next')).toEqual({ from: m, to: PG_MIGRATIONS.length });
      const after = await buildSummary(pool, q);
      expect(after).toEqual(before);
      expect(after.totals.requests).toBe(20);
      expect(after.errors.requests).toBe(4);
      // Whatever the table size, one user's cells come from an index on the user that holds the columns read
      // (an index-only scan once VACUUM has marked the pages all-visible, as autovacuum does).
      await client.query('VACUUM rollups, session_rollups, error_rollups');
      await client.query('SET enable_seqscan = off; SET enable_bitmapscan = off');
      const plan = async (text: string): Promise<string> =>
        JSON.stringify((await client.query(`EXPLAIN (FORMAT JSON) ${text}`, [t - DAY, t + DAY, 'alice'])).rows);
      const where = 'hour_start_ms >= $1 AND hour_start_ms < $2 AND user_name = $3';
      const sums = 'SUM(requests), SUM(cost_nano_usd), SUM(cache_hits), SUM(cache_hit_savings_nano_usd), SUM(output_tokens)';
      for (const [text, index] of [
        [`SELECT hour_start_ms, model, project, ${sums} FROM rollups WHERE ${where} GROUP BY 1, 2, 3`, 'rollups_user'],
        [`SELECT session, ${sums} FROM session_rollups WHERE ${where} GROUP BY session`, 'session_rollups_user'],
        [`SELECT kind, SUM(requests) FROM error_rollups WHERE ${where} GROUP BY kind`, 'error_rollups_user'],
      ] as const) {
        const p = await plan(text);
        expect(p).toContain('"Node Type":"Index Only Scan"');
        expect(p).toContain(`"Index Name":"${index}"`);
      }
    } finally {
      client.release();
      await pool.end();
    }
  });

  it('gives one clear error for a bad URL or a database that is down, without the password', async () => {
    await expect(openPgStore({ url: 'mysql://x@h/db', dataDir: tempDir(), log: quiet })).rejects.toThrow(/must start with postgres:\/\//);
    await expect(openPgStore({ url: 'not a url', dataDir: tempDir(), log: quiet })).rejects.toBeInstanceOf(DatabaseError);
    const port = await closedPort();
    const err = await openPgStore({ url: `postgres://cco:s3cret@127.0.0.1:${port}/team`, dataDir: tempDir(), log: quiet, connectTimeoutMs: 2000 }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(DatabaseError);
    expect((err as Error).message).toMatch(new RegExp(`cannot use PostgreSQL at cco@127\\.0\\.0\\.1:${port}/team: .*ECONNREFUSED`));
    expect((err as Error).message).not.toContain('s3cret');
    expect((err as Error).message).not.toContain('\n');
  });

  it('keeps taking records while the database is down; they arrive exactly once when it is back', async () => {
    const own = await startPgCluster();
    const dataDir = tempDir();
    const url = await own.createDatabase();
    let s: PgStore | null = await openPgStore({ url, dataDir, log: quiet, retryMinMs: 50, retryMaxMs: 200 });
    try {
      const t = Date.UTC(2026, 6, 1);
      const before = Array.from({ length: 50 }, (_, i) => rec({ startedAt: t + i }));
      for (const r of before) s.add(r);
      await s.flush();
      await own.stop('immediate');
      const during = Array.from({ length: 200 }, (_, i) => rec({ startedAt: t + 1000 + i }));
      let written = 0;
      for (const r of during) {
        expect(s.add(r)).not.toBeNull();
        s.whenWritten(() => written++);
      }
      await new Promise((r) => setTimeout(r, 300));
      expect(written).toBe(200); // the proxy's callbacks never wait on the database
      expect(s.outbox.waiting()).toBe(200);
      await expect(s.listRequests({})).rejects.toThrow();
      // a daemon restart while the database is still down: the outbox is on disk
      await s.close();
      s = null;
      await own.start();
      s = await openPgStore({ url, dataDir, log: quiet, retryMinMs: 50, retryMaxMs: 200 });
      await s.flush();
      expect(s.outbox.waiting()).toBe(0);
      const rows = await sql<{ n: number; d: number }>(url, 'SELECT count(*)::int AS n, count(DISTINCT id)::int AS d FROM requests');
      expect(rows[0]).toEqual({ n: 250, d: 250 });
      const sum = await s.summary({ range: 'custom', from: t - DAY, to: t + DAY, tz: 'UTC' });
      expect(sum.totals.requests).toBe(250);
    } finally {
      await s?.close();
      await own.destroy();
    }
  });

  it('drops no record for an error that is not the database refusing it (a pool already ended): the outbox keeps them', async () => {
    const url = await cluster.createDatabase();
    const s = await openPgStore({ url, dataDir: tempDir(), log: quiet });
    const pool = s.pool;
    try {
      await pool.end();
      // before: "Cannot use a pool after calling end" was not transient, so each record was "refused" and dropped
      await expect(s.ship([rec({ startedAt: Date.UTC(2026, 6, 3) }), rec({ startedAt: Date.UTC(2026, 6, 3) + 1 })])).rejects.toThrow(/end/);
    } finally {
      await s.outbox.close(); // not s.close(): the pool is ended already
    }
  });

  it('ships by itself (no read needed) once the database is back, and drops only a record the database refuses', async () => {
    const own = await startPgCluster();
    const url = await own.createDatabase();
    const log: string[] = [];
    const s = await openPgStore({ url, dataDir: tempDir(), log: (_l, m) => log.push(m), retryMinMs: 50, retryMaxMs: 200 });
    try {
      await own.stop('fast');
      const t = Date.UTC(2026, 6, 2);
      const good = Array.from({ length: 20 }, (_, i) => rec({ startedAt: t + i }));
      const bad = rec({ startedAt: t + 100, durationMs: 1.5 }); // not an integer: PostgreSQL refuses it
      for (const r of [...good.slice(0, 10), bad, ...good.slice(10)]) s.add(r);
      await new Promise((r) => setTimeout(r, 300));
      await own.start();
      const until = Date.now() + 15_000;
      while (s.outbox.waiting() > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
      expect(s.outbox.waiting()).toBe(0);
      const rows = await sql<{ id: string }>(url, 'SELECT id FROM requests ORDER BY id');
      expect(rows.map((r) => r.id)).toEqual(good.map((r) => r.id).sort());
      expect((await s.stats()).droppedWrites).toBe(1);
      expect(log.some((m) => m.includes(bad.id) && m.includes('dropped'))).toBe(true);
    } finally {
      await s.close();
      await own.destroy();
    }
  });
});

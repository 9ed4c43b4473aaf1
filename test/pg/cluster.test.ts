import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { pgSkipReason, startPgCluster, type PgCluster } from './cluster.ts';

describe.skipIf(pgSkipReason() !== null)('throwaway PostgreSQL cluster', () => {
  let cluster: PgCluster;
  beforeAll(async () => {
    cluster = await startPgCluster();
  });
  afterAll(async () => {
    await cluster?.destroy();
  });

  it('serves SQL on its port, in a fresh database per call', async () => {
    const url = await cluster.createDatabase();
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    const { rows } = await c.query<{ v: string; n: number }>("SELECT current_setting('server_version_num') AS v, 1 + 1 AS n");
    await c.end();
    expect(rows[0]!.n).toBe(2);
    expect(Number(rows[0]!.v)).toBeGreaterThanOrEqual(120000);
    expect(url).toContain(`:${cluster.port}/`);
  });

  it('stops (as a crash) and starts again on the same port with its data', async () => {
    const url = await cluster.createDatabase();
    const c1 = new pg.Client({ connectionString: url });
    await c1.connect();
    await c1.query('CREATE TABLE t (x int); INSERT INTO t VALUES (7)');
    await c1.end();
    await cluster.stop('immediate');
    const down = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
    down.on('error', () => undefined);
    await expect(down.connect()).rejects.toThrow();
    await cluster.start();
    const c2 = new pg.Client({ connectionString: url });
    await c2.connect();
    const { rows } = await c2.query<{ x: number }>('SELECT x FROM t');
    await c2.end();
    expect(rows).toEqual([{ x: 7 }]);
  });

  it('takes server settings that override the test defaults (a bench wants fsync on)', async () => {
    const other = await startPgCluster({ settings: { fsync: 'on', shared_buffers: '48MB' } });
    try {
      const c = new pg.Client({ connectionString: other.url() });
      await c.connect();
      const { rows } = await c.query<{ f: string; b: string }>("SELECT current_setting('fsync') AS f, current_setting('shared_buffers') AS b");
      await c.end();
      expect(rows[0]).toEqual({ f: 'on', b: '48MB' });
    } finally {
      await other.destroy();
    }
  });

  it('destroy() removes its files', async () => {
    const other = await startPgCluster();
    expect(fs.existsSync(other.dir)).toBe(true);
    await other.destroy();
    expect(fs.existsSync(other.dir)).toBe(false);
  });
});

/**
 * `cco team report` against a real throwaway PostgreSQL cluster holding a team ledger (records of three users
 * written as daemons ship them: store-pg/rows.ts insertBatch).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RequestRecord } from '../../shared/contract.ts';
import { makeRecord } from '../store/test-fixtures.ts';
import { createPool } from '../store-pg/pool.ts';
import { insertBatch } from '../store-pg/rows.ts';
import { PG_MIGRATIONS, migratePg } from '../store-pg/schema.ts';
import { SchemaGuard } from '../store-pg/schema-guard.ts';
import { pgSkipReason, startPgCluster, type PgCluster } from '../../test/pg/cluster.ts';
import type { Report } from './report.ts';
import { main } from './main.ts';

function io(env: NodeJS.ProcessEnv = {}) {
  let out = '';
  let err = '';
  const configDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cco-teamcfg-'));
  return {
    io: { out: (t: string) => void (out += t), err: (t: string) => void (err += t), env: { CCO_CONFIG_DIR: configDir, CCO_DATA_DIR: configDir, COLUMNS: '120', ...env } },
    out: () => out,
    err: () => err,
  };
}

let seq = 0;
const rec = (user: string, project: string, model: string, cost: number, startedAt: number): RequestRecord =>
  makeRecord({ user, project, model, modelRequested: model, costNanoUsd: cost, startedAt, endedAt: startedAt + 1000, upstreamRequestId: `req_team_${++seq}`, sessionId: `s-${user}` });

describe.skipIf(pgSkipReason() !== null)('cco team report (real PostgreSQL)', () => {
  let cluster: PgCluster;
  let url: string;

  beforeAll(async () => {
    cluster = await startPgCluster();
    url = await cluster.createDatabase();
    const pool = createPool(url);
    await migratePg(pool, 'test');
    const now = Date.now();
    const recent = now - 2 * 3_600_000;
    await insertBatch(
      pool,
      [
        rec('alice', '/work/a', 'claude-sonnet-4-5', 1_000_000, recent),
        rec('alice', '/work/a', 'claude-sonnet-4-5', 1_000_000, recent),
        rec('alice', '/work/b', 'claude-haiku-4-5', 500_000, recent),
        rec('bob', '/work/b', 'claude-haiku-4-5', 2_000_000, recent),
        rec('bob', '/work/b', 'claude-haiku-4-5', 2_000_000, recent),
        rec('carol', '/work/c', 'claude-opus-4-5', 9_000_000, now - 40 * 86_400_000), // outside 7d and 30d
      ],
      null,
      new Set(),
    );
    await pool.end();
  }, 120_000);
  afterAll(async () => {
    await cluster?.destroy();
  });

  it('--json: spend per user in the range, with the total (from [team] url via CCO_TEAM_URL)', async () => {
    const t = io({ CCO_TEAM_URL: url });
    expect(await main(['team', 'report', '--range', '7d', '--tz', 'UTC', '--json'], t.io)).toBe(0);
    const r = JSON.parse(t.out()) as Report;
    expect(r.kind).toBe('user');
    expect(r.rows.map((x) => [x.key, x.requests, x.costNanoUsd])).toEqual([
      ['bob', 2, 4_000_000],
      ['alice', 3, 2_500_000],
    ]);
    expect(r.totals).toMatchObject({ requests: 5, costNanoUsd: 6_500_000 });
  });

  it('--by project and --by model; --range all takes the old record too', async () => {
    const p = io({ CCO_TEAM_URL: url });
    expect(await main(['team', 'report', '--by', 'project', '--range', '30d', '--tz', 'UTC', '--json'], p.io)).toBe(0);
    expect((JSON.parse(p.out()) as Report).rows.map((x) => [x.key, x.requests])).toEqual([
      ['/work/b', 3],
      ['/work/a', 2],
    ]);
    const m = io({ CCO_TEAM_URL: url });
    expect(await main(['team', 'report', '--by', 'model', '--range', 'all', '--tz', 'UTC', '--json'], m.io)).toBe(0);
    const r = JSON.parse(m.out()) as Report;
    expect(r.rows.map((x) => [x.key, x.costNanoUsd])).toEqual([
      ['claude-opus-4-5', 9_000_000],
      ['claude-haiku-4-5', 4_500_000],
      ['claude-sonnet-4-5', 2_000_000],
    ]);
    expect(r.totals.requests).toBe(6);
  });

  it('a table (--url wins over the config) and CSV', async () => {
    const t = io({ CCO_TEAM_URL: 'postgres://nobody@127.0.0.1:1/none' });
    expect(await main(['team', 'report', '--range', '7d', '--tz', 'UTC', '--url', url], t.io)).toBe(0);
    expect(t.out()).toMatch(/^User spend, /);
    expect(t.out()).toMatch(/│ bob +│ +2 │.*\$0\.004/);
    expect(t.out()).toMatch(/│ alice +│ +3 │.*\$0\.0025/);
    expect(t.out()).toMatch(/│ Total +│ +5 │.*\$0\.0065/);
    const c = io({ CCO_TEAM_URL: url });
    expect(await main(['team', 'report', '--range', '7d', '--tz', 'UTC', '--csv'], c.io)).toBe(0);
    const lines = c.out().trim().split(/\r?\n/);
    expect(lines[0]).toMatch(/^user,requests,cost_usd,/);
    expect(lines[1]).toMatch(/^bob,2,0\.004000000,/);
    expect(lines.at(-1)).toMatch(/^total,5,0\.006500000,/);
  });

  it('flags a database a newer CCO migrated (one line on stderr), still reports', async () => {
    const newer = await cluster.createDatabase();
    const pool = createPool(newer);
    try {
      await migratePg(pool, '2099.101.0', [...PG_MIGRATIONS, 'CREATE TABLE cco_next_layer (hour_start_ms bigint PRIMARY KEY)']);
      await insertBatch(pool, [rec('ann', '/p', 'claude-opus-4-6', 1_000_000, Date.now() - 3_600_000)], null, new Set(), new SchemaGuard(PG_MIGRATIONS.length + 1));
    } finally {
      await pool.end();
    }
    const t = io();
    expect(await main(['team', 'report', '--range', '7d', '--tz', 'UTC', '--url', newer], t.io)).toBe(0);
    expect(t.err()).toBe(`cco: the team database's schema is version ${PG_MIGRATIONS.length + 1}, newer than this CCO knows (${PG_MIGRATIONS.length}): the figures below may be incomplete; upgrade cco\n`);
    expect(t.out()).toMatch(/│ ann +│ +1 │/);
    const same = io();
    expect(await main(['team', 'report', '--range', '7d', '--tz', 'UTC', '--url', url], same.io)).toBe(0);
    expect(same.err()).toBe('');
  });

  it('one clear line without a database, with an empty one, and with one that is down', async () => {
    const none = io();
    expect(await main(['team', 'report'], none.io)).toBe(2);
    expect(none.err()).toMatch(/no team database: set \[team\] url/);
    const empty = io({ CCO_TEAM_URL: await cluster.createDatabase() });
    expect(await main(['team', 'report'], empty.io)).toBe(1);
    expect(empty.err()).toMatch(/no CCO team ledger at cco@127\.0\.0\.1:\d+\/\S+ yet/);
    const down = io({ CCO_TEAM_URL: 'postgres://cco:secret@127.0.0.1:1/x' });
    expect(await main(['team', 'report'], down.io)).toBe(1);
    expect(down.err()).toMatch(/cannot read PostgreSQL at cco@127\.0\.0\.1:1\/x: .*ECONNREFUSED/);
    expect(down.err()).not.toMatch(/secret/);
    const bad = io({ CCO_TEAM_URL: url });
    expect(await main(['team', 'report', '--by', 'session'], bad.io)).toBe(2);
    expect(bad.err()).toMatch(/--by: "session" is not one of user, project, model/);
  });
});

/**
 * `cco report user` / `cco report --by user` against a REAL daemon on a real throwaway PostgreSQL cluster (the
 * team store keeps each record's user), found through its PID file in a temporary HOME; and the plain error a
 * daemon on the embedded store gives (it keeps no user).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RequestRecord, Summary } from '../../shared/contract.ts';
import { startDaemon, type RunningDaemon } from '../index.ts';
import { silentLogger } from '../log.ts';
import { makeRecord } from '../store/test-fixtures.ts';
import { pgSkipReason, startPgCluster, type PgCluster } from '../../test/pg/cluster.ts';
import { main } from './main.ts';
import { NO_USERS, type Report } from './report.ts';

interface Home {
  env: NodeJS.ProcessEnv;
  dataDir: string;
  configDir: string;
  root: string;
}

function makeHome(): Home {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'cco-report-user-'));
  const env = { PATH: process.env.PATH, HOME: root, XDG_CONFIG_HOME: path.join(root, '.config'), XDG_DATA_HOME: path.join(root, '.local', 'share'), NO_BROWSER: '1', TZ: 'UTC', COLUMNS: '120' };
  return { env, root, dataDir: path.join(root, '.local', 'share', 'cco'), configDir: path.join(root, '.config', 'cco') };
}

async function cco(home: Home, args: string[]) {
  let out = '';
  let err = '';
  const code = await main(args, { out: (t) => void (out += t), err: (t) => void (err += t), env: home.env });
  return { code, out, err };
}

let seq = 0;
const rec = (user: string | null, cost: number, startedAt: number): RequestRecord =>
  makeRecord({ ...(user !== null && { user }), costNanoUsd: cost, startedAt, endedAt: startedAt + 1000, upstreamRequestId: `req_ru_${++seq}`, project: '/work/p', model: 'claude-sonnet-4-5' });

describe.skipIf(pgSkipReason() !== null)('cco report user (daemon on real PostgreSQL)', () => {
  let cluster: PgCluster;
  let daemon: RunningDaemon;
  let home: Home;

  beforeAll(async () => {
    cluster = await startPgCluster();
    const databaseUrl = await cluster.createDatabase();
    home = makeHome();
    daemon = await startDaemon({ port: 0, upstreamUrl: 'http://127.0.0.1:9', dataDir: home.dataDir, configDir: home.configDir, databaseUrl, log: silentLogger, pidDir: path.join(home.dataDir, 'pids'), rateLimit: false });
    const now = Date.now();
    await daemon.store.addBulk([
      rec('alice', 1_000_000, now - 3_600_000),
      rec('alice', 2_000_000, now - 2 * 3_600_000),
      rec('bob', 5_000_000, now - 3_600_000),
      rec(null, 700_000, now - 3_600_000), // a loopback request without a token: no user
      rec('carol', 9_000_000, now - 40 * 86_400_000), // outside 30d
    ]);
    await daemon.store.flush();
  }, 120_000);
  afterAll(async () => {
    await daemon?.close();
    await cluster?.destroy();
    if (home) fs.rmSync(home.root, { recursive: true, force: true });
  });

  it('--json equals /api/summary byUser for the range, with the total; `--by user` is the same report', async () => {
    const r = await cco(home, ['report', 'user', '--json', '--tz', 'UTC']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.out) as Report;
    const res = await fetch(`${daemon.url}/api/summary?range=30d&tz=UTC&sessions=0`, { headers: { authorization: `Bearer ${daemon.token}` } });
    const whole = (await res.json()) as Summary;
    expect(report.kind).toBe('user');
    expect(report.rows).toEqual(whole.byUser);
    expect(report.rows.map((x) => [x.key, x.requests, x.costNanoUsd])).toEqual([
      ['bob', 1, 5_000_000],
      ['alice', 2, 3_000_000],
      ['(none)', 1, 700_000],
    ]);
    expect(report.totals).toMatchObject({ requests: 4, costNanoUsd: 8_700_000 });
    const by = await cco(home, ['report', '--by', 'user', '--json', '--tz', 'UTC']);
    expect(by.code).toBe(0);
    expect((JSON.parse(by.out) as Report).rows).toEqual(report.rows);
    const all = JSON.parse((await cco(home, ['report', '--by', 'user', '--range', 'all', '--json', '--tz', 'UTC'])).out) as Report;
    expect(all.rows.map((x) => x.key)).toEqual(['carol', 'bob', 'alice', '(none)']);
  });

  it('a table with a total row, and CSV', async () => {
    const t = await cco(home, ['report', '--by', 'user', '--tz', 'UTC']);
    expect(t.code).toBe(0);
    expect(t.out).toMatch(/^User spend, /);
    expect(t.out).toMatch(/│ bob +│ +1 │.*\$0\.005/);
    expect(t.out).toMatch(/│ alice +│ +2 │.*\$0\.003/);
    expect(t.out).toMatch(/│ Total +│ +4 │.*\$0\.0087/);
    const c = await cco(home, ['report', 'user', '--csv', '--tz', 'UTC']);
    const lines = c.out.trim().split(/\r?\n/);
    expect(lines[0]).toMatch(/^user,requests,cost_usd,/);
    expect(lines[1]).toMatch(/^bob,1,0\.005000000,/);
    expect(lines.at(-1)).toMatch(/^total,4,0\.008700000,/);
  });

  it('bad --by values are usage errors', async () => {
    expect((await cco(home, ['report', '--by', 'team'])).err).toMatch(/--by: "team" is not one of session, project, model, user/);
    expect((await cco(home, ['report', 'model', '--by', 'user'])).code).toBe(2);
  });
});

describe('cco report user on the embedded store', () => {
  it('one plain error: the embedded store keeps no user', async () => {
    const home = makeHome();
    const daemon = await startDaemon({ port: 0, upstreamUrl: 'http://127.0.0.1:9', dataDir: home.dataDir, configDir: home.configDir, log: silentLogger, pidDir: path.join(home.dataDir, 'pids'), rateLimit: false });
    try {
      await daemon.store.addBulk([rec('alice', 1_000_000, Date.now() - 60_000)]);
      for (const args of [['report', '--by', 'user'], ['report', 'user', '--json']]) {
        const r = await cco(home, args);
        expect(r.code).toBe(1);
        expect(r.out).toBe('');
        expect(r.err).toBe(`cco: ${NO_USERS}\n`);
      }
    } finally {
      await daemon.close();
      fs.rmSync(home.root, { recursive: true, force: true });
    }
  });
});

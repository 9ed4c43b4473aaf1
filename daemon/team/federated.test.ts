/**
 * Federated team mode with real parts: the fake upstream (as a child process), daemons on real ports (one a
 * real `cco run` child killed with SIGKILL), the official SDK as the client, a throwaway PostgreSQL cluster
 * stopped and started under the daemon.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImportStatus, StatusResponse, TeamStatus } from '../../shared/contract.ts';
import { writeCorpus } from '../history/testkit/corpus.ts';
import { startDaemon, type RunningDaemon } from '../index.ts';
import { createLogger, silentLogger } from '../log.ts';
import { listSegments, segmentPath } from '../store/segments.ts';
import { makeRecord } from '../store/test-fixtures.ts';
import { spawnFakeUpstream } from '../../test/fake-upstream/process.ts';
import { allRecords, killAllDaemons, runDaemon, tokenOf, waitForUrl, until } from '../../test/daemon-process.ts';
import { pgSkipReason, startPgCluster, type PgCluster } from '../../test/pg/cluster.ts';
import { dayLayerMismatches } from '../store-pg/test-backends.ts';
import { PG_MIGRATIONS, migratePg } from '../store-pg/schema.ts';
import { VERSION } from '../version.ts';

process.env.CCO_CONFIG_DIR ??= fs.mkdtempSync(path.join(os.tmpdir(), 'cco-config-'));

type Fake = Awaited<ReturnType<typeof spawnFakeUpstream>>;
const dirs: string[] = [];
function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'cco-team-'));
  dirs.push(d);
  return d;
}


function sender(url: string) {
  const anthropic = new Anthropic({ apiKey: 'sk-ant-team', baseURL: url, maxRetries: 0 });
  const completed: string[] = [];
  return {
    completed,
    async send(n: number, concurrency = 1) {
      const one = async (i: number) => {
        const body = { model: 'claude-haiku-4-5', max_tokens: 32, messages: [{ role: 'user' as const, content: `team ${i}` }] };
        completed.push(i % 2 === 0 ? (await anthropic.messages.stream(body).finalMessage()).id : (await anthropic.messages.create(body)).id);
      };
      for (let i = 0; i < n; i += concurrency) await Promise.all(Array.from({ length: Math.min(concurrency, n - i) }, (_, k) => one(i + k)));
    },
  };
}

async function api<T>(url: string, token: string, p: string): Promise<T> {
  const res = await fetch(url + p, { headers: { authorization: `Bearer ${token}` } });
  expect(res.status, p).toBe(200);
  return (await res.json()) as T;
}

/** message id → rows in PostgreSQL, and the rollups' request total per user (checks the day layers are in step). */
async function ledger(url: string): Promise<{ perMessage: Map<string, number>; rows: number; rollups: Record<string, number> }> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const rows = await c.query<{ message_id: string; n: string }>('SELECT message_id, count(*) AS n FROM requests GROUP BY message_id');
    const roll = await c.query<{ user_name: string; n: string }>('SELECT user_name, sum(requests) AS n FROM rollups GROUP BY user_name');
    const perMessage = new Map(rows.rows.map((r) => [r.message_id, Number(r.n)]));
    // the day layers summaries read hold what the hours hold, whatever was shipped twice or replayed
    expect(await dayLayerMismatches(c)).toEqual([]);
    return {
      perMessage,
      rows: [...perMessage.values()].reduce((a, b) => a + b, 0),
      rollups: Object.fromEntries(roll.rows.map((r) => [r.user_name, Number(r.n)])),
    };
  } finally {
    await c.end();
  }
}

function exactlyOnce(completed: readonly string[], perMessage: Map<string, number>): { missing: string[]; doubled: string[] } {
  return { missing: completed.filter((id) => !perMessage.has(id)), doubled: [...perMessage].filter(([, n]) => n > 1).map(([id]) => id) };
}

describe.skipIf(pgSkipReason() !== null)('federated team mode ([team] url): local store + shipping to PostgreSQL', () => {
  let cluster: PgCluster;
  let fake: Fake;

  beforeAll(async () => {
    cluster = await startPgCluster();
    fake = await spawnFakeUpstream({ seed: 190 });
  });
  afterAll(async () => {
    killAllDaemons();
    await fake?.close();
    await cluster?.destroy();
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  const start = (dataDir: string, url: string, user: string): Promise<RunningDaemon> =>
    startDaemon({ port: 0, upstreamUrl: fake.url, dataDir, log: process.env.DBG ? createLogger({ level: 'debug', write: (l) => process.stderr.write(l) }) : silentLogger, apiKey: '', pidDir: false, rateLimit: false, team: { url, user, retryMinMs: 50, retryMaxMs: 400 } });

  it('two daemons ship to one database; local store unchanged; a database outage loses and doubles nothing', async () => {
    const db = await cluster.createDatabase();
    const a = await start(tmp(), db, 'alice');
    const b = await start(tmp(), db, 'bob');
    try {
      const sa = sender(a.url);
      const sb = sender(b.url);
      await Promise.all([sa.send(6), sb.send(4)]);
      await Promise.all([a.team!.drain(), b.team!.drain()]);
      let l = await ledger(db);
      expect(exactlyOnce([...sa.completed, ...sb.completed], l.perMessage)).toEqual({ missing: [], doubled: [] });
      expect(l.rollups).toEqual({ alice: 6, bob: 4 });
      // the local store keeps its own records, as without team mode
      expect((await allRecords(a.store)).map((r) => r.messageId).sort()).toEqual([...sa.completed].sort());
      const ta = await api<TeamStatus>(a.url, a.token, '/api/team');
      expect(ta).toMatchObject({ enabled: true, user: 'alice', waiting: 0, shipped: 6, duplicates: 0, lastError: null, failures: 0 });
      expect(ta.target).toMatch(/^cco@127\.0\.0\.1:\d+\/t\d+_\d+$/);
      expect((await api<StatusResponse>(a.url, a.token, '/api/status')).team).toMatchObject({ enabled: true, shipped: 6 });

      // the database goes away: the proxy goes on, records wait on disk, the status says so
      await cluster.stop('immediate');
      await Promise.all([sa.send(5), sb.send(3, 3)]);
      const down = await until('a failed shipping attempt', async () => {
        const s = await api<TeamStatus>(a.url, a.token, '/api/team');
        return s.failures > 0 && s.lastError !== null ? s : null;
      });
      expect(down.waiting).toBe(5);
      expect(down.failingSince).not.toBeNull();
      const downMetrics = parsePrometheusTextFormat(await (await fetch(`${a.url}/metrics`, { headers: { authorization: `Bearer ${a.token}` } })).text());
      const downValue = (name: string) => Number(downMetrics.find((f) => f.name === name)?.metrics[0]?.value);
      expect([downValue('cco_team_up'), downValue('cco_team_outbox_waiting')]).toEqual([0, 5]);
      const st = await api<StatusResponse>(a.url, a.token, '/api/status');
      expect(st.status).toBe('warning');
      expect(st.problems).toEqual([expect.objectContaining({ code: 'team-unreachable', severity: 'warning', since: down.failingSince, message: expect.stringMatching(/^The team database is unreachable \(.+\); 5 record\(s\) wait on disk/) })]);
      expect(down.outboxBytes).toBeGreaterThan(0);
      expect((await allRecords(a.store)).length).toBe(11); // the local store did not wait for the database

      await cluster.start();
      await until('outboxes empty', async () => {
        const [x, y] = [a.team!.status(), b.team!.status()];
        return x.waiting === 0 && y.waiting === 0 && x.lastError === null && y.lastError === null;
      });
      l = await ledger(db);
      expect(exactlyOnce([...sa.completed, ...sb.completed], l.perMessage)).toEqual({ missing: [], doubled: [] });
      expect(l.rows).toBe(18);
      expect(l.rollups).toEqual({ alice: 11, bob: 7 });
      expect(a.team!.status()).toMatchObject({ shipped: 11, failures: 0, failingSince: null });
      expect((await api<StatusResponse>(a.url, a.token, '/api/status')).status).toBe('ok');
      const metrics = await (await fetch(`${a.url}/metrics`, { headers: { authorization: `Bearer ${a.token}` } })).text();
      const families = parsePrometheusTextFormat(metrics);
      const value = (name: string) => Number(families.find((f) => f.name === name)?.metrics[0]?.value);
      expect([value('cco_team_up'), value('cco_team_outbox_waiting'), value('cco_team_shipped_records_total')]).toEqual([1, 0, 11]);
    } finally {
      await a.close();
      await b.close();
    }
  }, 120_000);

  it('the database down at start: the daemon starts and forwards, records arrive once it is up', async () => {
    const down = await startPgCluster();
    const db = await down.createDatabase();
    await down.stop('fast');
    const d = await start(tmp(), db, 'carol');
    try {
      const s = sender(d.url);
      await s.send(4);
      await until('a failed attempt', () => (d.team!.status().failures > 0 ? true : null));
      await down.start();
      await until('shipped', () => (d.team!.status().waiting === 0 ? true : null));
      expect(exactlyOnce(s.completed, (await ledger(db)).perMessage)).toEqual({ missing: [], doubled: [] });
    } finally {
      await d.close();
      await down.destroy();
    }
  }, 120_000);

  it('a segment shipped but not deleted (a crash between commit and delete) is re-sent and skipped', async () => {
    const db = await cluster.createDatabase();
    const dataDir = tmp();
    const d = await start(dataDir, db, 'dave');
    const s = sender(d.url);
    const outbox = path.join(dataDir, 'team-outbox');
    let copy: string;
    try {
      await s.send(5);
      await d.team!.drain();
      // the open segment's lines as they were before the shipper rotated and deleted them
      copy = (await allRecords(d.store)).map((r) => JSON.stringify(r)).join('\n') + '\n';
    } finally {
      await d.close();
    }
    expect(listSegments(outbox).length).toBeLessThanOrEqual(1);
    fs.writeFileSync(segmentPath(outbox, 1), copy); // seq 1: older than any open segment, so it is shipped
    const again = await start(dataDir, db, 'dave');
    try {
      await again.team!.drain();
      expect(again.team!.status()).toMatchObject({ shipped: 0, duplicates: 5, waiting: 0 });
      const l = await ledger(db);
      expect(exactlyOnce(s.completed, l.perMessage)).toEqual({ missing: [], doubled: [] });
      expect(l.rollups).toEqual({ dave: 5 });
    } finally {
      await again.close();
    }
  }, 60_000);

  it('a newer CCO migrates the database while the daemon runs: nothing more is shipped, records wait on disk, status and log say so', async () => {
    const db = await cluster.createDatabase();
    const lines: string[] = [];
    const d = await startDaemon({
      port: 0, upstreamUrl: fake.url, dataDir: tmp(), log: createLogger({ level: 'info', write: (l) => lines.push(l) }), apiKey: '', pidDir: false, rateLimit: false,
      team: { url: db, user: 'erin', retryMinMs: 50, retryMaxMs: 400 },
    });
    const pool = new pg.Pool({ connectionString: db });
    try {
      const s = sender(d.url);
      await s.send(2);
      await d.team!.drain();
      // a newer CCO (one migration more) starts on the shared database
      expect(await migratePg(pool, '2099.101.0', [...PG_MIGRATIONS, 'CREATE TABLE cco_next_layer (hour_start_ms bigint PRIMARY KEY)'])).toEqual({
        from: PG_MIGRATIONS.length,
        to: PG_MIGRATIONS.length + 1,
      });
      await s.send(3);
      const t = await until('the newer schema seen', async () => {
        const x = await api<TeamStatus>(d.url, d.token, '/api/team');
        return x.newerSchema && x.lastError ? x : null;
      });
      expect(t).toMatchObject({ waiting: 3, shipped: 2, newerSchema: { database: PG_MIGRATIONS.length + 1, supported: PG_MIGRATIONS.length, migratedBy: '2099.101.0' } });
      const st = await api<StatusResponse>(d.url, d.token, '/api/status');
      expect(st.status).toBe('warning');
      expect(st.problems).toEqual([
        expect.objectContaining({
          code: 'team-schema-newer',
          severity: 'warning',
          since: t.newerSchema!.since,
          message: `The team database was upgraded to schema ${PG_MIGRATIONS.length + 1} by CCO 2099.101.0; this CCO (${VERSION}) knows schema ${PG_MIGRATIONS.length}, so it writes nothing there (3 record(s) wait on disk). Restart it with CCO 2099.101.0 or newer to write them.`,
        }),
      ]);
      expect((await ledger(db)).rows).toBe(2);
      expect((await allRecords(d.store)).length).toBe(5); // the local store records as usual
      const errors = lines.map((l) => JSON.parse(l) as { level: string; msg: string }).filter((l) => l.level === 'error');
      expect(errors.map((l) => l.msg)).toEqual([expect.stringMatching(/team: the PostgreSQL schema is now version \d+ \(migrated by CCO 2099\.101\.0\), newer than this CCO/)]);
    } finally {
      await d.close();
      await pool.end();
    }
  }, 60_000);

  it('history-imported records are shipped too, once, beside the proxied ones', async () => {
    const db = await cluster.createDatabase();
    const root = path.join(tmp(), 'projects');
    const truth = writeCorpus({ root, seed: 19, projects: 2, sessionsPerProject: 2, requestsPerSession: 5, start: Date.now() - 4 * 86_400_000, days: 2 });
    const d = await startDaemon({
      port: 0, upstreamUrl: fake.url, dataDir: tmp(), log: silentLogger, apiKey: '', pidDir: false, rateLimit: false, retentionDays: 36_500,
      history: { roots: [root], followIntervalMs: 200, settleMs: 0 },
      team: { url: db, user: 'frank', retryMinMs: 50, retryMaxMs: 400 },
    });
    try {
      const st = await until('first import', async () => (await api<ImportStatus>(d.url, d.token, '/api/import')).firstImport ?? null);
      expect(st.imported).toBe(truth.requests.length);
      const s = sender(d.url);
      await s.send(3);
      await d.team!.drain();
      const l = await ledger(db);
      expect(l.rows).toBe(truth.requests.length + 3);
      expect(l.rollups).toEqual({ frank: truth.requests.length + 3 });
      expect(exactlyOnce([...s.completed, ...truth.requests.map((r) => r.messageId)], l.perMessage)).toEqual({ missing: [], doubled: [] });
    } finally {
      await d.close();
    }
  }, 120_000);

  it('kill -9 of a `cco run` daemon mid-shipping, then a restart: every completed request in PostgreSQL exactly once', async () => {
    const db = await cluster.createDatabase();
    const dataDir = tmp();
    const env = { CCO_TEAM_URL: db, CCO_TEAM_USER: 'erin' };
    const p = runDaemon(['--port', '0', '--upstream', fake.url, '--data-dir', dataDir], env);
    const url = await waitForUrl(p);
    const token = tokenOf(p);
    const s = sender(url);
    await s.send(20, 4);
    expect((await api<TeamStatus>(url, token, '/api/team')).user).toBe('erin');
    // keep requests flowing while shipping runs, and kill in the middle of it
    const more = s.send(40, 8).catch(() => undefined);
    await until('shipping under way', async () => {
      const st = await api<TeamStatus>(url, token, '/api/team');
      return st.shipped >= 20 ? st : null;
    });
    p.child.kill('SIGKILL');
    await p.exited;
    await more;
    const before = await ledger(db);
    expect(before.rows).toBeLessThanOrEqual(s.completed.length);

    const d = await start(dataDir, db, 'erin');
    try {
      await d.team!.drain();
      const l = await ledger(db);
      expect(exactlyOnce(s.completed, l.perMessage)).toEqual({ missing: [], doubled: [] });
      // what PostgreSQL holds is exactly what the local store holds (responses cut by the kill included)
      const local = await allRecords(d.store);
      expect(l.rows).toBe(local.length);
      expect(l.rollups).toEqual({ erin: local.length });
      process.stderr.write(`[federated kill -9] completed ${s.completed.length}, in PG before restart ${before.rows}, after ${l.rows}; re-sent+skipped ${d.team!.status().duplicates}, newly shipped ${d.team!.status().shipped}\n`);
    } finally {
      await d.close();
    }
  }, 120_000);

  it('a record the store journaled but the outbox never got (a kill -9 between the two writes) is shipped at the next start', async () => {
    const db = await cluster.createDatabase();
    const dataDir = tmp();
    const p = runDaemon(['--port', '0', '--upstream', fake.url, '--data-dir', dataDir], { CCO_TEAM_URL: db, CCO_TEAM_USER: 'gina' });
    const url = await waitForUrl(p);
    const token = tokenOf(p);
    const s = sender(url);
    await s.send(3);
    await until('shipped', async () => ((await api<TeamStatus>(url, token, '/api/team')).shipped === 3 ? true : null));
    p.child.kill('SIGKILL');
    await p.exited;
    // what the kill leaves when it falls after the store's journal write and before the outbox's: a line in
    // the store's open segment only
    const seqs = listSegments(dataDir);
    expect(seqs.length).toBeGreaterThan(0);
    const gap = makeRecord({ startedAt: Date.now() - 1000, messageId: 'msg_gap', upstreamRequestId: 'req_gap', user: 'gina' });
    fs.appendFileSync(segmentPath(dataDir, seqs.at(-1)!), JSON.stringify(gap) + '\n');
    expect((await ledger(db)).perMessage.has('msg_gap')).toBe(false);

    const d = await start(dataDir, db, 'gina');
    try {
      await d.team!.drain();
      const l = await ledger(db);
      expect(exactlyOnce([...s.completed, 'msg_gap'], l.perMessage)).toEqual({ missing: [], doubled: [] });
      const local = await allRecords(d.store);
      expect(local.map((r) => r.messageId)).toContain('msg_gap');
      expect(l.rows).toBe(local.length);
      expect(l.rollups).toEqual({ gina: local.length });
      // the journal's other records were re-sent and skipped, not shipped twice
      expect(d.team!.status()).toMatchObject({ shipped: 1, waiting: 0 });
    } finally {
      await d.close();
    }
  }, 120_000);
});

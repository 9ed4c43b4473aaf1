/**
 * The daemon on the PostgreSQL store, end to end: the fake upstream, the daemon on a real port, the
 * official SDK as the client, a throwaway PostgreSQL cluster.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RequestPage, StatusResponse, Summary } from '../../shared/contract.ts';
import { DaemonStartError, startDaemon, type RunningDaemon } from '../index.ts';
import { silentLogger } from '../log.ts';
import { startFakeUpstream, type FakeUpstream } from '../../test/fake-upstream/server.ts';
import { pgSkipReason, startPgCluster, type PgCluster } from '../../test/pg/cluster.ts';
import { until } from '../../test/daemon-process.ts';
import { createPool } from './pool.ts';
import { PG_MIGRATIONS, migratePg } from './schema.ts';

process.env.CCO_CONFIG_DIR ??= fs.mkdtempSync(path.join(os.tmpdir(), 'cco-config-'));

describe.skipIf(pgSkipReason() !== null)('daemon with CCO_DATABASE_URL (PostgreSQL store)', () => {
  let cluster: PgCluster;
  let fake: FakeUpstream;
  let daemon: RunningDaemon;
  let url: string;

  beforeAll(async () => {
    cluster = await startPgCluster();
    fake = await startFakeUpstream({ seed: 19 });
    url = await cluster.createDatabase();
    daemon = await startDaemon({ port: 0, upstreamUrl: fake.url, dataDir: fs.mkdtempSync(path.join(os.tmpdir(), 'cco-d-')), log: silentLogger, apiKey: '', databaseUrl: url, pidDir: false });
  });
  afterAll(async () => {
    await daemon?.close();
    await fake?.close();
    await cluster?.destroy();
  });

  const api = async <T>(p: string): Promise<T> => {
    const res = await fetch(daemon.url + p, { headers: { authorization: `Bearer ${daemon.token}` } });
    expect(res.status).toBe(200);
    return (await res.json()) as T;
  };

  it('records proxied requests in PostgreSQL and serves them through the API', async () => {
    const sdk = new Anthropic({ apiKey: 'sk-ant-api03-test', baseURL: daemon.url, maxRetries: 0 });
    await sdk.messages.create({ model: 'claude-haiku-4-5', max_tokens: 32, messages: [{ role: 'user', content: 'hi' }] });
    await sdk.messages.stream({ model: 'claude-sonnet-4-6', max_tokens: 32, messages: [{ role: 'user', content: 'hello' }] }).finalMessage();
    const ledger = fake.ledger();
    const page = await api<RequestPage>('/api/requests?limit=10');
    expect(page.items.map((r) => r.upstreamRequestId).sort()).toEqual(ledger.map((e) => e.requestId).sort());
    const summary = await api<Summary>('/api/summary?range=today&tz=Europe/Paris');
    expect(summary.totals.requests).toBe(2);
    expect(summary.totals.costNanoUsd).toBe(page.items.reduce((a, r) => a + (r.costNanoUsd ?? 0), 0));
    expect(summary.byUser?.map((g) => g.key)).toEqual(['(none)']);
    expect((await api<Summary>('/api/summary?range=today&user=(none)')).totals.requests).toBe(2);
    expect((await api<Summary>('/api/summary?range=today&user=alice')).totals.requests).toBe(0);
    expect((await api<RequestPage>('/api/requests?user=alice')).items).toEqual([]);
  });

  it('a newer CCO migrates the database while it runs: records wait on disk, reads are refused with a 503, the status says so', async () => {
    const db = await cluster.createDatabase();
    const d = await startDaemon({ port: 0, upstreamUrl: fake.url, dataDir: fs.mkdtempSync(path.join(os.tmpdir(), 'cco-d-')), log: silentLogger, apiKey: '', databaseUrl: db, pidDir: false });
    const pool = createPool(db);
    try {
      const sdk = new Anthropic({ apiKey: 'sk-ant-api03-test', baseURL: d.url, maxRetries: 0 });
      const ask = () => sdk.messages.create({ model: 'claude-haiku-4-5', max_tokens: 32, messages: [{ role: 'user', content: 'hi' }] });
      await ask();
      const get = (p: string) => fetch(d.url + p, { headers: { authorization: `Bearer ${d.token}` } });
      expect(((await (await get('/api/summary?range=today')).json()) as Summary).totals.requests).toBe(1);
      // a newer CCO (one migration more) migrates the shared database
      await migratePg(pool, '2099.101.0', [...PG_MIGRATIONS, 'CREATE TABLE cco_next_layer (hour_start_ms bigint PRIMARY KEY)']);
      await ask(); // forwarded as usual, recorded in the outbox
      const st = await until('the newer schema seen', async () => {
        const x = (await (await get('/api/status')).json()) as StatusResponse;
        return x.problems.some((p) => p.code === 'team-schema-newer') ? x : null;
      });
      expect(st.problems).toEqual([
        expect.objectContaining({ code: 'team-schema-newer', severity: 'warning', message: expect.stringMatching(/^The team database was upgraded to schema \d+ by CCO 2099\.101\.0; .* \(1 record\(s\) wait on disk\)/) }),
      ]);
      const summary = await get('/api/summary?range=today');
      expect(summary.status).toBe(503);
      expect(((await summary.json()) as { error: { message: string } }).error.message).toMatch(/^database schema version \d+ is newer than this CCO supports/);
      expect(Number((await pool.query('SELECT count(*) AS n FROM requests')).rows[0].n)).toBe(1);
    } finally {
      await d.close();
      await pool.end();
    }
  });

  it('refuses to start with one clear line when the database is down', async () => {
    const down = await startPgCluster();
    const downUrl = down.url();
    await down.destroy();
    const err = await startDaemon({ port: 0, upstreamUrl: fake.url, dataDir: fs.mkdtempSync(path.join(os.tmpdir(), 'cco-d-')), log: silentLogger, apiKey: '', databaseUrl: downUrl, pidDir: false }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DaemonStartError);
    expect((err as DaemonStartError).code).toBe('EDATABASE');
    expect((err as Error).message).toMatch(/^cannot use PostgreSQL at cco@127\.0\.0\.1:\d+\/postgres: .*ECONNREFUSED/);
  });
});

describe('user filters on the embedded store', () => {
  it('are refused with a 400 (they would do nothing there)', async () => {
    const d = await startDaemon({ port: 0, dataDir: fs.mkdtempSync(path.join(os.tmpdir(), 'cco-d-')), log: silentLogger, apiKey: '', pidDir: false });
    try {
      for (const p of ['/api/summary?user=alice', '/api/requests?user=alice', '/api/export.csv?user=alice']) {
        const res = await fetch(d.url + p, { headers: { authorization: `Bearer ${d.token}` } });
        expect(res.status, p).toBe(400);
        expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/PostgreSQL team store/);
      }
      const ok = await fetch(d.url + '/api/summary', { headers: { authorization: `Bearer ${d.token}` } });
      expect(ok.status).toBe(200);
    } finally {
      await d.close();
    }
  });
});

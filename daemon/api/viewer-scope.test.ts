/**
 * Dashboard login on the central gateway, end to end: a daemon on 0.0.0.0 with the PostgreSQL store, the
 * fake upstream, two users (alice, bob) sending traffic with their proxy tokens. A user token opens the API,
 * the live feed and the dashboard narrowed to its own records; the daemon token (admin) sees both; admin-only
 * routes answer 403 to a user; the login form sets the cookie and logout clears it.
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiError, BlocksResponse, BudgetsResponse, CacheCoachReport, LiveMessage, RequestPage, RequestRecord, StatusResponse, Summary } from '../../shared/contract.ts';
import { startDaemon, type RunningDaemon } from '../index.ts';
import { silentLogger } from '../log.ts';
import { startFakeUpstream, type FakeUpstream } from '../../test/fake-upstream/server.ts';
import { pgSkipReason, startPgCluster, type PgCluster } from '../../test/pg/cluster.ts';
import { until } from '../../test/daemon-process.ts';
import { addUser } from '../team/users.ts';
import { API_ACCESS } from './access.ts';

process.env.CCO_CONFIG_DIR ??= fs.mkdtempSync(path.join(os.tmpdir(), 'cco-config-'));

interface LiveClient {
  ws: WebSocket;
  frames: LiveMessage[];
  records(): RequestRecord[];
  /** Resolves once every frame the daemon wrote before now has arrived (a pong follows them on the socket). */
  settle(): Promise<void>;
}

describe.skipIf(pgSkipReason() !== null)('dashboard login on the central gateway (PostgreSQL)', () => {
  let cluster: PgCluster;
  let fake: FakeUpstream;
  let daemon: RunningDaemon;
  const tokens: Record<'alice' | 'bob', string> = { alice: '', bob: '' };
  const live: Record<'alice' | 'bob' | 'admin', LiveClient> = {} as never;
  const ids: Record<'alice' | 'bob', string[]> = { alice: [], bob: [] };

  const openLive = async (token: string): Promise<LiveClient> => {
    const ws = new WebSocket(`${daemon.url.replace('http', 'ws')}/api/live`, { headers: { authorization: `Bearer ${token}` } });
    const frames: LiveMessage[] = [];
    ws.on('message', (d) => frames.push(JSON.parse(String(d)) as LiveMessage));
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`live feed refused: ${res.statusCode}`)));
    });
    return {
      ws,
      frames,
      records: () => frames.flatMap((f) => (f.type === 'request' ? [f.record] : [])),
      settle: () => new Promise<void>((resolve) => {
        ws.once('pong', () => resolve());
        ws.ping();
      }),
    };
  };

  beforeAll(async () => {
    cluster = await startPgCluster();
    // Plan-limit headers for every credential, so the daemon broadcasts `limits` frames.
    fake = await startFakeUpstream({ seed: 23, planLimits: { appliesTo: 'all' } });
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cco-login-'));
    tokens.alice = addUser(dataDir, 'alice');
    tokens.bob = addUser(dataDir, 'bob');
    daemon = await startDaemon({
      host: '0.0.0.0', port: 0, upstreamUrl: fake.url, dataDir, log: silentLogger, apiKey: '', pidDir: false, rateLimit: false,
      databaseUrl: await cluster.createDatabase(),
    });
    live.alice = await openLive(tokens.alice);
    live.bob = await openLive(tokens.bob);
    live.admin = await openLive(daemon.token);

    const sdk = (token: string) => new Anthropic({ apiKey: 'sk-ant-api03-client-own', baseURL: daemon.url, maxRetries: 0, defaultHeaders: { 'x-cco-token': token } });
    const ask = (who: 'alice' | 'bob', model: string) => sdk(tokens[who]).messages.create({ model, max_tokens: 16, messages: [{ role: 'user', content: who }] });
    for (const [who, model] of [['alice', 'claude-haiku-4-5'], ['bob', 'claude-sonnet-4-6'], ['alice', 'claude-sonnet-4-6']] as const) await ask(who, model);
    await daemon.store.flush();
    await until('the admin feed has every record', () => live.admin.records().length >= 3 || null, 10_000);
    await Promise.all([live.alice.settle(), live.bob.settle(), live.admin.settle()]);
    for (const r of live.admin.records()) ids[r.user as 'alice' | 'bob'].push(r.id);
  }, 120_000);
  afterAll(async () => {
    for (const c of Object.values(live)) c?.ws.terminate();
    await daemon?.close();
    await fake?.close();
    await cluster?.destroy();
  });

  const call = (token: string, p: string, init: RequestInit = {}) =>
    fetch(daemon.url + p, { ...init, headers: { authorization: `Bearer ${token}`, ...(init.headers as Record<string, string>) } });
  const json = async <T>(token: string, p: string): Promise<T> => {
    const res = await call(token, p);
    expect(res.status, p).toBe(200);
    return (await res.json()) as T;
  };

  it('has two users traffic attributed (the test setup)', () => {
    expect(ids.alice).toHaveLength(2);
    expect(ids.bob).toHaveLength(1);
  });

  it('summary: a user sees only their own figures, the admin both', async () => {
    const admin = await json<Summary>(daemon.token, '/api/summary?range=today');
    expect(admin.totals.requests).toBe(3);
    expect(Object.fromEntries(admin.byUser!.map((g) => [g.key, g.requests]))).toEqual({ alice: 2, bob: 1 });
    const alice = await json<Summary>(tokens.alice, '/api/summary?range=today');
    expect(alice.totals.requests).toBe(2);
    expect(alice.byUser?.map((g) => g.key) ?? []).not.toContain('bob');
    expect(alice.byModel.reduce((a, g) => a + g.requests, 0)).toBe(2);
    const bob = await json<Summary>(tokens.bob, '/api/summary?range=all');
    expect(bob.totals.requests).toBe(1);
    expect(bob.totals.costNanoUsd).toBe(admin.byUser!.find((g) => g.key === 'bob')!.costNanoUsd);
  });

  it('requests and detail: another user’s request is not there (404), the admin reads both', async () => {
    const alice = await json<RequestPage>(tokens.alice, '/api/requests?limit=50');
    expect(alice.items.map((r) => r.id).sort()).toEqual([...ids.alice].sort());
    expect((await json<RequestPage>(daemon.token, '/api/requests?limit=50')).items).toHaveLength(3);
    const bobsId = ids.bob[0]!;
    const denied = await call(tokens.alice, `/api/requests/${bobsId}`);
    expect(denied.status).toBe(404);
    expect(((await denied.json()) as ApiError).error.type).toBe('not_found_error');
    expect((await json<RequestRecord>(tokens.alice, `/api/requests/${ids.alice[0]}`)).id).toBe(ids.alice[0]);
    expect((await json<RequestRecord>(tokens.bob, `/api/requests/${bobsId}`)).user).toBe('bob');
    expect((await json<RequestRecord>(daemon.token, `/api/requests/${bobsId}`)).id).toBe(bobsId);
  });

  it('export: CSV and JSON carry only the user’s rows', async () => {
    const rows = await json<RequestRecord[]>(tokens.alice, '/api/export.json?range=all');
    expect(rows.map((r) => r.id).sort()).toEqual([...ids.alice].sort());
    const csv = await (await call(tokens.alice, '/api/export.csv')).text();
    expect(csv.trim().split('\n')).toHaveLength(1 + ids.alice.length);
    expect(csv).not.toContain(ids.bob[0]!);
    expect(await json<RequestRecord[]>(daemon.token, '/api/export.json')).toHaveLength(3);
    // the admin's user filter reaches the export too
    expect((await json<RequestRecord[]>(daemon.token, '/api/export.json?user=bob')).map((r) => r.id)).toEqual(ids.bob);
  });

  it('blocks and the cache coach count only the user’s requests', async () => {
    const blocks = await json<BlocksResponse>(tokens.bob, '/api/blocks?range=all');
    expect(blocks.blocks.reduce((a, b) => a + b.requests, 0)).toBe(1);
    const coach = await json<CacheCoachReport>(tokens.bob, '/api/cache-coach?range=today');
    expect(coach.totals.requests).toBe(1);
    expect((await json<CacheCoachReport>(daemon.token, '/api/cache-coach?range=today')).totals.requests).toBe(3);
  });

  it('a user filter naming another user is refused (403); naming oneself is fine', async () => {
    for (const p of ['/api/summary?user=bob', '/api/requests?user=bob', '/api/export.csv?user=bob', '/api/export.json?user=bob', '/api/blocks?user=bob', '/api/cache-coach?user=bob']) {
      const res = await call(tokens.alice, p);
      expect(res.status, p).toBe(403);
      expect(((await res.json()) as ApiError).error.type).toBe('permission_error');
    }
    expect((await json<Summary>(tokens.alice, '/api/summary?range=today&user=alice')).totals.requests).toBe(2);
  });

  it('admin-only routes answer 403 to a user token, in the API’s error shape', async () => {
    const adminOnly: [string, string][] = [
      ['GET', '/api/team'], ['GET', '/api/limits'], ['POST', '/api/budgets'], ['POST', '/api/budgets/override'],
      ['POST', '/api/reprice'], ['GET', '/api/cache'], ['POST', '/api/cache/clear'], ['GET', '/api/alerts'], ['POST', '/api/alerts/mute'],
      ['GET', '/api/import'], ['POST', '/api/import'], ['GET', '/api/reconcile'],
    ];
    // every admin root of access.ts is in the list
    const roots = Object.entries(API_ACCESS).filter(([, a]) => a === 'admin' || a === 'scoped-read').map(([r]) => r);
    for (const r of roots) expect(adminOnly.some(([, p]) => p === r || p.startsWith(r + '/')), r).toBe(true);
    for (const [method, p] of adminOnly) {
      const res = await call(tokens.bob, p, { method, headers: { 'content-type': 'application/json' }, ...(method === 'POST' && { body: '{}' }) });
      expect(res.status, `${method} ${p}`).toBe(403);
      expect(((await res.json()) as ApiError).error).toMatchObject({ type: 'permission_error' });
    }
    expect((await call(daemon.token, '/api/team')).status).toBe(200);
    expect((await call(daemon.token, '/api/limits')).status).toBe(200);
    const metrics = await call(tokens.alice, '/metrics');
    expect(metrics.status).toBe(403);
    expect(((await metrics.json()) as ApiError).error.type).toBe('permission_error');
    expect((await call(daemon.token, '/metrics')).status).toBe(200);
    expect((await call('cco_not-a-token', '/api/summary')).status).toBe(401);
  });

  it('budgets: a user reads only the caps on their own spend', async () => {
    const set = (b: object) => call(daemon.token, '/api/budgets', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(b) });
    for (const b of [{ period: 'daily', usd: 10, user: 'alice' }, { period: 'daily', usd: 20, user: 'bob' }, { period: 'monthly', usd: 100 }, { period: 'weekly', usd: 5, user: '*' }]) {
      expect((await set(b)).status).toBe(200);
    }
    const admin = await json<BudgetsResponse>(daemon.token, '/api/budgets');
    expect(admin.budgets.some((b) => b.user === 'bob')).toBe(true);
    expect(admin.budgets.some((b) => !b.user)).toBe(true); // the global monthly one
    const alice = await json<BudgetsResponse>(tokens.alice, '/api/budgets');
    expect(alice.budgets.length).toBeGreaterThan(0);
    expect(alice.budgets.every((b) => b.user === 'alice')).toBe(true);
    expect(alice.budgets.find((b) => b.period === 'daily')!.spentNanoUsd).toBe(admin.budgets.find((b) => b.period === 'daily' && b.user === 'alice')!.spentNanoUsd);
    expect(alice.rules.map((r) => r.user).sort()).toEqual(['*', 'alice']);
  });

  it('status says who is looking; prices are open to users', async () => {
    const alice = await json<StatusResponse>(tokens.alice, '/api/status');
    expect(alice.viewer).toEqual({ kind: 'user', user: 'alice' });
    // the store's health, without everyone's request count
    expect(alice.store).not.toHaveProperty('requests');
    expect(alice.store.ready).toBe(true);
    const admin = await json<StatusResponse>(daemon.token, '/api/status');
    expect(admin.viewer).toEqual({ kind: 'admin' });
    expect(admin.store.requests).toBeGreaterThan(0);
    expect((await call(tokens.alice, '/api/prices')).status).toBe(200);
  });

  it('live feed: a user socket gets only its own records and none of the daemon-wide frames', async () => {
    expect(live.alice.records().map((r) => r.id).sort()).toEqual([...ids.alice].sort());
    expect(live.bob.records().map((r) => r.id)).toEqual(ids.bob);
    expect(live.admin.records()).toHaveLength(3);
    // the daemon-wide frames (plan limits here) reach the admin only
    expect(live.admin.frames.some((f) => f.type === 'limits')).toBe(true);
    for (const who of ['alice', 'bob'] as const) {
      expect(live[who].frames.map((f) => f.type).filter((t) => t !== 'hello' && t !== 'request'), who).toEqual([]);
    }
    const refused = new WebSocket(`${daemon.url.replace('http', 'ws')}/api/live?token=cco_wrong`);
    const status = await new Promise<number>((resolve) => refused.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)));
    expect(status).toBe(401);
  });

  it('browser login: the no-token page’s form sets the cookie (checked Origin), logout clears it', async () => {
    const origin = daemon.url;
    const page = await fetch(`${daemon.url}/`, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(401);
    expect(await page.text()).toMatch(/<form method="post" action="\/api\/login">[\s\S]*name="token"/);

    const login = (token: string, from = origin) =>
      fetch(`${daemon.url}/api/login`, {
        method: 'POST', redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin: from, accept: 'text/html' },
        body: new URLSearchParams({ token }).toString(),
      });
    // another site cannot log this browser in (login CSRF) nor with a wrong token
    const foreign = await login(tokens.alice, 'http://evil.example');
    expect(foreign.status).toBe(403);
    expect(foreign.headers.get('set-cookie')).toBeNull();
    const wrong = await login('cco_wrong');
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('set-cookie')).toBeNull();

    const ok = await login(tokens.alice);
    expect(ok.status).toBe(303);
    expect(ok.headers.get('location')).toBe('/');
    const setCookie = ok.headers.get('set-cookie')!;
    expect(setCookie).toMatch(/^cco_token=[^;]+; Path=\//);
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Strict/);
    const cookie = setCookie.split(';')[0]!;
    const withCookie = (p: string) => fetch(daemon.url + p, { headers: { cookie, accept: 'application/json' } });
    const s = (await (await withCookie('/api/summary?range=today')).json()) as Summary;
    expect(s.totals.requests).toBe(2);
    expect(((await (await withCookie('/api/status')).json()) as StatusResponse).viewer).toEqual({ kind: 'user', user: 'alice' });
    expect((await withCookie(`/api/requests/${ids.bob[0]}`)).status).toBe(404);
    expect((await fetch(`${daemon.url}/`, { headers: { cookie, accept: 'text/html' } })).status).not.toBe(401);

    const foreignLogout = await fetch(`${daemon.url}/api/logout`, { method: 'POST', redirect: 'manual', headers: { cookie, origin: 'http://evil.example' } });
    expect(foreignLogout.status).toBe(403);
    const out = await fetch(`${daemon.url}/api/logout`, { method: 'POST', redirect: 'manual', headers: { cookie, origin } });
    expect(out.status).toBe(303);
    expect(out.headers.get('set-cookie')).toMatch(/^cco_token=; Path=\/; Expires=Thu, 01 Jan 1970/);

    // the printed-link way in takes a user token too
    const link = await fetch(`${daemon.url}/?token=${encodeURIComponent(tokens.bob)}`, { redirect: 'manual', headers: { accept: 'text/html' } });
    expect(link.status).toBe(302);
    const bobCookie = link.headers.get('set-cookie')!.split(';')[0]!;
    expect(((await (await fetch(`${daemon.url}/api/summary?range=today`, { headers: { cookie: bobCookie } })).json()) as Summary).totals.requests).toBe(1);

    // the admin token through the same form sees everything
    const admin = (await login(daemon.token)).headers.get('set-cookie')!.split(';')[0]!;
    const all = (await (await fetch(`${daemon.url}/api/summary?range=today`, { headers: { cookie: admin } })).json()) as Summary;
    expect(all.totals.requests).toBe(3);
  });

  it('status: the team shipping block (where records go, its errors) is for the admin only', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cco-login-'));
    const token = addUser(dataDir, 'carol');
    const d = await startDaemon({
      host: '0.0.0.0', port: 0, upstreamUrl: fake.url, dataDir, log: silentLogger, apiKey: '', pidDir: false, rateLimit: false,
      databaseUrl: await cluster.createDatabase(), team: { url: await cluster.createDatabase(), user: 'relay' },
    });
    try {
      const status = async (t: string) => (await (await fetch(`${d.url}/api/status`, { headers: { authorization: `Bearer ${t}` } })).json()) as StatusResponse;
      expect((await status(d.token)).team?.enabled).toBe(true);
      const carol = await status(token);
      expect(carol.viewer).toEqual({ kind: 'user', user: 'carol' });
      expect(carol.team).toBeUndefined();
    } finally {
      await d.close();
    }
  });

  it('a user removed from users.json loses the dashboard too', async () => {
    const dataDir = daemon.dataDir;
    const file = path.join(dataDir, 'users.json');
    const before = fs.readFileSync(file, 'utf8');
    const users = JSON.parse(before) as { name: string }[];
    fs.writeFileSync(file, JSON.stringify(users.filter((u) => u.name !== 'bob')));
    try {
      await until('bob’s token stops working', async () => (await call(tokens.bob, '/api/summary')).status === 401 || null, 10_000);
    } finally {
      fs.writeFileSync(file, before);
    }
  });
});

describe('[server] names: a gateway answers browsers that reach it by name', () => {
  it('takes Host cco.internal:<port> and refuses another name', async () => {
    const d = await startDaemon({ host: '0.0.0.0', port: 0, dataDir: fs.mkdtempSync(path.join(os.tmpdir(), 'cco-login-')), log: silentLogger, apiKey: '', pidDir: false, serverNames: ['cco.internal'] });
    try {
      const get = (host: string) =>
        new Promise<number>((resolve, reject) => {
          http.get({ host: '127.0.0.1', port: d.port, path: '/api/status', headers: { host, authorization: `Bearer ${d.token}` } }, (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          }).on('error', reject);
        });
      expect(await get(`cco.internal:${d.port}`)).toBe(200);
      expect(await get(`other.internal:${d.port}`)).toBe(403);
    } finally {
      await d.close();
    }
  });
});

describe('a loopback daemon with no users (the desktop)', () => {
  it('is unchanged: the daemon token is `local`, and a user token is refused on the embedded store', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cco-login-'));
    const d = await startDaemon({ port: 0, dataDir, log: silentLogger, apiKey: '', pidDir: false });
    try {
      const status = (await (await fetch(`${d.url}/api/status`, { headers: { authorization: `Bearer ${d.token}` } })).json()) as StatusResponse;
      expect(status.viewer).toEqual({ kind: 'local' });
      // users cannot be narrowed on the embedded store: their tokens do not open the API there
      const token = addUser(dataDir, 'carol');
      const viewer = async () => ((await (await fetch(`${d.url}/api/status`, { headers: { authorization: `Bearer ${d.token}` } })).json()) as StatusResponse).viewer;
      await until('users.json is re-read: the daemon token is now the admin', async () => (await viewer())?.kind === 'admin' || null, 10_000);
      expect((await fetch(`${d.url}/api/summary`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(401);
    } finally {
      await d.close();
    }
  });
});

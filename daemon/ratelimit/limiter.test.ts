import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { clientKey, createRateLimiter } from './limiter.ts';
import { startDaemon } from '../index.ts';
import { silentLogger } from '../log.ts';
import { startFakeUpstream } from '../../test/fake-upstream/server.ts';

describe('createRateLimiter.admit', () => {
  it('allows a burst of requestsPerMinute, then refills evenly over the minute', () => {
    let t = 1_000_000;
    const rl = createRateLimiter({ requestsPerMinute: 60, maxConnections: 1000, now: () => t });
    for (let i = 0; i < 60; i++) {
      const a = rl.admit('1.2.3.4');
      expect(a.ok).toBe(true);
      if (a.ok) a.release();
    }
    const refused = rl.admit('1.2.3.4');
    expect(refused).toEqual({ ok: false, retryAfter: 1, reason: 'rate' });
    expect(rl.admit('5.6.7.8').ok).toBe(true); // per key
    t += 1000; // one token per second at 60/min
    expect(rl.admit('1.2.3.4').ok).toBe(true);
    expect(rl.admit('1.2.3.4').ok).toBe(false);
  });
  it('computes Retry-After from the refill rate', () => {
    const t = 0;
    const rl = createRateLimiter({ requestsPerMinute: 2, now: () => t });
    rl.admit('a');
    rl.admit('a');
    const r = rl.admit('a');
    expect(r).toMatchObject({ ok: false, reason: 'rate', retryAfter: 30 });
  });
  it('caps concurrent connections and frees a slot on release (once)', () => {
    const rl = createRateLimiter({ requestsPerMinute: 1000, maxConnections: 2 });
    const a = rl.admit('x');
    const b = rl.admit('x');
    expect(rl.admit('x')).toEqual({ ok: false, retryAfter: 1, reason: 'connections' });
    if (a.ok) {
      a.release();
      a.release();
    }
    expect(rl.admit('x').ok).toBe(true);
    expect(rl.admit('x').ok).toBe(false);
    expect(b.ok).toBe(true);
  });
  it('forgets idle, refilled addresses', () => {
    let t = 0;
    const rl = createRateLimiter({ requestsPerMinute: 10, now: () => t });
    const a = rl.admit('idle');
    if (a.ok) a.release();
    expect(rl.size()).toBe(1);
    t += 120_000;
    rl.admit('other');
    expect(rl.size()).toBe(1);
  });
});

describe('clientKey', () => {
  const req = (headers: Record<string, string>, url = '/api/summary', remoteAddress = '127.0.0.1') => ({ headers, url, socket: { remoteAddress } }) as unknown as http.IncomingMessage;
  it('keys by credential kind and hash on loopback, never by the raw token, and adds the address beyond loopback', () => {
    const bearer = clientKey(req({ authorization: 'Bearer tok-abc' }));
    const cookie = clientKey(req({ cookie: 'x=1; cco_token=tok-abc' }));
    const query = clientKey(req({}, '/api/live?token=tok-abc'));
    expect(bearer).toMatch(/^bearer:/);
    expect(cookie).toMatch(/^cookie:/);
    expect(query).toMatch(/^query:/);
    for (const k of [bearer, cookie, query]) expect(k).not.toContain('tok-abc');
    expect(clientKey(req({ authorization: 'Bearer tok-abc' }, '/', '::1'))).toBe(bearer); // any loopback address: one bucket
    expect(clientKey(req({ authorization: 'Bearer tok-abc' }, '/', '192.0.2.9'))).toBe(`192.0.2.9|${bearer}`);
  });
});

describe('rate limits on a real daemon', async () => {
  const fake = await startFakeUpstream({ seed: 5 });
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cco-rl-'));
  const staticDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cco-rl-static-'));
  fs.writeFileSync(path.join(staticDir, 'index.html'), '<!doctype html><script src="/assets/app.js"></script>');
  fs.mkdirSync(path.join(staticDir, 'assets'));
  fs.writeFileSync(path.join(staticDir, 'assets', 'app.js'), 'console.log(1)');
  const daemon = await startDaemon({ port: 0, upstreamUrl: fake.url, dataDir, staticDir, log: silentLogger, apiKey: '', pidDir: false, rateLimit: { requestsPerMinute: 20, maxConnections: 3 } });
  const auth = { authorization: `Bearer ${daemon.token}` };
  const dashboard = { cookie: `cco_token=${daemon.token}` };
  const status = (p: string, headers: Record<string, string> = {}) => fetch(`${daemon.url}${p}`, { headers }).then(async (r) => (await r.arrayBuffer(), r.status));
  afterAll(async () => {
    await daemon.close();
    await fake.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
    fs.rmSync(staticDir, { recursive: true, force: true });
  });

  it('a page without the token cannot spend the dashboard\'s bucket; /health, /ready and the dashboard files are never limited', async () => {
    // A hostile page hammers the API: no token, a rebinding Host, a foreign Origin. All refused, none counted.
    const hostile = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        i % 3 === 0
          ? status('/api/summary')
          : i % 3 === 1
            ? new Promise<number>((resolve, reject) => {
                const r = http.get({ host: '127.0.0.1', port: daemon.port, path: '/api/summary', headers: { host: `evil.com:${daemon.port}`, ...dashboard } }, (res) => {
                  res.resume();
                  resolve(res.statusCode ?? 0);
                });
                r.on('error', reject);
              })
            : status('/api/summary', { origin: 'https://evil.example', ...dashboard }),
      ),
    );
    expect(hostile.every((s) => s === 401 || s === 403)).toBe(true);
    // The dashboard (cookie) still has its whole bucket…
    const mine: number[] = [];
    for (let i = 0; i < 20; i++) mine.push(await status('/api/summary?range=today', dashboard));
    expect(mine.every((s) => s === 200)).toBe(true);
    const limited = await fetch(`${daemon.url}/api/summary`, { headers: dashboard });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(((await limited.json()) as { error: { type: string } }).error.type).toBe('rate_limit_error');
    // …the bearer clients (popover, TUI, statusline) have their own…
    expect(await status('/api/summary', auth)).toBe(200);
    // …and even with the dashboard's bucket empty, its page, its script, /health and /ready load.
    const free = await Promise.all([
      ...Array.from({ length: 40 }, () => status('/health')),
      ...Array.from({ length: 10 }, () => status('/ready')),
      ...Array.from({ length: 10 }, () => status('/', dashboard)),
      ...Array.from({ length: 10 }, () => status('/assets/app.js', dashboard)),
    ]);
    expect(free.every((s) => s === 200)).toBe(true);
  });

  it('live-feed sockets hold connection slots after the token check; /health still answers', async () => {
    const open = (headers: Record<string, string>) =>
      new Promise<{ ws: WebSocket | null; status: number }>((resolve) => {
        const ws = new WebSocket(`${daemon.url.replace('http', 'ws')}/api/live`, { headers });
        ws.once('unexpected-response', (_req, res) => resolve({ ws: null, status: res.statusCode ?? 0 }));
        ws.once('open', () => resolve({ ws, status: 101 }));
      });
    const bearer = { authorization: `Bearer ${daemon.token}` };
    const sockets: WebSocket[] = [];
    for (let i = 0; i < 3; i++) {
      const o = await open(bearer);
      expect(o.status).toBe(101);
      sockets.push(o.ws!);
    }
    expect((await open(bearer)).status).toBe(429);
    expect((await open({})).status).toBe(401); // no token: refused by the trust check, not by the limiter
    expect(await status('/health')).toBe(200);
    for (const ws of sockets) ws.close();
  });

  it('never limits the proxy path', async () => {
    const body = JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] });
    const proxied = await Promise.all(
      Array.from({ length: 30 }, () =>
        fetch(`${daemon.url}/v1/messages`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-api-key': 'sk-ant-test-key-0000', 'anthropic-version': '2023-06-01' },
          body,
        }).then(async (r) => {
          await r.arrayBuffer();
          return r.status;
        }),
      ),
    );
    expect(proxied.every((s) => s === 200)).toBe(true);
  });

  it('can be switched off', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cco-rl-off-'));
    const d = await startDaemon({ port: 0, upstreamUrl: fake.url, dataDir: dir, log: silentLogger, apiKey: '', rateLimit: false, pidDir: false });
    try {
      const res = await Promise.all(Array.from({ length: 150 }, () => fetch(`${d.url}/api/prices`, { headers: { authorization: `Bearer ${d.token}` } }).then((r) => r.status)));
      expect(res.every((s) => s === 200)).toBe(true);
    } finally {
      await d.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the default limits', () => {
  it('leave CCO\'s own screens ample room: heavy popover, TUI, statusline and tray reads in a burst', async () => {
    const fake = await startFakeUpstream({ seed: 5 });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cco-rl-default-'));
    const d = await startDaemon({ port: 0, upstreamUrl: fake.url, dataDir: dir, log: silentLogger, apiKey: '', pidDir: false });
    try {
      // ~5 proxied requests/s make every screen refetch: the bearer clients together (TUI 3 reads per refetch
      // every 0.5 s, statusline 2 per call, popover, tray) read several times a second. 300 reads at once, 8
      // in flight: three times the old per-IP default of 100 per minute.
      const statuses: number[] = [];
      const paths = ['/api/summary?range=today&sessions=0', '/api/requests?limit=5', '/api/prices'];
      for (let batch = 0; batch < 38; batch++) {
        const burst = Array.from({ length: 8 }, (_, i) => paths[(batch + i) % 3]!).slice(0, Math.min(8, 300 - statuses.length));
        statuses.push(...(await Promise.all(burst.map((p) => fetch(`${d.url}${p}`, { headers: { authorization: `Bearer ${d.token}` } }).then(async (r) => (await r.arrayBuffer(), r.status))))));
      }
      expect(statuses).toHaveLength(300);
      expect(statuses.filter((s) => s !== 200)).toEqual([]);
    } finally {
      await d.close();
      await fake.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('a wall-clock step', () => {
  afterEach(() => vi.useRealTimers());
  it('back by one hour changes nothing: no 429, no Retry-After of an hour (the limiter counts monotonic time)', async () => {
    const fake = await startFakeUpstream({ seed: 5 });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cco-rl-clock-'));
    // Only Date is faked (timers stay real), and before the daemon starts, so every wall-clock read sees the step.
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date());
    const d = await startDaemon({ port: 0, upstreamUrl: fake.url, dataDir: dir, log: silentLogger, apiKey: '', pidDir: false, rateLimit: { requestsPerMinute: 20, maxConnections: 5 } });
    const auth = { authorization: `Bearer ${d.token}` };
    try {
      for (let i = 0; i < 3; i++) expect((await fetch(`${d.url}/api/summary`, { headers: auth })).status).toBe(200);
      vi.setSystemTime(Date.now() - 3_600_000); // NTP, DST or the user steps the clock back an hour
      for (let i = 0; i < 3; i++) {
        const res = await fetch(`${d.url}/api/summary`, { headers: auth });
        expect(res.status, `Retry-After ${res.headers.get('retry-after')}`).toBe(200);
        const health = await fetch(`${d.url}/health`);
        expect(health.status).toBe(200);
        expect(((await health.json()) as { uptime: number }).uptime).toBeGreaterThanOrEqual(0); // monotonic uptime too
      }
    } finally {
      vi.useRealTimers();
      await d.close();
      await fake.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('middleware on a plain server', () => {
  it('releases the slot when the response closes', async () => {
    const rl = createRateLimiter({ requestsPerMinute: 1000, maxConnections: 1 });
    const server = http.createServer((req, res) => rl.middleware(req, res, () => setTimeout(() => res.end('ok'), 50)));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    const [a, b] = await Promise.all([fetch(url), new Promise((r) => setTimeout(r, 10)).then(() => fetch(url))]);
    expect([a.status, b.status]).toEqual([200, 429]);
    expect((await fetch(url)).status).toBe(200);
    server.closeAllConnections();
    server.close();
  });
});

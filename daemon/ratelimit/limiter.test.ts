import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createRateLimiter } from './limiter.ts';
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
    expect(rl.admit('5.6.7.8').ok).toBe(true); // per IP
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

describe('rate limits on a real daemon', async () => {
  const fake = await startFakeUpstream({ seed: 5 });
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cco-rl-'));
  const daemon = await startDaemon({ port: 0, upstreamUrl: fake.url, dataDir, log: silentLogger, apiKey: '', rateLimit: { requestsPerMinute: 20, maxConnections: 3 } });
  const auth = { authorization: `Bearer ${daemon.token}` };
  afterAll(async () => {
    await daemon.close();
    await fake.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers 429 with Retry-After on the API past the limit, while the proxy path is never limited', async () => {
    // The live feed holds connection slots while open: 3 allowed, the 4th refused with 429.
    const sockets: WebSocket[] = [];
    for (let i = 0; i < 3; i++) {
      const ws = new WebSocket(`${daemon.url.replace('http', 'ws')}/api/live`, { headers: auth });
      await new Promise((resolve, reject) => {
        ws.once('open', resolve);
        ws.once('error', reject);
      });
      sockets.push(ws);
    }
    const refused = await new Promise<number>((resolve) => {
      const ws = new WebSocket(`${daemon.url.replace('http', 'ws')}/api/live`, { headers: auth });
      ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.once('open', () => resolve(101));
    });
    expect(refused).toBe(429);
    // With every connection slot taken, even /health is refused for this address…
    const busy = await fetch(`${daemon.url}/health`);
    expect(busy.status).toBe(429);
    expect(busy.headers.get('retry-after')).toBe('1');
    for (const ws of sockets) ws.close();
    await new Promise((r) => setTimeout(r, 100));

    const statuses: number[] = [];
    for (let i = 0; i < 25; i++) statuses.push((await fetch(`${daemon.url}/api/summary`, { headers: auth })).status);
    // The 3 open sockets took 3 of 20 tokens; refused attempts take none.
    expect(statuses.filter((s) => s === 200).length).toBe(17);
    expect(statuses.slice(17).every((s) => s === 429)).toBe(true);
    const limited = await fetch(`${daemon.url}/api/summary`, { headers: auth });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(((await limited.json()) as { error: { type: string } }).error.type).toBe('rate_limit_error');

    // …but Claude Code's traffic goes through untouched, many requests and concurrently.
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
      const res = await Promise.all(Array.from({ length: 150 }, () => fetch(`${d.url}/health`).then((r) => r.status)));
      expect(res.every((s) => s === 200)).toBe(true);
    } finally {
      await d.close();
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

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import type { SpendFigures } from './spend-feed.ts';
import { SpendFeed } from './spend-feed.ts';

/** A real HTTP + WS server speaking the daemon's summary and live-feed shapes. */
async function fakeDaemon(token: string) {
  let today = 1_000_000_000;
  const seenAuth: string[] = [];
  const server = http.createServer((req, res) => {
    seenAuth.push(req.headers.authorization ?? '');
    if (req.headers.authorization !== `Bearer ${token}`) return void res.writeHead(401).end();
    const url = new URL(req.url ?? '/', 'http://x');
    const range = url.searchParams.get('range');
    const cost = range === 'today' ? today : today + 5_000_000_000;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ range, totals: { costNanoUsd: cost, unpricedRequests: range === 'today' ? 1 : 3, requests: 1 } }));
  });
  const wss = new WebSocketServer({ server, path: '/api/live' });
  wss.on('connection', (ws, req) => {
    if (req.headers.authorization !== `Bearer ${token}`) ws.close(4401);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    seenAuth,
    spend(nano: number) {
      today = nano;
      for (const c of wss.clients) c.send(JSON.stringify({ type: 'request', record: { id: 'x' } }));
    },
    clients: () => wss.clients.size,
    close: () => new Promise<void>((r) => {
      for (const c of wss.clients) c.terminate();
      wss.close();
      server.close(() => r());
    }),
  };
}

const until = async (pred: () => boolean, ms = 3000) => {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error('timeout');
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('SpendFeed', () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('reads today and month, then updates on each live request', async () => {
    const d = await fakeDaemon('tok');
    cleanups.push(d.close);
    const updates: SpendFigures[] = [];
    const feed = new SpendFeed({ baseUrl: d.baseUrl, token: 'tok', onUpdate: (f) => updates.push(f), debounceMs: 20, tz: 'UTC' });
    cleanups.push(() => feed.stop());
    feed.start();
    await until(() => updates.length === 1 && d.clients() === 1);
    expect(updates[0]).toEqual({ todayNanoUsd: 1_000_000_000, monthNanoUsd: 6_000_000_000, unpricedToday: 1 });
    d.spend(2_500_000_000);
    d.spend(2_600_000_000); // debounced into one read
    await until(() => updates.length >= 2);
    await new Promise((r) => setTimeout(r, 60));
    expect(updates).toHaveLength(2);
    expect(updates[1]).toMatchObject({ todayNanoUsd: 2_600_000_000 });
    expect(new Set(d.seenAuth)).toEqual(new Set(['Bearer tok']));
  });

  it('stop() closes the socket and stops updates', async () => {
    const d = await fakeDaemon('tok');
    cleanups.push(d.close);
    const updates: SpendFigures[] = [];
    const feed = new SpendFeed({ baseUrl: d.baseUrl, token: 'tok', onUpdate: (f) => updates.push(f), debounceMs: 10 });
    feed.start();
    await until(() => d.clients() === 1 && updates.length === 1);
    feed.stop();
    await until(() => d.clients() === 0);
    d.spend(9);
    await new Promise((r) => setTimeout(r, 50));
    expect(updates).toHaveLength(1);
  });

  it('a wrong token yields no figures (and no crash)', async () => {
    const d = await fakeDaemon('right');
    cleanups.push(d.close);
    const logs: string[] = [];
    const updates: SpendFigures[] = [];
    const feed = new SpendFeed({ baseUrl: d.baseUrl, token: 'wrong', onUpdate: (f) => updates.push(f), log: (l) => logs.push(l) });
    cleanups.push(() => feed.stop());
    await feed.refresh();
    expect(updates).toEqual([]);
    expect(logs.join('\n')).toContain('HTTP 401');
    expect(logs.join('\n')).not.toContain('wrong');
  });
});

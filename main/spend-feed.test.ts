import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import type { SpendFigures } from './spend-feed.ts';
import { SpendFeed, addRecord, nextRefreshDelay } from './spend-feed.ts';

/** A real HTTP + WS server speaking the daemon's summary and live-feed shapes. */
async function fakeDaemon(token: string) {
  let today = 1_000_000_000;
  const seenAuth: string[] = [];
  let summaryReads = 0;
  let limitNext = 0;
  const server = http.createServer((req, res) => {
    seenAuth.push(req.headers.authorization ?? '');
    if (req.url?.startsWith('/api/summary')) summaryReads += 1;
    if (limitNext > 0 && req.url?.startsWith('/api/summary')) {
      limitNext -= 1;
      return void res.writeHead(429, { 'retry-after': '7', 'content-type': 'application/json' }).end('{"error":{"type":"rate_limit_error","message":"slow down"}}');
    }
    if (req.headers.authorization !== `Bearer ${token}`) return void res.writeHead(401).end();
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/api/status') return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'warning', message: 'A damaged month file was moved aside.', problems: [] }));
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
    spend(nano: number, record: Record<string, unknown> = { id: 'x' }) {
      today = nano;
      for (const c of wss.clients) c.send(JSON.stringify({ type: 'request', record }));
    },
    summaryReads: () => summaryReads,
    limitNextSummaries: (n: number) => void (limitNext = n),
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
    const feed = new SpendFeed({ baseUrl: d.baseUrl, token: 'tok', onUpdate: (f) => updates.push(f), debounceMs: 20, summaryEveryMs: 20, tz: 'UTC' });
    cleanups.push(() => feed.stop());
    feed.start();
    await until(() => updates.length === 1 && d.clients() === 1);
    expect(updates[0]).toEqual({ todayNanoUsd: 1_000_000_000, monthNanoUsd: 6_000_000_000, unpricedToday: 1, health: { status: 'warning', message: 'A damaged month file was moved aside.' } });
    // the tray moves with each record at once, from the record itself…
    d.spend(2_500_000_000, { id: 'a', costNanoUsd: 300_000_000, billable: true });
    await until(() => updates.length >= 2);
    expect(updates[1]).toMatchObject({ todayNanoUsd: 1_300_000_000, monthNanoUsd: 6_300_000_000, unpricedToday: 1 });
    // …and the summaries are read again to correct it
    await until(() => updates.some((u) => u.todayNanoUsd === 2_500_000_000));
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

  it('re-reads the summaries at most every 5 s and at least 1 s after the last record, never inside a 429 wait', () => {
    const base = { debounceMs: 1_000, summaryEveryMs: 5_000, blockedUntil: 0 };
    expect(nextRefreshDelay({ ...base, now: 10_000, lastRefreshAt: 0 })).toBe(1_000); // quiet for a while: 1 s
    expect(nextRefreshDelay({ ...base, now: 10_000, lastRefreshAt: 9_000 })).toBe(4_000); // read 1 s ago: wait for 5 s
    expect(nextRefreshDelay({ ...base, now: 10_000, lastRefreshAt: 0, blockedUntil: 17_000 })).toBe(7_000); // Retry-After
    // a busy session (a record every 100 ms for a minute) costs at most 12 reads of 2 summaries
    let last = Number.NEGATIVE_INFINITY;
    let reads = 0;
    let due = Number.POSITIVE_INFINITY;
    for (let t = 0; t <= 60_000; t += 100) {
      if (t >= due) {
        reads += 1;
        last = t;
        due = Number.POSITIVE_INFINITY;
      }
      if (due === Number.POSITIVE_INFINITY) due = t + nextRefreshDelay({ ...base, now: t, lastRefreshAt: last });
    }
    expect(reads).toBeLessThanOrEqual(12);
  });

  it('counts a record into today and the month, an unpriced billable one as unpriced', () => {
    const f = { todayNanoUsd: 10, monthNanoUsd: 20, unpricedToday: 0 };
    expect(addRecord(f, { costNanoUsd: 5, billable: true })).toEqual({ todayNanoUsd: 15, monthNanoUsd: 25, unpricedToday: 0 });
    expect(addRecord(f, { costNanoUsd: null, billable: true })).toEqual({ ...f, unpricedToday: 1 });
    expect(addRecord(f, { costNanoUsd: null, billable: false })).toEqual(f);
  });

  it('honours Retry-After on a 429 from the daemon', async () => {
    const d = await fakeDaemon('tok');
    cleanups.push(d.close);
    d.limitNextSummaries(2);
    const logs: string[] = [];
    const t0 = 1_000_000;
    const feed = new SpendFeed({ baseUrl: d.baseUrl, token: 'tok', onUpdate: () => {}, log: (l) => logs.push(l), now: () => t0 });
    cleanups.push(() => feed.stop());
    await feed.refresh();
    expect(feed.blockedUntil).toBe(t0 + 7_000);
    expect(logs.join('\n')).toContain('rate limited by the daemon; retrying in 7 s');
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import type { AddressInfo } from 'node:net';
import { backoffDelay, LiveConnection, parseLiveMessage, type LiveState } from './live.ts';

function until(cond: () => boolean, ms = 3000): Promise<void> {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const tick = () => {
      if (cond()) resolve();
      else if (Date.now() - t0 > ms) reject(new Error('timed out'));
      else setTimeout(tick, 10);
    };
    tick();
  });
}

function startServer(port = 0): Promise<WebSocketServer> {
  return new Promise((resolve) => {
    const wss: WebSocketServer = new WebSocketServer({ host: '127.0.0.1', port }, () => resolve(wss));
  });
}
function closeServer(wss: WebSocketServer): Promise<void> {
  for (const c of wss.clients) c.terminate();
  return new Promise((resolve) => wss.close(() => resolve()));
}

describe('backoffDelay', () => {
  it('doubles from the base and caps at the maximum', () => {
    const mid = () => 0.5; // no jitter
    expect(backoffDelay(0, { baseMs: 100, maxMs: 1000 }, mid)).toBe(100);
    expect(backoffDelay(1, { baseMs: 100, maxMs: 1000 }, mid)).toBe(200);
    expect(backoffDelay(3, { baseMs: 100, maxMs: 1000 }, mid)).toBe(800);
    expect(backoffDelay(10, { baseMs: 100, maxMs: 1000 }, mid)).toBe(1000);
  });
  it('jitters within ±25 %', () => {
    expect(backoffDelay(2, { baseMs: 100, maxMs: 1000 }, () => 0)).toBe(300);
    expect(backoffDelay(2, { baseMs: 100, maxMs: 1000 }, () => 1)).toBe(500);
  });
});

describe('parseLiveMessage', () => {
  it('accepts known frames and ignores the rest', () => {
    expect(parseLiveMessage('{"type":"hello","version":"1","serverTime":"x"}')?.type).toBe('hello');
    // Every type of the contract passes (import progress and alerts were dropped here once).
    for (const type of ['hello', 'request', 'import', 'limits', 'alert']) expect(parseLiveMessage(JSON.stringify({ type }))?.type).toBe(type);
    expect(parseLiveMessage('{"type":"other"}')).toBeNull();
    expect(parseLiveMessage('{"type":"toString"}')).toBeNull();
    expect(parseLiveMessage('null')).toBeNull();
    expect(parseLiveMessage('not json')).toBeNull();
    expect(parseLiveMessage(42)).toBeNull();
  });
});

describe('LiveConnection', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('receives frames, shows reconnecting when the server goes away, and recovers', async () => {
    let wss = await startServer();
    const port = (wss.address() as AddressInfo).port;
    wss.on('connection', (s) => s.send(JSON.stringify({ type: 'hello', version: 't', serverTime: new Date().toISOString() })));
    const states: LiveState[] = [];
    const types: string[] = [];
    const opens: boolean[] = [];
    const live = new LiveConnection({
      url: () => `ws://127.0.0.1:${port}/api/live`,
      onMessage: (m) => types.push(m.type),
      onState: (s) => states.push(s),
      onOpen: (r) => opens.push(r),
      backoff: { baseMs: 50, maxMs: 200 },
    });
    live.start();
    cleanups.push(() => live.stop());
    await until(() => types.length === 1);
    expect(live.state).toBe('open');
    expect(opens).toEqual([false]);

    await closeServer(wss);
    await until(() => live.state === 'reconnecting');

    wss = await startServer(port);
    const restarted = wss;
    cleanups.push(() => closeServer(restarted));
    wss.on('connection', (s) => s.send(JSON.stringify({ type: 'hello', version: 't', serverTime: '' })));
    await until(() => types.length === 2, 5000);
    expect(live.state).toBe('open');
    expect(opens).toEqual([false, true]);
    expect(states).toContain('reconnecting');
  });

  it('stops cleanly: no reconnects after stop', async () => {
    const wss = await startServer();
    const port = (wss.address() as AddressInfo).port;
    let connections = 0;
    wss.on('connection', () => (connections += 1));
    cleanups.push(() => closeServer(wss));
    const live = new LiveConnection({ url: () => `ws://127.0.0.1:${port}/`, onMessage: () => {}, backoff: { baseMs: 10, maxMs: 20 } });
    live.start();
    await until(() => connections === 1);
    live.stop();
    expect(live.state).toBe('closed');
    await new Promise((r) => setTimeout(r, 100));
    expect(connections).toBe(1);
  });
});

/**
 * The HTTP thread's heap is collected once after a burst of requests, when none has been in flight for the
 * quiet time: never while one is open (a stream), once per burst, and really (a WeakRef to garbage is cleared).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { IdleCollector, watchIdle } from './idle-gc.ts';
import { collectGarbage } from './store/gc.ts';
import { until } from '../test/daemon-process.ts';

const QUIET_MS = 50;
const servers: http.Server[] = [];

afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

async function serve(collector: IdleCollector, handler: http.RequestListener): Promise<string> {
  const server = http.createServer(handler);
  watchIdle(server, collector);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('IdleCollector', () => {
  it('collects once after a burst, and not again until a request comes', async () => {
    let calls = 0;
    const collector = new IdleCollector(QUIET_MS, () => (calls++, true));
    const base = await serve(collector, (_req, res) => res.end('ok'));
    await Promise.all(Array.from({ length: 5 }, () => fetch(base).then((r) => r.text())));
    await until('the collection', () => calls === 1);
    await sleep(QUIET_MS * 6);
    expect(calls).toBe(1);
    await fetch(base).then((r) => r.text());
    await until('the second collection', () => calls === 2);
    expect(collector.collections).toBe(2);
  });

  it('never collects while a request is in flight (a stream held open)', async () => {
    let calls = 0;
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const collector = new IdleCollector(QUIET_MS, () => (calls++, true));
    const base = await serve(collector, (req, res) => {
      if (req.url === '/stream') {
        res.write('first');
        void held.then(() => res.end('last'));
      } else res.end('ok');
    });
    const stream = fetch(`${base}/stream`).then((r) => r.text());
    await fetch(base).then((r) => r.text()); // a short request ends while the stream is open
    await sleep(QUIET_MS * 6);
    expect(calls).toBe(0);
    release();
    expect(await stream).toBe('firstlast');
    await until('the collection after the stream', () => calls === 1);
  });

  it('runs a real full collection of this thread when quiet', async () => {
    expect(collectGarbage()).toBe(true); // the runtime allows it here
    const collector = new IdleCollector(QUIET_MS);
    let ref: WeakRef<object> | undefined;
    const base = await serve(collector, (_req, res) => {
      ref = new WeakRef({ garbage: new Array(1000).fill(1) });
      res.end('ok');
    });
    await fetch(base).then((r) => r.text());
    await until('the idle collection', () => collector.collections === 1);
    expect(ref!.deref()).toBeUndefined();
  });
});

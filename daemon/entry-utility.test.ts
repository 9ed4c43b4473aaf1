import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import type { DaemonToHost } from '../shared/ipc-messages.ts';
import type { DaemonHandleLike, HostChannel } from './entry-utility.ts';
import { entryFlags, readEntryOptions, runHost, startHosted, storeWorkerBeside } from './entry-utility.ts';

function fakeChannel() {
  const posted: DaemonToHost[] = [];
  let listener: ((m: unknown) => void) | null = null;
  const channel: HostChannel = {
    kind: 'ipc',
    post: async (m) => void posted.push(m),
    onMessage: (l) => void (listener = l),
  };
  return { channel, posted, deliver: (m: unknown) => listener?.(m) };
}

/** A real (tiny) server standing in for startDaemon. */
async function startHttp(): Promise<DaemonHandleLike & { closed: () => boolean }> {
  const server = http.createServer((_req, res) => res.end('ok'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  let closed = false;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    token: 't0k',
    close: () => new Promise<void>((r) => server.close(() => ((closed = true), r()))),
    closed: () => closed,
  };
}

describe('entry-utility', () => {
  it('reads flags before CCO_* environment variables', () => {
    expect(readEntryOptions(['--port', '4000', '--data-dir=/tmp/x'], { CCO_PORT: '5000', CCO_HOST: '127.0.0.2', CCO_UPSTREAM_URL: 'http://u' }))
      .toEqual({ port: 4000, dataDir: '/tmp/x', host: '127.0.0.2', upstreamUrl: 'http://u' });
    expect(readEntryOptions([], {})).toEqual({});
    expect(() => readEntryOptions(['--port', 'abc'], {})).toThrow(/invalid port/);
  });

  it('posts ready with port and token, then shuts down on request', async () => {
    const { channel, posted, deliver } = fakeChannel();
    let handle: Awaited<ReturnType<typeof startHttp>> | null = null;
    const exits: number[] = [];
    await runHost({ channel, options: {}, start: async () => (handle = await startHttp()), exit: (c) => exits.push(c), log: () => {} });
    expect(posted[0]).toMatchObject({ type: 'ready', port: handle!.port, token: 't0k', pid: process.pid });
    const res = await fetch(`http://127.0.0.1:${handle!.port}/`);
    expect(await res.text()).toBe('ok');
    deliver({ type: 'bogus' });
    deliver({ type: 'shutdown' });
    deliver({ type: 'shutdown' });
    await new Promise((r) => setTimeout(r, 50));
    expect(handle!.closed()).toBe(true);
    expect(posted.map((m) => m.type)).toEqual(['ready', 'shutdown-complete']);
    expect(exits).toEqual([0]);
  });

  it('reports a start failure and exits 1', async () => {
    const { channel, posted } = fakeChannel();
    const exits: number[] = [];
    await runHost({ channel, options: {}, start: async () => { throw new Error('Port 3000 is already in use'); }, exit: (c) => exits.push(c), log: () => {} });
    expect(posted).toEqual([{ type: 'startup-error', message: 'Port 3000 is already in use' }]);
    expect(exits).toEqual([1]);
  });

  it('answers set-recording, saying whether the daemon supports it', async () => {
    const { channel, posted, deliver } = fakeChannel();
    const calls: boolean[] = [];
    await runHost({
      channel, options: {}, exit: () => {}, log: () => {},
      start: async () => ({ ...(await startHttp()), setRecording: (on: boolean) => void calls.push(on) }),
    });
    deliver({ type: 'set-recording', enabled: false });
    await new Promise((r) => setTimeout(r, 10));
    expect(calls).toEqual([false]);
    expect(posted.at(-1)).toEqual({ type: 'recording', enabled: false, supported: true });
    deliver({ type: 'shutdown' });
  });

  it('flushes the store before the graceful close on a shutdown request', async () => {
    const { channel, deliver, posted } = fakeChannel();
    const order: string[] = [];
    await runHost({
      channel, options: {}, exit: () => {}, log: () => {},
      start: async () => {
        const h = await startHttp();
        return { ...h, flush: async () => void order.push('flush'), close: async () => (order.push('close'), h.close()) };
      },
    });
    deliver({ type: 'shutdown' });
    await new Promise((r) => setTimeout(r, 50));
    expect(order).toEqual(['flush', 'close']);
    expect(posted.at(-1)).toEqual({ type: 'shutdown-complete' });
  });

  it("startHosted: the store worker starts before the daemon's modules load (at the location the entry names), and the store adopts it", async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'cco-entry-'));
    fs.mkdirSync(path.join(root, 'config'));
    fs.writeFileSync(path.join(root, 'config', 'config.toml'), '[server]\nport = 0\nupstream_url = "http://127.0.0.1:9"\n');
    const env = { HOME: root, CCO_DATA_DIR: path.join(root, 'data'), CCO_CONFIG_DIR: path.join(root, 'config'), CCO_CREDENTIALS_BACKEND: 'file', CCO_HISTORY: 'off' };
    const workers: Worker[] = [];
    const onWorker = (w: Worker): void => void workers.push(w);
    process.on('worker', onWorker);
    try {
      let atLoad = -1;
      const handle = await startHosted({}, env, async () => {
        await new Promise((r) => setImmediate(r)); // process 'worker' is emitted on the next tick
        atLoad = workers.length;
        return import('./host.ts');
      }, storeWorkerBeside(new URL('./entry-utility.ts', import.meta.url).href));
      try {
        expect(atLoad).toBe(1); // started before host.ts (and the daemon's modules) load
        await expect.poll(async () => (await fetch(`${handle.url}/ready`)).status, { timeout: 15_000 }).toBe(200);
        expect(workers).toHaveLength(1); // the store, given the same location, runs on it: it started no worker of its own
      } finally {
        await handle.close();
      }
    } finally {
      process.off('worker', onWorker);
      fs.rmSync(root, { recursive: true, force: true });
    }
  }, 30_000);

  it("storeWorkerBeside: a built entry's worker is store-worker.js beside it; from sources, the sources' worker", () => {
    expect(storeWorkerBeside('file:///app/out/daemon/entry-utility.js')).toEqual({ url: new URL('file:///app/out/daemon/store-worker.js'), tsxApi: null });
    expect(storeWorkerBeside('file:///app/out/main/index.js').url.href).toBe('file:///app/out/main/store-worker.js');
    const sources = storeWorkerBeside(new URL('./entry-utility.ts', import.meta.url).href);
    expect(sources.url.href).toBe(new URL('./store/store-worker.ts', import.meta.url).href);
    expect(sources.tsxApi).not.toBeNull();
  });

  it('maps its options to config flags for daemon/host.ts (flags beat config.toml and CCO_*)', () => {
    expect(entryFlags({ port: 0, host: '127.0.0.1', upstreamUrl: 'http://u', dataDir: '/d' })).toEqual({
      'server.port': { value: '0', label: '--port' },
      'server.host': { value: '127.0.0.1', label: '--host' },
      'server.upstream_url': { value: 'http://u', label: '--upstream-url' },
    });
  });
});

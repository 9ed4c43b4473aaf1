/**
 * The real daemon entry (daemon/entry-utility.ts) forked with child_process.fork under tsx, driven by the
 * real supervisor: ready handshake, a live /health, graceful shutdown.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { nodeForkSpawner } from './spawners.ts';
import type { SupervisorSnapshot } from './supervisor.ts';
import { DaemonSupervisor } from './supervisor.ts';
import { startFakeUpstream } from '../test/fake-upstream/server.ts';
import { openCredentialStore } from '../daemon/credentials/store.ts';
import { hostDaemon } from '../daemon/host.ts';
import { hostTarget } from '../daemon/host-target.ts';
import { askPort, defaultProbeDeps, probeDaemon } from './daemon-probe.ts';
import { execFileSync } from 'node:child_process';
import type { StatusResponse } from '../shared/contract.ts';
import { openStore } from '../daemon/store/index.ts';
import { listSegments, segmentPath } from '../daemon/store/segments.ts';
import { makeRecord } from '../daemon/store/test-fixtures.ts';

const entry = fileURLToPath(new URL('../daemon/entry-utility.ts', import.meta.url));

function waitFor(sup: DaemonSupervisor, pred: (s: SupervisorSnapshot) => boolean, ms: number): Promise<SupervisorSnapshot> {
  return new Promise((resolve, reject) => {
    if (pred(sup.snapshot)) return resolve(sup.snapshot);
    const timer = setTimeout(() => (off(), reject(new Error(`timeout; last state ${JSON.stringify(sup.snapshot)}`))), ms);
    const off = sup.onChange((s) => {
      if (pred(s)) {
        clearTimeout(timer);
        off();
        resolve(s);
      }
    });
  });
}

describe('supervisor + real daemon entry', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  });

  it('forks the daemon, reaches ready, serves /health and shuts down gracefully', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cco-sup-'));
    dirs.push(dataDir);
    const lines: string[] = [];
    let pid: number | undefined;
    const spawn = nodeForkSpawner({
      entry,
      execArgv: ['--import', 'tsx'],
      env: { ...process.env, CCO_PORT: '0', CCO_DATA_DIR: dataDir, CCO_UPSTREAM_URL: 'http://127.0.0.1:9', HOME: dataDir },
      onOutput: (_s, line) => lines.push(line),
    });
    const sup = new DaemonSupervisor({
      spawn: () => {
        const child = spawn();
        pid = child.pid;
        return child;
      },
    });
    sup.start();
    const ready = await waitFor(sup, (s) => s.state === 'ready' || s.state === 'backoff' || s.state === 'failed', 15_000);
    expect(ready.state, lines.join('\n')).toBe('ready');
    expect(ready.port).toBeGreaterThan(0);
    expect(ready.token?.length).toBeGreaterThanOrEqual(16);
    expect(ready.pid).toBe(pid);

    const health = (await (await fetch(`http://127.0.0.1:${ready.port}/health`)).json()) as { status: string };
    expect(health.status).toBe('ok');

    await sup.stop();
    expect(sup.snapshot.state).toBe('stopped');
    expect(() => process.kill(pid!, 0)).toThrow(); // the child is gone
    await expect(fetch(`http://127.0.0.1:${ready.port}/health`)).rejects.toThrow();
  });

  it('the utility-process daemon is composed like `cco run`: config.toml, the stored key, the log file, rate limits', async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'cco-sup-host-'));
    dirs.push(home);
    const up = await startFakeUpstream({ seed: 3 });
    try {
      const dataDir = path.join(home, 'data');
      const configDir = path.join(home, 'config');
      fs.mkdirSync(configDir, { recursive: true });
      // Only the config file names the upstream and the rate limit: the old entry ignored both.
      fs.writeFileSync(path.join(configDir, 'config.toml'), `[server]\nport = 0\nupstream_url = "${up.url}"\n[rate_limit]\nrequests_per_minute = 2\n`);
      const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, CCO_DATA_DIR: dataDir, CCO_CONFIG_DIR: configDir, CCO_CREDENTIALS_BACKEND: 'file', CCO_HISTORY: 'off' };
      delete env.ANTHROPIC_API_KEY;
      delete env.CCO_PORT;
      delete env.CCO_UPSTREAM_URL;
      const key = 'sk-ant-api03-' + 'k'.repeat(40);
      openCredentialStore(env).set('anthropic', key);

      const lines: string[] = [];
      const sup = new DaemonSupervisor({ spawn: nodeForkSpawner({ entry, execArgv: ['--import', 'tsx'], env, onOutput: (_s, l) => lines.push(l) }) });
      sup.start();
      const ready = await waitFor(sup, (s) => s.state === 'ready' || s.state === 'backoff' || s.state === 'failed', 15_000);
      expect(ready.state, lines.join('\n')).toBe('ready');

      // A client with no credential: the daemon adds the stored key and forwards to the configured upstream.
      const res = await fetch(`${ready.url}/v1/messages`, {
        method: 'POST',
        headers: { 'anthropic-version': '2023-06-01', 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'claude-sonnet-4-6', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }),
      });
      expect(res.status).toBe(200);
      await res.arrayBuffer();
      expect(up.requests().at(-1)?.rawHeaders.find(([k]) => k.toLowerCase() === 'x-api-key')?.[1]).toBe(key);

      // [rate_limit] requests_per_minute = 2 applies to the API.
      const api = () => fetch(`${ready.url}/api/summary?range=today`, { headers: { authorization: `Bearer ${ready.token}` } }).then((r) => r.status);
      const statuses = [await api(), await api(), await api()];
      expect(statuses).toContain(429);

      await sup.stop();
      // The redacting file log exists and never holds the key.
      const log = fs.readFileSync(path.join(dataDir, 'logs', 'cco.log'), 'utf8');
      expect(log).toContain('daemon started');
      expect(log).not.toContain(key);
    } finally {
      await up.close();
    }
  });

  it('a daemon already serving the data folder (cco run / install-service) is attached to: no second daemon, no crash loop', async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'cco-sup-attach-'));
    dirs.push(home);
    const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, CCO_DATA_DIR: path.join(home, 'data'), CCO_CONFIG_DIR: path.join(home, 'config'), CCO_HISTORY: 'off', CCO_CREDENTIALS_BACKEND: 'file', CCO_UPSTREAM_URL: 'http://127.0.0.1:9' };
    delete env.CCO_PORT;
    // The service: `cco run` on a fixed port of this data folder.
    const svc = await hostDaemon({ env, flags: { 'server.port': { value: '0', label: '--port' } } });
    try {
      // The app's config names the service's port (as both read the same config.toml).
      const appEnv = { ...env, CCO_PORT: String(svc.daemon.port) };
      let spawned = 0;
      const sup = new DaemonSupervisor({
        spawn: () => {
          spawned += 1;
          return nodeForkSpawner({ entry, execArgv: ['--import', 'tsx'], env: appEnv })();
        },
        probe: () => probeDaemon(hostTarget({ env: appEnv }), defaultProbeDeps()),
        isAlive: async (url) => (await askPort('127.0.0.1', Number(new URL(url).port))).kind === 'cco',
        attachCheckMs: 100,
      });
      sup.start();
      const ready = await waitFor(sup, (s) => s.state !== 'starting', 15_000);
      expect(ready).toMatchObject({ state: 'ready', attached: true, url: svc.daemon.url, token: svc.daemon.token });
      expect(spawned).toBe(0);
      await sup.stop();
      // the app let go of it; the service still serves
      expect((await fetch(`${svc.daemon.url}/health`)).status).toBe(200);
    } finally {
      await svc.close();
    }
  });

  it.runIf(process.platform !== 'win32')('is ready while its store still opens (a migration after an upgrade): not restarted, and forwarding', async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'cco-sup-open-'));
    dirs.push(home);
    const dataDir = path.join(home, 'data');
    const up = await startFakeUpstream({ seed: 4 });
    // A store whose open waits on its journal: a segment that is a FIFO, written by the test at the end.
    const store = await openStore({ dataDir, log: () => undefined });
    await store.addBulk([makeRecord()]);
    await store.close();
    for (const s of listSegments(dataDir)) fs.rmSync(segmentPath(dataDir, s));
    const fifo = segmentPath(dataDir, 1000);
    execFileSync('mkfifo', ['-m', '600', fifo]);
    let released = false;
    const release = () => ((released = true), fs.promises.writeFile(fifo, ''));
    const lines: string[] = [];
    const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, CCO_PORT: '0', CCO_DATA_DIR: dataDir, CCO_UPSTREAM_URL: up.url, CCO_HISTORY: 'off', ANTHROPIC_API_KEY: '' };
    const sup = new DaemonSupervisor({ spawn: nodeForkSpawner({ entry, execArgv: ['--import', 'tsx'], env, onOutput: (_s, l) => lines.push(l) }) });
    const states: string[] = [];
    sup.onChange((s) => states.push(s.state));
    try {
      sup.start();
      // the ready handshake comes within the supervisor's 10 s although the store is not open
      const ready = await waitFor(sup, (s) => s.state === 'ready' || s.state === 'backoff' || s.state === 'failed', 20_000);
      expect(ready.state, lines.join('\n')).toBe('ready');
      const status = (await (await fetch(`${ready.url}/api/status`, { headers: { authorization: `Bearer ${ready.token}` } })).json()) as StatusResponse;
      expect(status).toMatchObject({ status: 'warning', problems: [{ code: 'store-opening' }] });
      const res = await fetch(`${ready.url}/v1/messages`, {
        method: 'POST',
        headers: { 'anthropic-version': '2023-06-01', 'content-type': 'application/json', 'x-api-key': 'sk-ant-sup' },
        body: JSON.stringify({ model: 'claude-sonnet-4-6', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }),
      });
      expect(res.status).toBe(200);
      await res.arrayBuffer();
      expect((await fetch(`${ready.url}/ready`)).status).toBe(503);
      await release();
      await waitForOk(`${ready.url}/ready`);
      expect(states.filter((s) => s === 'backoff' || s === 'failed')).toEqual([]);
      await sup.stop();
    } finally {
      if (!released) void release();
      await sup.stop();
      await up.close();
    }
  }, 60_000);
});

async function waitForOk(url: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if ((await fetch(url)).ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} never answered 200`);
}

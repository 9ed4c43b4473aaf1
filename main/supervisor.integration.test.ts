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
});

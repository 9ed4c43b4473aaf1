/**
 * What the benchmark scripts share: a free port, a process's memory and CPU from /proc (Linux), and a built
 * daemon bundle started the way a user starts it (`node <bundle> run`) in a throwaway HOME, timed to /ready.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const TICK_MS = 1000 / 100; // USER_HZ on Linux

/**
 * `npm run build:daemon` in `root`, so a bench measures this checkout: a dist/ bundle left from an older
 * commit measured that commit once (bench:store-scale, the summary figures of the wrong build).
 * BENCH_NO_BUILD=1 keeps an existing bundle.
 */
export function buildDaemonBundle(root: string, bundle: string): void {
  if (process.env.BENCH_NO_BUILD === '1' && fs.existsSync(bundle)) return;
  const built = spawnSync('npm', ['run', 'build:daemon'], { cwd: root, stdio: 'inherit' });
  if (built.status !== 0) throw new Error('npm run build:daemon failed');
}

export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** A /proc/<pid>/status figure in kB; 0 once the process is gone. */
export function statusKb(pid: number, field: 'VmRSS' | 'RssAnon' | 'VmHWM'): number {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** CPU time (user + system, all threads) the process has used so far, in ms. */
export function cpuMs(pid: number): number {
  return statCpuMs(`/proc/${pid}/stat`);
}

function statCpuMs(file: string): number {
  const stat = fs.readFileSync(file, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * TICK_MS; // utime, stime
}

/** CPU time of the process's main thread (the one whose id is the pid), in ms; 0 when it is gone. */
export function mainThreadCpuMs(pid: number): number {
  try {
    return statCpuMs(`/proc/${pid}/task/${pid}/stat`);
  } catch {
    return 0;
  }
}

export interface BundleDaemon {
  child: ChildProcess;
  port: number;
  /** Wall time from spawn to ready: the banner `cco run` prints once its store is open (see `untilReady`). */
  readyMs: number;
  /** The process's CPU time (all threads) when it was ready. */
  cpuAtReadyMs: number;
  /** Its main thread's part of `cpuAtReadyMs` (the rest: the store worker, V8's and libuv's helper threads). */
  mainCpuAtReadyMs: number;
  dataDir: string;
  /** SIGTERM, wait for the exit, remove the throwaway HOME (and the data folder when it was made here). */
  stop(): Promise<void>;
}

/** How often /ready is asked once the banner says the store still opens (a migration) or cannot be opened. */
export const READY_POLL_MS = 100;

/**
 * Waits until a `cco run` child is ready, and notes the time and the process's CPU then. Not by asking /ready
 * every few ms from the spawn: the daemon listens before its store is open (docs/design.md, h14-openlisten), so
 * every ask is a request its main thread answers (503) while it starts — CPU to /ready then counted the bench's
 * own polls (docs/design.md, "Cold start, fifth round"). `cco run` prints its banner on stdout once its store is
 * open (startDaemon waits for it, up to DaemonOptions.storeOpenWaitMs); its arrival is the ready time, and one
 * /ready confirms it. A banner that says the store still opens (a migration longer than that wait) or cannot be
 * opened falls back to asking /ready every READY_POLL_MS.
 */
export async function untilReady(child: ChildProcess, port: number, t0: number, label: string, timeoutMs = 120_000): Promise<{ readyMs: number; cpuAtReadyMs: number; mainCpuAtReadyMs: number }> {
  const stdout = child.stdout;
  if (!stdout) throw new Error(`${label}: untilReady needs the child's stdout piped`);
  let text = '';
  const banner = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => done(new Error(`${label}: no banner after ${timeoutMs / 1000} s`)), Math.max(0, timeoutMs - (performance.now() - t0)));
    const onData = (chunk: Buffer): void => {
      text += chunk.toString('utf8');
      // the banner is one write, ending with the ANTHROPIC_BASE_URL line
      if (/export ANTHROPIC_BASE_URL=\S+\n/.test(text)) done(null, text);
    };
    const onExit = (): void => done(new Error(`${label}: daemon exited before /ready`));
    function done(err: Error | null, out = ''): void {
      clearTimeout(timer);
      stdout!.off('data', onData);
      child.off('exit', onExit);
      stdout!.resume(); // keep draining what it prints later (its shutdown line)
      if (err) reject(err);
      else resolve(out);
    }
    stdout.on('data', onData);
    child.once('exit', onExit);
  });
  let at = { readyMs: performance.now() - t0, cpuAtReadyMs: cpuMs(child.pid!), mainCpuAtReadyMs: mainThreadCpuMs(child.pid!) };
  const ready = (): Promise<boolean> => fetch(`http://127.0.0.1:${port}/ready`).then((r) => r.ok, () => false);
  if (/still opening|NOT POSSIBLE/.test(banner) || !(await ready())) {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`${label}: daemon exited before /ready`);
      if (performance.now() - t0 > timeoutMs) throw new Error(`${label}: no /ready after ${timeoutMs / 1000} s`);
      await sleep(READY_POLL_MS);
      if (await ready()) break;
    }
    at = { readyMs: performance.now() - t0, cpuAtReadyMs: cpuMs(child.pid!), mainCpuAtReadyMs: mainThreadCpuMs(child.pid!) };
  }
  return at;
}

/**
 * Starts `node <bundle> run` on a free port with an empty HOME (no config, no history import, no key, no
 * browser) plus `env` and `args`, and waits up to 120 s for it to be ready (`untilReady`).
 */
export async function startBundleDaemon(bundle: string, opts: { env?: Record<string, string>; dataDir?: string; label?: string; args?: string[] } = {}): Promise<BundleDaemon> {
  const label = opts.label ?? path.basename(bundle);
  const port = await freePort();
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'cco-bench-home-'));
  const dataDir = opts.dataDir ?? path.join(home, 'data');
  const t0 = performance.now();
  const child = spawn(process.execPath, [bundle, 'run', '--port', String(port), '--data-dir', dataDir, '--no-browser', ...(opts.args ?? [])], {
    env: {
      ...process.env,
      HOME: home,
      XDG_CONFIG_HOME: path.join(home, '.config'),
      XDG_DATA_HOME: path.join(home, '.local', 'share'),
      CCO_CONFIG_DIR: path.join(home, 'config'),
      NO_BROWSER: '1',
      ANTHROPIC_API_KEY: '',
      CCO_HISTORY: 'off',
      ...opts.env,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const stop = async (): Promise<void> => {
    const exited = child.exitCode === null ? new Promise((r) => child.once('exit', r)) : Promise.resolve();
    child.kill('SIGTERM');
    await exited;
    fs.rmSync(home, { recursive: true, force: true });
  };
  let at: { readyMs: number; cpuAtReadyMs: number; mainCpuAtReadyMs: number };
  try {
    // A first start after an upgrade migrates first (sql.js 8 → 9 at 1 M rows: 18.7 s at load 5–6).
    at = await untilReady(child, port, t0, label);
  } catch (err) {
    await stop();
    throw err;
  }
  return { child, port, ...at, dataDir, stop };
}

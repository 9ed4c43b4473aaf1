/**
 * The daemon as a real child process for tests (`entry-node.ts`, i.e. `cco run`): start, wait for its URL,
 * read its output, signal it. Every process runs with a private HOME and config folder, never the
 * developer's own.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RequestRecord } from '../shared/contract.ts';
import type { Store } from '../daemon/store/index.ts';

const ENTRY = fileURLToPath(new URL('../daemon/entry-node.ts', import.meta.url));

export interface DaemonProc {
  child: ChildProcess;
  pid: number;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

let home: string | null = null;
const started = new Set<ChildProcess>();

/** SIGKILLs every daemon this module started that is still running (call in afterAll). */
export function killAllDaemons(): void {
  for (const c of started) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  started.clear();
}

/** The exit code, or 'running' if the process has not exited within `ms`. */
export function exitedWithin(p: DaemonProc, ms: number): Promise<number | null | 'running'> {
  return Promise.race([p.exited, new Promise<'running'>((r) => setTimeout(() => r('running'), ms).unref())]);
}

function privateHome(): string {
  home ??= fs.mkdtempSync(path.join(os.tmpdir(), 'cco-home-'));
  return home;
}

/** Starts `cco run ARGS` (add `--port 0 --upstream URL --data-dir DIR`). */
export function runDaemon(args: string[], env: NodeJS.ProcessEnv = {}): DaemonProc {
  const h = privateHome();
  const child = spawn(process.execPath, ['--import', 'tsx', ENTRY, '--no-history', ...args], {
    env: {
      ...process.env,
      ANTHROPIC_API_KEY: '',
      NO_BROWSER: '1',
      HOME: h,
      CCO_CONFIG_DIR: path.join(h, 'config'),
      XDG_CONFIG_HOME: path.join(h, '.config'),
      XDG_DATA_HOME: path.join(h, '.local', 'share'),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  started.add(child);
  child.on('exit', () => started.delete(child));
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, pid: child.pid!, stdout: () => out, stderr: () => err, exited };
}

/** The daemon's base URL once it prints "listening on"; throws if it exits first. */
export async function waitForUrl(p: DaemonProc, timeoutMs = 30_000): Promise<string> {
  const until = performance.now() + timeoutMs;
  while (performance.now() < until) {
    const m = /listening on (http:\/\/\S+)/.exec(p.stdout());
    if (m) return m[1]!;
    if (p.child.exitCode !== null) throw new Error(`daemon exited (${p.child.exitCode}): ${p.stderr()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`daemon did not start: ${p.stdout()} ${p.stderr()}`);
}

/** The dashboard token printed at start. */
export function tokenOf(p: DaemonProc): string {
  const m = /\?token=(\S+)/.exec(p.stdout());
  if (!m) throw new Error('no token in the daemon output');
  return decodeURIComponent(m[1]!);
}

/** Polls `f` every 100 ms until it gives a truthy value (returned), or throws after `ms`. */
export async function until<T>(what: string, f: () => Promise<T | null | false> | T | null | false, ms = 60_000): Promise<T> {
  const end = performance.now() + ms;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (performance.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Every stored record (newest first). */
export async function allRecords(store: Store): Promise<RequestRecord[]> {
  const out: RequestRecord[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.listRequests({ limit: 500, cursor });
    out.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return out;
}

/** Message ids missing from `stored`, and those stored more than once. */
export function compareWithCompleted(completed: readonly string[], stored: readonly RequestRecord[]): { missing: string[]; doubled: string[] } {
  const counts = new Map<string, number>();
  for (const r of stored) if (r.messageId) counts.set(r.messageId, (counts.get(r.messageId) ?? 0) + 1);
  return { missing: completed.filter((id) => !counts.has(id)), doubled: [...counts].filter(([, c]) => c > 1).map(([id]) => id) };
}

/**
 * Runs the fake upstream in a separate child process (a real process: its own event loop, pid and
 * sockets) and talks to it over the /__mock admin routes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { FakeUpstreamOptions, LedgerEntry, RecordedRequest, Scenario } from './types.ts';

export interface SpawnedFakeUpstream {
  url: string;
  port: number;
  pid: number;
  close(): Promise<void>;
  requests(): Promise<RecordedRequest[]>;
  ledger(): Promise<LedgerEntry[]>;
  reset(): Promise<void>;
  script(s: Scenario | Scenario[]): Promise<void>;
  advanceClock(ms: number): Promise<void>;
}

const CLI = fileURLToPath(new URL('./cli.ts', import.meta.url));

function args(opts: FakeUpstreamOptions): string[] {
  const a = ['--import', 'tsx', CLI, '--exit-with-stdin', '--port', String(opts.port ?? 0), '--seed', String(opts.seed ?? 1)];
  if (opts.host) a.push('--host', opts.host);
  if (opts.gzip === false) a.push('--no-gzip');
  if (opts.minCacheTokens !== undefined) a.push('--min-cache-tokens', String(opts.minCacheTokens));
  if (opts.pingIntervalMs !== undefined) a.push('--ping-interval-ms', String(opts.pingIntervalMs));
  return a;
}

function waitExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(t);
      resolve(true);
    });
  });
}

export async function spawnFakeUpstream(opts: FakeUpstreamOptions = {}): Promise<SpawnedFakeUpstream> {
  const child = spawn(process.execPath, args(opts), { stdio: ['pipe', 'pipe', 'pipe'], env: process.env });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const ready = await new Promise<{ port: number; url: string }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`fake upstream did not start in 15 s: ${stderr}`)), 15_000);
    const lines = createInterface({ input: child.stdout! });
    lines.once('line', (line) => {
      clearTimeout(timer);
      try {
        resolve(JSON.parse(line) as { port: number; url: string });
      } catch {
        reject(new Error(`fake upstream printed ${line}; stderr: ${stderr}`));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`fake upstream exited (${code}) before listening: ${stderr}`));
    });
  });
  const admin = async <T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> => {
    const init: RequestInit = { method };
    if (body !== undefined) {
      init.body = JSON.stringify(body);
      init.headers = { 'content-type': 'application/json' };
    }
    const r = await fetch(`${ready.url}/__mock/${path}`, init);
    if (!r.ok) throw new Error(`fake upstream /__mock/${path}: ${r.status} ${await r.text()}`);
    return (await r.json()) as T;
  };
  return {
    url: ready.url,
    port: ready.port,
    pid: child.pid!,
    close: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      if (!(await waitExit(child, 3000))) {
        child.kill('SIGKILL');
        await waitExit(child, 3000);
      }
    },
    requests: () => admin<RecordedRequest[]>('GET', 'requests'),
    ledger: () => admin<LedgerEntry[]>('GET', 'ledger'),
    reset: async () => void (await admin('POST', 'reset')),
    script: async (s) => void (await admin('POST', 'script', s)),
    advanceClock: async (ms) => void (await admin('POST', 'clock', { ms })),
  };
}

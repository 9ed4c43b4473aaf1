/**
 * The daemon as a real process (the way `npm run daemon` runs it): start-up output, busy port, and
 * durability under kill -9 during load.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RequestRecord } from '../shared/contract.ts';
import { startDaemon } from './index.ts';
import { silentLogger } from './log.ts';
import { spawnFakeUpstream } from '../test/fake-upstream/process.ts';

const ENTRY = fileURLToPath(new URL('./entry-node.ts', import.meta.url));
const SIGNAL_PROBE = fileURLToPath(new URL('../test/signal-probe.mjs', import.meta.url));
type Fake = Awaited<ReturnType<typeof spawnFakeUpstream>>;

// Never read the developer's own config (pricing.json) or write to the real home.
process.env.CCO_CONFIG_DIR = fs.mkdtempSync(path.join(os.tmpdir(), 'cco-config-'));
const home = fs.mkdtempSync(path.join(os.tmpdir(), 'cco-home-'));
let fake: Fake;
const dirs: string[] = [];

function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'cco-proc-'));
  dirs.push(d);
  return d;
}

interface Proc {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

function runDaemon(args: string[], env: NodeJS.ProcessEnv = {}): Proc {
  const child = spawn(process.execPath, ['--import', 'tsx', '--import', SIGNAL_PROBE, ENTRY, ...args], {
    env: { ...process.env, ANTHROPIC_API_KEY: '', NO_BROWSER: '1', HOME: home, XDG_CONFIG_HOME: path.join(home, '.config'), XDG_DATA_HOME: path.join(home, '.local', 'share'), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code, signal) => {
      // A null code: a signal ended it (say which) instead of its own handler's clean exit.
      if (signal) err += `\n[test] the daemon was ended by ${signal}, not by its own exit`;
      resolve(code);
    }),
  );
  return { child, stdout: () => out, stderr: () => err, exited };
}

async function waitForUrl(p: Proc): Promise<string> {
  for (let i = 0; i < 300; i++) {
    const m = /listening on (http:\/\/\S+)/.exec(p.stdout());
    if (m) return m[1]!;
    if (p.child.exitCode !== null) throw new Error(`daemon exited: ${p.stderr()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`daemon did not start: ${p.stdout()} ${p.stderr()}`);
}

beforeAll(async () => {
  fake = await spawnFakeUpstream({ seed: 3 });
});

afterAll(async () => {
  await fake?.close();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

describe('daemon process', () => {
  it('prints where it listens, the dashboard URL and the export line; stops cleanly on SIGTERM', async () => {
    const p = runDaemon(['--port', '0', '--upstream', fake.url, '--data-dir', tmp()]);
    const url = await waitForUrl(p);
    expect(p.stdout()).toMatch(/Dashboard: http:\/\/127\.0\.0\.1:\d+\/\?token=\S+/);
    expect(p.stdout()).toContain(`export ANTHROPIC_BASE_URL=${url}`);
    // The stop handlers exist before the line a supervisor waits for: CI twice sent SIGTERM in the gap and the
    // daemon died by the signal's default action (code null), without its final snapshot.
    expect(p.stderr()).toMatch(/\[probe\] SIGTERM handlers at the listening line: [1-9]/);
    p.child.kill('SIGTERM');
    expect(await p.exited, p.stderr()).toBe(0);
  });

  it('exits 1 with one clear line when the port is busy', async () => {
    const first = runDaemon(['--port', '0', '--upstream', fake.url, '--data-dir', tmp()]);
    const url = await waitForUrl(first);
    const port = new URL(url).port;
    const second = runDaemon(['--port', port, '--upstream', fake.url, '--data-dir', tmp()]);
    expect(await second.exited).toBe(1);
    expect(second.stderr().trim().split('\n')).toEqual([`cco: Port ${port} on 127.0.0.1 is already in use (another CCO daemon or another program). Stop it, or choose another port with --port or CCO_PORT.`]);
    first.child.kill('SIGTERM');
    await first.exited;
  });

  it('rejects a bad flag with a plain message and exit code 2', async () => {
    const p = runDaemon(['--port', 'eighty']);
    expect(await p.exited).toBe(2);
    expect(p.stderr()).toMatch(/--port.*"eighty"/);
  });

  it('loses no completed response when killed with SIGKILL during load', async () => {
    const dataDir = tmp();
    const p = runDaemon(['--port', '0', '--upstream', fake.url, '--data-dir', dataDir]);
    const url = await waitForUrl(p);
    const anthropic = new Anthropic({ apiKey: 'sk-ant-durability', baseURL: url, maxRetries: 0 });
    const completed: string[] = [];
    let stop = false;
    const worker = async (n: number) => {
      for (let i = 0; !stop; i++) {
        try {
          const stream = anthropic.messages.stream({ model: 'claude-haiku-4-5', max_tokens: 64, messages: [{ role: 'user', content: `load ${n}.${i}` }] });
          const msg = await stream.finalMessage();
          completed.push(msg.id);
        } catch {
          return; // the daemon is gone
        }
      }
    };
    const workers = Array.from({ length: 8 }, (_, n) => worker(n));
    while (completed.length < 150) await new Promise((r) => setTimeout(r, 10));
    p.child.kill('SIGKILL');
    stop = true;
    await Promise.all(workers);
    await p.exited;
    expect(completed.length).toBeGreaterThanOrEqual(150);

    const restarted = await startDaemon({ port: 0, upstreamUrl: fake.url, dataDir, log: silentLogger });
    try {
      const stored: RequestRecord[] = [];
      let cursor: string | undefined;
      do {
        const page = await restarted.store.listRequests({ limit: 500, cursor });
        stored.push(...page.items);
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      const counts = new Map<string, number>();
      for (const r of stored) if (r.messageId) counts.set(r.messageId, (counts.get(r.messageId) ?? 0) + 1);
      const missing = completed.filter((id) => !counts.has(id));
      const duplicated = [...counts].filter(([, c]) => c > 1);
      expect(missing).toEqual([]);
      expect(duplicated).toEqual([]);
    } finally {
      await restarted.close();
    }
  }, 60_000);
});

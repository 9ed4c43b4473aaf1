/**
 * The data folder's lock (data-lock.ts): in one process, across racing processes, a stale lock taken over,
 * and with real daemons: a second daemon on the same folder refuses and the first loses nothing after
 * kill -9; CLI commands that write the store take the same lock.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acquireDataLock, DataLockHeldError, LOCK_FILE, readDataLock, type LockHolder } from './data-lock.ts';
import { startDaemon } from './index.ts';
import { silentLogger } from './log.ts';
import { main as runCli } from './cli/main.ts';
import { spawnFakeUpstream } from '../test/fake-upstream/process.ts';
import { allRecords, compareWithCompleted, exitedWithin, killAllDaemons, runDaemon, waitForUrl } from '../test/daemon-process.ts';

const CHILD = fileURLToPath(new URL('./test-lock-child.ts', import.meta.url));
type Fake = Awaited<ReturnType<typeof spawnFakeUpstream>>;
let fake: Fake;
const dirs: string[] = [];

function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'cco-lock-'));
  dirs.push(d);
  return d;
}

/** The pid of a process that has exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', '0']);
  return r.pid!;
}

function writeLock(dir: string, h: Partial<LockHolder>): void {
  const holder: LockHolder = { pid: deadPid(), port: 4321, startedAt: '2026-01-01T00:00:00.000Z', hostname: os.hostname(), role: 'daemon', procStart: null, ...h };
  fs.writeFileSync(path.join(dir, LOCK_FILE), JSON.stringify(holder), { mode: 0o600 });
}

beforeAll(async () => {
  fake = await spawnFakeUpstream({ seed: 13 });
});

afterAll(async () => {
  killAllDaemons();
  await fake?.close();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

describe('acquireDataLock', () => {
  it('holds pid, port and start time in a 0600 file, refuses a second taker, and releases', () => {
    const dir = tmp();
    const lock = acquireDataLock(dir, 'daemon');
    const file = path.join(dir, LOCK_FILE);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    lock.setPort(4567);
    const seen = readDataLock(dir);
    expect(seen).toMatchObject({ alive: true, holder: { pid: process.pid, port: 4567, role: 'daemon', hostname: os.hostname() } });
    expect(() => acquireDataLock(dir, 'cco import')).toThrow(DataLockHeldError);
    expect(() => acquireDataLock(dir, 'cco import')).toThrow(/in use by the CCO daemon \(pid \d+, port 4567, since /);
    lock.release();
    expect(fs.existsSync(file)).toBe(false);
    const again = acquireDataLock(dir, 'cco import');
    again.release();
    expect(fs.readdirSync(dir)).toEqual([]); // no temp or break files left
  });

  it('takes over a stale lock from a dead pid, and one naming this pid that this process does not hold', () => {
    const dir = tmp();
    writeLock(dir, {});
    expect(readDataLock(dir)?.alive).toBe(false);
    const lock = acquireDataLock(dir, 'daemon');
    expect(readDataLock(dir)?.holder.pid).toBe(process.pid);
    lock.release();
    writeLock(dir, { pid: process.pid }); // left by an earlier process that had this pid (a container restart)
    acquireDataLock(dir, 'daemon').release();
  });

  it('never breaks a lock from another host', () => {
    const dir = tmp();
    writeLock(dir, { hostname: 'some-other-host' });
    expect(() => acquireDataLock(dir, 'daemon')).toThrow(/on host some-other-host/);
  });

  it('lets exactly one of several processes racing for a stale lock win', async () => {
    for (let round = 0; round < 3; round++) {
      const dir = tmp();
      writeLock(dir, {});
      const children = Array.from({ length: 4 }, () => {
        const c = spawn(process.execPath, ['--import', 'tsx', CHILD, dir], { stdio: ['ignore', 'pipe', 'inherit'] });
        let out = '';
        c.stdout.on('data', (d) => (out += d));
        return new Promise<string>((resolve) => c.on('exit', () => resolve(out.trim())));
      });
      await new Promise((r) => setTimeout(r, 2500)); // all four are loaded and polling
      fs.writeFileSync(path.join(dir, 'go'), '');
      const results = await Promise.all(children);
      expect(results.filter((r) => r === 'won')).toHaveLength(1);
      expect(results.filter((r) => r.startsWith('held '))).toHaveLength(3);
    }
  }, 60_000);
});

describe('one daemon per data folder', () => {
  it('a second daemon refuses with one line naming the first; the first loses nothing after kill -9', async () => {
    const dataDir = tmp();
    const first = runDaemon(['--port', '0', '--upstream', fake.url, '--data-dir', dataDir]);
    const url = await waitForUrl(first);
    const port = Number(new URL(url).port);
    const anthropic = new Anthropic({ apiKey: 'sk-ant-lock', baseURL: url, maxRetries: 0 });
    const completed: string[] = [];
    const send = async (n: number) => {
      for (let i = 0; i < n; i++) completed.push((await anthropic.messages.create({ model: 'claude-haiku-4-5', max_tokens: 16, messages: [{ role: 'user', content: `r${completed.length}` }] })).id);
    };
    await send(20);

    const second = runDaemon(['--port', '0', '--upstream', fake.url, '--data-dir', dataDir]);
    expect(await exitedWithin(second, 20_000)).toBe(1);
    const lines = second.stderr().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^cco: CCO cannot start: the data folder .* is in use by the CCO daemon \\(pid ${first.pid}, port ${port}, since \\S+\\)\\. Stop it first \\(cco shutdown --port ${port}\\), or use another data folder\\.$`));

    await send(20);
    first.child.kill('SIGKILL');
    await first.exited;
    expect(readDataLock(dataDir)?.alive).toBe(false); // left behind by kill -9: stale

    const restarted = await startDaemon({ port: 0, upstreamUrl: fake.url, dataDir, log: silentLogger, pidDir: false });
    try {
      expect(readDataLock(dataDir)?.holder).toMatchObject({ pid: process.pid, port: restarted.port });
      const { missing, doubled } = compareWithCompleted(completed, await allRecords(restarted.store));
      expect(completed).toHaveLength(40);
      expect(missing).toEqual([]);
      expect(doubled).toEqual([]);
    } finally {
      await restarted.close();
    }
    expect(fs.existsSync(path.join(dataDir, LOCK_FILE))).toBe(false);
  }, 90_000);

  it('cco import, cco reconcile and cco reprice take the same lock when no daemon answers', async () => {
    const dataDir = tmp();
    const running = await startDaemon({ port: 0, upstreamUrl: fake.url, dataDir, log: silentLogger, pidDir: false });
    try {
      for (const argv of [['import', '--path', tmp()], ['reconcile'], ['reprice']]) {
        let err = '';
        const code = await runCli(argv, {
          out: () => undefined,
          err: (s: string) => void (err += s),
          env: { ...process.env, CCO_DATA_DIR: dataDir, CCO_CONFIG_DIR: tmp(), HOME: tmp() },
        });
        expect(code, argv.join(' ')).not.toBe(0);
        expect(err).toContain(`cco ${argv[0]}: the data folder ${dataDir} is in use by the CCO daemon (pid ${process.pid}, port ${running.port}`);
        expect(err).toContain(`Ask it instead: cco ${argv[0]} --port ${running.port}`);
      }
    } finally {
      await running.close();
    }
  }, 60_000);
});

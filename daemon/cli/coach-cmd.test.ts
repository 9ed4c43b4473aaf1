/**
 * `cco coach` as a real process (bin/cco.js): with no daemon it reads the store itself, holding the data
 * folder's lock; while another command holds that lock it refuses with one line; with a daemon running it asks
 * the daemon (which holds the lock) and gives the same answer.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CacheCoachReport, RequestRecord, TokenCounts } from '../../shared/contract.ts';
import { acquireDataLock, readDataLock } from '../data-lock.ts';
import { startDaemon, type RunningDaemon } from '../index.ts';
import { silentLogger } from '../log.ts';
import { createPricer } from '../pricing/index.ts';
import { openStore } from '../store/index.ts';
import { makeRecord } from '../store/test-fixtures.ts';

const BIN = fileURLToPath(new URL('../../bin/cco.js', import.meta.url));
const MODEL = 'claude-sonnet-4-6';
const pricer = createPricer(null);

let home: string;
let dataDir: string;
let env: NodeJS.ProcessEnv;
const daemons: RunningDaemon[] = [];

function run(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code) => resolve({ code, out, err }));
  });
}

/** A priced Claude Code turn (the pricer's cost and savings, as the proxy records them). */
function turn(session: string, at: number, t: Partial<TokenCounts>): RequestRecord {
  const tokens: TokenCounts = { input: 10, cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: 0, output: 50, ...t };
  const usage = {
    input_tokens: tokens.input, cache_read_input_tokens: tokens.cacheRead, output_tokens: tokens.output,
    cache_creation_input_tokens: tokens.cacheWrite5m + tokens.cacheWrite1h,
    cache_creation: { ephemeral_5m_input_tokens: tokens.cacheWrite5m, ephemeral_1h_input_tokens: tokens.cacheWrite1h },
  };
  const c = pricer.cost(usage, MODEL, at);
  if (!c.priced) throw new Error('unpriced test model');
  return makeRecord({ startedAt: at, endedAt: at + 2000, model: MODEL, modelRequested: MODEL, sessionId: session, tokens, costNanoUsd: c.nanoUsd, cacheSavingsNanoUsd: c.cacheSavingsNanoUsd, priceVersion: c.priceVersion });
}

const records: RequestRecord[] = [];
const withoutTo = (r: CacheCoachReport) => ({ ...r, to: '' });

beforeAll(async () => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'cco-coach-home-'));
  env = { PATH: process.env.PATH, HOME: home, XDG_CONFIG_HOME: path.join(home, '.config'), XDG_DATA_HOME: path.join(home, '.local', 'share'), NO_BROWSER: '1', TZ: 'UTC' };
  dataDir = path.join(home, '.local', 'share', 'cco');
  // Two days ago: a steady session (one write, then reads) and a buster (a write on every turn, never a read).
  const t0 = Date.now() - 2 * 86_400_000;
  records.push(turn('steady', t0, { cacheWrite5m: 20_000 }), turn('steady', t0 + 60_000, { cacheRead: 20_000 }), turn('steady', t0 + 120_000, { cacheRead: 20_000 }));
  for (const i of [0, 1, 2]) records.push(turn('buster', t0 + 600_000 + i * 60_000, { cacheWrite5m: 15_000 + i }));
  const store = await openStore({ dataDir, log: () => undefined });
  await store.addBulk(records);
  await store.close();
});
afterAll(async () => {
  for (const d of daemons) await d.close();
  fs.rmSync(home, { recursive: true, force: true });
});

describe('cco coach', () => {
  let offline: CacheCoachReport;

  it('with no daemon running reads the store itself (holding the data lock) and finds the reads, the savings and the buster', async () => {
    const r = await run(['coach', '--json', '--range', 'all', '--tz', 'UTC']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    offline = JSON.parse(r.out) as CacheCoachReport;
    expect(offline.totals.requests).toBe(records.length);
    expect(offline.totals.savedNanoUsd).toBe(records.reduce((a, x) => a + x.cacheSavingsNanoUsd, 0));
    expect(offline.totals.savedNanoUsd).toBeGreaterThan(0);
    expect(offline.busters.map((b) => [b.sessionId, b.turns])).toEqual([['buster', 3]]);
    expect(readDataLock(dataDir)).toBeNull(); // released when done
    const text = await run(['coach', '--range', 'all', '--tz', 'UTC']);
    expect(text.code).toBe(0);
    expect(text.out).toMatch(/hit ratio \d+\.\d%/);
  }, 60_000);

  it('refuses with one line while another command holds the data folder, and asks for a daemon on a --port with none', async () => {
    const lock = acquireDataLock(dataDir, 'cco import');
    try {
      const r = await run(['coach', '--json', '--range', 'all', '--tz', 'UTC']);
      expect(r.code).toBe(1);
      expect(r.out).toBe('');
      expect(r.err).toMatch(/^cco: cco coach: the data folder .* is in use by `cco import` \(pid \d+, since .*\)\. Try again when it has finished\.\n$/);
    } finally {
      lock.release();
    }
    const port = await run(['coach', '--port', '9', '--range', 'all']);
    expect([port.code, port.err]).toEqual([1, 'cco: no CCO daemon is running on port 9\n']);
  }, 60_000);

  it('with a daemon running asks the daemon (which holds the store) and gives the same answer', async () => {
    const d = await startDaemon({ port: 0, upstreamUrl: 'http://127.0.0.1:9', dataDir, configDir: path.join(home, '.config', 'cco'), log: silentLogger, pidDir: path.join(dataDir, 'pids'), rateLimit: false });
    daemons.push(d);
    expect(readDataLock(dataDir)?.holder.role).toBe('daemon');
    const r = await run(['coach', '--json', '--range', 'all', '--tz', 'UTC']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const viaDaemon = JSON.parse(r.out) as CacheCoachReport;
    const api = (await (await fetch(`${d.url}/api/cache-coach?range=all&tz=UTC`, { headers: { authorization: `Bearer ${d.token}` } })).json()) as CacheCoachReport;
    expect(withoutTo(viaDaemon)).toEqual(withoutTo(api));
    expect(withoutTo(viaDaemon)).toEqual(withoutTo(offline));
  }, 60_000);
});

/**
 * `cco statusline` against a real daemon: the session figure is that session's exact spend from the
 * daemon's per-session rollups (GET /api/summary?session=), however many requests the session made.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatUsd, pidDir } from './common.ts';
import { writePidFile } from '../pidfile.ts';
import { fetchBudgetMs, limitFromInput, statuslineCommand } from './statusline.ts';
import { parseRateLimitHeaders } from '../limits/parse.ts';
import { startDaemon, type RunningDaemon } from '../index.ts';
import { silentLogger } from '../log.ts';
import { makeRecord } from '../store/test-fixtures.ts';
import { blocksOf } from '../api/blocks-routes.ts';

const home = fs.mkdtempSync(path.join(os.tmpdir(), 'cco-statusline-'));
const env: NodeJS.ProcessEnv = { HOME: home, XDG_DATA_HOME: path.join(home, 'data'), XDG_CONFIG_HOME: path.join(home, 'config'), TZ: 'UTC', CCO_STATUSLINE_BUDGET_MS: '10000' };
let daemon: RunningDaemon;

async function statusline(session: string, input?: Record<string, unknown>): Promise<string> {
  const stdin = new PassThrough();
  let out = '';
  const done = statuslineCommand([], { out: (t) => void (out += t), err: () => {}, env }, stdin as unknown as NodeJS.ReadStream);
  stdin.end(JSON.stringify(input ?? { session_id: session }));
  await done;
  return out;
}

beforeAll(async () => {
  daemon = await startDaemon({
    port: 0,
    upstreamUrl: 'http://127.0.0.1:9', // never called: records are added to the store directly
    dataDir: path.join(home, 'daemon-data'),
    configDir: path.join(home, 'config'),
    pidDir: pidDir(env),
    log: silentLogger,
    apiKey: '',
  });
  const now = Date.now();
  // 600 requests in one session: more than one /api/requests page (500), the old way of summing.
  for (let i = 0; i < 600; i++) daemon.store.add(makeRecord({ sessionId: 'big', startedAt: now - i * 10, costNanoUsd: 12_345_678 }));
  daemon.store.add(makeRecord({ sessionId: 'big', startedAt: now - 1000, costNanoUsd: null })); // unpriced: adds nothing
  daemon.store.add(makeRecord({ sessionId: 'other', startedAt: now, costNanoUsd: 3_000_000_000 }));
  await daemon.store.flush();
});

afterAll(async () => {
  await daemon?.close();
  fs.rmSync(home, { recursive: true, force: true });
});

/** The block part as the line shows it, from the same store. */
async function activeBlock(): Promise<string> {
  const b = (await blocksOf(daemon.store, Date.now() - 86_400_000, Date.now() + 1)).active!;
  const m = Math.round((b.end - Date.now()) / 60_000);
  return `block ${formatUsd(b.costNanoUsd)}, ${m >= 60 ? `${Math.floor(m / 60)}h ${m % 60}m` : `${m}m`} left`;
}

describe('cco statusline', () => {
  it('waits 80 ms for the daemon unless CCO_STATUSLINE_BUDGET_MS says otherwise', () => {
    expect(fetchBudgetMs({})).toBe(80);
    expect(fetchBudgetMs({ CCO_STATUSLINE_BUDGET_MS: '500' })).toBe(500);
    expect(fetchBudgetMs({ CCO_STATUSLINE_BUDGET_MS: 'soon' })).toBe(80);
  });

  it("shows this session's exact spend beside today's", async () => {
    const session = formatUsd(600 * 12_345_678); // $7.41
    const today = formatUsd(600 * 12_345_678 + 3_000_000_000);
    // The unpriced note is this session's, not today's; the active 5-hour block follows.
    const block = await activeBlock();
    expect(await statusline('big')).toBe(`CCO ${today} today · ${session} session (1 unpriced) · ${block}\n`);
    expect(await statusline('other')).toBe(`CCO ${today} today · $3.00 session · ${block}\n`);
    expect(await statusline('never-seen')).toBe(`CCO ${today} today · $0.00 session · ${block}\n`);
  });

  // Claude Code's status-line JSON as it sends it (v2.x), without and with `rate_limits`.
  const sample = (session: string, extra: Record<string, unknown> = {}) => ({
    hook_event_name: 'Status',
    session_id: session,
    transcript_path: `/home/me/.claude/projects/-home-me-repo/${session}.jsonl`,
    cwd: '/home/me/repo',
    model: { id: 'claude-sonnet-4-5-20250929', display_name: 'Sonnet 4.5' },
    workspace: { current_dir: '/home/me/repo', project_dir: '/home/me/repo' },
    version: '2.1.197',
    output_style: { name: 'default' },
    cost: { total_cost_usd: 0.0123, total_duration_ms: 45000, total_api_duration_ms: 2300, total_lines_added: 156, total_lines_removed: 23 },
    exceeds_200k_tokens: false,
    ...extra,
  });

  it('adds the binding limit: from Claude Code rate_limits when present, else from the daemon', async () => {
    const today = formatUsd(600 * 12_345_678 + 3_000_000_000);
    const reset = Math.floor(Date.now() / 1000) + 3600;
    const hm = (s: number) => new Date(s * 1000).toISOString().slice(11, 16); // TZ=UTC
    // no rate_limits, daemon has seen none: the active block instead; the model last
    expect(await statusline('s-a', sample('s-a'))).toBe(`CCO ${today} today · $0.00 session · ${await activeBlock()} · Sonnet 4.5\n`);
    // rate_limits on stdin: the fuller window
    const withLimits = sample('s-b', { rate_limits: { five_hour: { used_percentage: 63.4, resets_at: reset }, seven_day: { used_percentage: 20, resets_at: new Date((reset + 86400) * 1000).toISOString() } } });
    expect(await statusline('s-b', withLimits)).toBe(`CCO ${today} today · $0.00 session · 5h 63% (resets ${hm(reset)}) · Sonnet 4.5\n`);
    // the daemon's binding window when stdin has none
    daemon.limits.observe('cred', parseRateLimitHeaders([
      'anthropic-ratelimit-unified-5h-utilization', '0.2', 'anthropic-ratelimit-unified-5h-reset', String(reset),
      'anthropic-ratelimit-unified-7d_sonnet-utilization', '0.71', 'anthropic-ratelimit-unified-7d_sonnet-reset', String(reset + 86400),
    ]), null);
    expect(await statusline('s-c', sample('s-c'))).toBe(`CCO ${today} today · $0.00 session · 7d Sonnet 71% (resets ${hm(reset + 86400)}) · Sonnet 4.5\n`);
  });

  it('--data-dir (or CCO_DATA_DIR) finds the daemon whatever HOME says', async () => {
    const elsewhere = { HOME: '/nonexistent', XDG_DATA_HOME: '/nonexistent/data', XDG_CONFIG_HOME: '/nonexistent/config', TZ: 'UTC', CCO_STATUSLINE_BUDGET_MS: '10000' };
    const run = async (argv: string[], e: NodeJS.ProcessEnv) => {
      const stdin = new PassThrough();
      let out = '';
      const done = statuslineCommand(argv, { out: (t) => void (out += t), err: () => {}, env: e }, stdin as unknown as NodeJS.ReadStream);
      stdin.end(JSON.stringify({ session_id: 'other' }));
      await done;
      return out;
    };
    // The PID file lives in the data folder the env above points at; without it, another HOME finds nothing.
    const dir = path.join(home, 'data', 'cco');
    expect(await run([], elsewhere)).toBe('CCO: not running\n');
    expect(await run(['--data-dir', dir], elsewhere)).toMatch(/^CCO \$[\d.,]+ today · \$3\.00 session/);
    expect(await run([`--data-dir=${dir}`], elsewhere)).toMatch(/· \$3\.00 session/);
    expect(await run([], { ...elsewhere, CCO_DATA_DIR: dir })).toMatch(/· \$3\.00 session/);
  });

  it('serves a line up to 60 s old at once and refreshes it in the background (one refresher at a time)', async () => {
    const fresh = await statusline('swr');
    const cacheFile = fs.readdirSync(path.join(home, 'daemon-data', 'cache')).find((f) => f.endsWith('.json'))!;
    const file = path.join(home, 'daemon-data', 'cache', cacheFile);
    const age = (ms: number, text: string) => {
      const c = JSON.parse(fs.readFileSync(file, 'utf8'));
      c.sessions.swr = { at: Date.now() - ms, text };
      fs.writeFileSync(file, JSON.stringify(c));
    };
    const refreshed: unknown[] = [];
    const run = async (argv: string[] = [], e: NodeJS.ProcessEnv = env) => {
      const stdin = new PassThrough();
      let out = '';
      const done = statuslineCommand(argv, { out: (t) => void (out += t), err: () => {}, env: e }, stdin as unknown as NodeJS.ReadStream, (input) => void refreshed.push(input));
      stdin.end(JSON.stringify({ session_id: 'swr', model: { display_name: 'Opus' } }));
      await done;
      return out;
    };
    age(20_000, 'CCO OLD');
    expect(await run()).toBe('CCO OLD · Opus\n');
    expect(refreshed).toEqual([{ session_id: 'swr', model: { display_name: 'Opus' } }]);
    expect(await run()).toBe('CCO OLD · Opus\n'); // a refresher is running: no second one
    expect(refreshed).toHaveLength(1);
    // What the refresher does (`--refresh`, input from the environment): prints nothing, updates the cache.
    expect(await run(['--refresh'], { ...env, CCO_STATUSLINE_INPUT: JSON.stringify({ session_id: 'swr' }) })).toBe('');
    expect(await run()).toBe(fresh.replace('\n', ' · Opus\n'));
    expect(fs.existsSync(`${file}.refresh`)).toBe(false);
    // Older than a minute: fetched in the foreground again.
    age(90_000, 'CCO ANCIENT');
    expect(await run()).toBe(fresh.replace('\n', ' · Opus\n'));
    expect(refreshed).toHaveLength(1);
  });

  it('reads rate_limits leniently: missing or odd fields are skipped', () => {
    expect(limitFromInput({})).toBeNull();
    expect(limitFromInput({ rate_limits: {} })).toBeNull();
    expect(limitFromInput({ rate_limits: { five_hour: { used_percentage: 'x' } } } as never)).toBeNull();
    expect(limitFromInput({ rate_limits: { seven_day: { used_percentage: '40' } } })).toEqual({ label: '7d', used: 0.4, resetsAt: null });
    expect(limitFromInput({ rate_limits: { five_hour: { used_percentage: 10, resets_at: 1_796_000_000_000 } } })!.resetsAt).toBe(1_796_000_000_000);
    expect(limitFromInput({ rate_limits: null } as never)).toBeNull();
  });
});

describe('cco statusline against a busy daemon', () => {
  it('honours Retry-After: after a 429 no call reaches the daemon until the wait is over', async () => {
    const busyHome = fs.mkdtempSync(path.join(os.tmpdir(), 'cco-statusline-busy-'));
    const busyEnv: NodeJS.ProcessEnv = { HOME: busyHome, XDG_DATA_HOME: path.join(busyHome, 'data'), XDG_CONFIG_HOME: path.join(busyHome, 'config'), TZ: 'UTC', CCO_STATUSLINE_BUDGET_MS: '10000' };
    let hits = 0;
    const server = http.createServer((_req, res) => {
      hits++;
      res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '30' });
      res.end('{"error":{"type":"rate_limit_error","message":"slow down"}}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as AddressInfo).port;
    const dataDir = path.join(busyHome, 'daemon');
    fs.mkdirSync(dataDir, { recursive: true });
    fs.writeFileSync(path.join(dataDir, 'token'), 'tok\n');
    writePidFile(pidDir(busyEnv), { pid: process.pid, port, started_at: new Date().toISOString(), version: 'test', url: `http://127.0.0.1:${port}`, data_dir: dataDir });
    const run = async (session: string) => {
      const stdin = new PassThrough();
      let out = '';
      const done = statuslineCommand([], { out: (t) => void (out += t), err: () => {}, env: busyEnv }, stdin as unknown as NodeJS.ReadStream);
      stdin.end(JSON.stringify({ session_id: session }));
      await done;
      return out;
    };
    try {
      expect(await run('s1')).toBe('CCO: …\n');
      const first = hits;
      expect(first).toBeGreaterThan(0);
      expect(await run('s1')).toBe('CCO: …\n');
      expect(await run('s2')).toBe('CCO: …\n'); // the wait is the daemon's, for every session
      expect(hits).toBe(first);
    } finally {
      server.close();
      fs.rmSync(busyHome, { recursive: true, force: true });
    }
  });
});

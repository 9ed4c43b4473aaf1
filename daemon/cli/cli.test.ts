/**
 * Every `cco` command against a REAL daemon: `cco run` as its own process (bin/cco.js, the package's bin),
 * the fake Anthropic upstream, and a temporary HOME (HOME, XDG_*, APPDATA pointed at temp dirs).
 * Most commands run in-process through main() with that environment; a few through the bin to prove it.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from './main.ts';
import { NEUTRAL } from './statusline.ts';
import { runTui, stripAnsi } from './tui.ts';
import { startFakeUpstream, type FakeUpstream } from '../../test/fake-upstream/server.ts';

const BIN = fileURLToPath(new URL('../../bin/cco.js', import.meta.url));
const KEY = 'sk-ant-api03-CLI-test-key-ABCDEFGHIJKLMNOP0123456789';

let home: string;
let env: NodeJS.ProcessEnv;
let fake: FakeUpstream;
let daemon: { child: ChildProcess; out: () => string; err: () => string; exited: Promise<number | null> };
let url: string;
let port: number;

function tmpHome(): { home: string; env: NodeJS.ProcessEnv } {
  const h = fs.mkdtempSync(path.join(os.tmpdir(), 'cco-cli-home-'));
  return {
    home: h,
    env: {
      PATH: process.env.PATH,
      HOME: h,
      USERPROFILE: h,
      XDG_CONFIG_HOME: path.join(h, '.config'),
      XDG_DATA_HOME: path.join(h, '.local', 'share'),
      APPDATA: path.join(h, 'AppData', 'Roaming'),
      LOCALAPPDATA: path.join(h, 'AppData', 'Local'),
      CCO_CREDENTIALS_BACKEND: 'file',
      NO_BROWSER: '1',
      ANTHROPIC_API_KEY: '',
      TZ: 'UTC',
      // The statusline's 80 ms answer budget is a speed target (npm run bench:statusline), not a test condition.
      CCO_STATUSLINE_BUDGET_MS: '10000',
    },
  };
}

async function cco(args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(args, { out: (t) => void (out += t), err: (t) => void (err += t), env: { ...env, ...extraEnv } });
  return { code, out, err };
}

function ccoBin(args: string[], input?: string, extraEnv: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(process.execPath, [BIN, ...args], { env: { ...env, ...extraEnv }, input, encoding: 'utf8', timeout: 15_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function startRun(args: string[], e: NodeJS.ProcessEnv = env) {
  const child = spawn(process.execPath, [BIN, 'run', ...args], { env: e, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  return { child, out: () => out, err: () => err, exited };
}

async function waitFor<T>(fn: () => T | undefined | null | false, what: string, ms = 15_000): Promise<T> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    const v = fn();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function message(session: string, headers: Record<string, string> = {}, base = url) {
  const res = await fetch(`${base}/v1/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', 'x-claude-code-session-id': session, ...headers },
    body: JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 64, messages: [{ role: 'user', content: 'hello' }] }),
  });
  await res.arrayBuffer();
  return res.status;
}

beforeAll(async () => {
  ({ home, env } = tmpHome());
  fake = await startFakeUpstream({ seed: 11 });
  // The key goes in through stdin (the bin), encrypted at rest; the daemon then uses it for keyless clients.
  const stored = ccoBin(['credentials', 'store', 'anthropic'], KEY + '\n');
  expect(stored.code, stored.err).toBe(0);
  daemon = startRun(['--port', '0', '--upstream', fake.url, '--log-level', 'debug']);
  url = await waitFor(() => /listening on (http:\/\/\S+)/.exec(daemon.out())?.[1], `daemon start: ${daemon.err()}`);
  port = Number(new URL(url).port);
});

afterAll(async () => {
  if (daemon && daemon.child.exitCode === null) {
    daemon.child.kill('SIGKILL');
    await daemon.exited;
  }
  await fake?.close();
  fs.rmSync(home, { recursive: true, force: true });
});

describe('cco against a running daemon', () => {
  it('version, help and unknown commands', async () => {
    expect((await cco(['version'])).out).toMatch(/^cco \d{4}\.\d+\.\d+/);
    const help = ccoBin(['--help']);
    expect(help.code).toBe(0);
    expect(help.out).toContain('statusline');
    const bad = await cco(['frobnicate']);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('unknown command "frobnicate"');
  });

  it('status lists the daemon from its PID file and health answers', async () => {
    const pidFile = path.join(env.XDG_DATA_HOME!, 'cco', 'pids', `cco-${port}.pid`);
    const rec = JSON.parse(fs.readFileSync(pidFile, 'utf8'));
    expect(rec).toMatchObject({ pid: daemon.child.pid, port, url, version: expect.any(String), started_at: expect.any(String) });
    const st = ccoBin(['status']);
    expect(st.code).toBe(0);
    expect(st.out).toContain(`Port ${port}: Running (PID ${daemon.child.pid})`);
    expect(st.out).toMatch(/Uptime: \d+/);
    const json = JSON.parse((await cco(['status', '--json'])).out);
    expect(json.running[0]).toMatchObject({ port, pid: daemon.child.pid, responding: true });
    const h = await cco(['health', '--port', String(port)]);
    expect(JSON.parse(h.out)).toMatchObject({ status: 'ok' });
    expect((await cco(['health', '--port', '1'])).err).toContain('no CCO daemon is running on port 1');
  });

  it('removes stale PID files', async () => {
    const dir = path.join(env.XDG_DATA_HOME!, 'cco', 'pids');
    const stale = path.join(dir, 'cco-1.pid');
    fs.writeFileSync(stale, JSON.stringify({ pid: 2 ** 22 + 12345, port: 1, url: 'http://127.0.0.1:1', started_at: '', version: 'x' }));
    const st = await cco(['status']);
    expect(st.out).toContain(`Removed stale PID file ${stale}`);
    expect(fs.existsSync(stale)).toBe(false);
  });

  it('credentials: the daemon adds the stored key for a keyless client; list never prints it', async () => {
    fake.reset();
    expect(await message('sess-cred')).toBe(200);
    const seen = fake.requests().at(-1)!;
    const headers = Object.fromEntries(seen.rawHeaders.map(([k, v]) => [k.toLowerCase(), v]));
    expect(headers['x-api-key']).toBe(KEY);
    const list = await cco(['credentials', 'list']);
    expect(list.out).toMatch(/^anthropic\s+sk-ant-api03…\s+fingerprint [0-9a-f]{8}\s+encrypted file vault/);
    expect(list.out).not.toContain('CLI-test-key');
    const stdinList = ccoBin(['credentials', 'list']);
    expect(stdinList.out).not.toContain('CLI-test-key');
  });

  it('statusline: today and this session; a neutral line when down or without a daemon', async () => {
    for (let i = 0; i < 3; i++) expect(await message('sess-status')).toBe(200);
    await message('other-session');
    await new Promise((r) => setTimeout(r, 300)); // the store records asynchronously
    const { statuslineCommand } = await import('./statusline.ts');
    const once = async (session: string) => {
      const stdin = new PassThrough();
      let out = '';
      const p = statuslineCommand([], { out: (t) => void (out += t), err: () => {}, env }, stdin as unknown as NodeJS.ReadStream);
      stdin.end(JSON.stringify({ session_id: session, model: { display_name: 'Sonnet' } }));
      await p;
      return { out };
    };
    await once('warm-up'); // the daemon's first summary after start warms its store worker
    // Distinct sessions bypass the 5 s cache, so each run asks the daemon (its speed: npm run bench:statusline).
    const runs = [];
    for (let i = 0; i < 5; i++) runs.push(await once(i === 4 ? 'sess-status' : `cold-${i}`));
    const out = runs[4]!.out;
    expect(out).toMatch(/^CCO \$\d+\.\d+ today · \$\d+\.\d+ session · block \$[\d.]+, (\d+h )?\d+m left · Sonnet\n$/);
    // Session spend is less than today's (another session spent too), and both are non-zero.
    const [today, session] = [...out.matchAll(/\$(\d+\.\d+)/g)].map((m) => Number(m[1]));
    expect(session!).toBeGreaterThan(0);
    expect(today!).toBeGreaterThan(session!);
    // Through the bin, with Claude Code's JSON on stdin (served from the 5 s cache this time).
    const viaBin = ccoBin(['statusline'], JSON.stringify({ session_id: 'sess-status' }));
    expect(viaBin.out).toBe(out.replace(' · Sonnet', '')); // the model is Claude Code's, not cached
    // Another HOME: no daemon → neutral line, exit 0.
    const other = tmpHome();
    const none = ccoBin(['statusline'], '{}', other.env);
    expect(none).toMatchObject({ code: 0, out: NEUTRAL + '\n' });
    fs.rmSync(other.home, { recursive: true, force: true });
  });

  it('tui renders the live feed and quits on q', async () => {
    const input = new PassThrough();
    const output = new PassThrough();
    let screen = '';
    output.on('data', (d) => (screen += d));
    const token = fs.readFileSync(path.join(env.XDG_DATA_HOME!, 'cco', 'token'), 'utf8').trim();
    const done = runTui(url, token, { input, output });
    await waitFor(() => screen.includes('[live]') && screen.includes('This month'), 'tui live');
    screen = '';
    expect(await message('sess-tui')).toBe(200);
    await waitFor(() => stripAnsi(screen).includes('claude-sonnet-4-5'), 'record in tui');
    const last = stripAnsi(screen.split('\x1b[2J').at(-1)!);
    expect(last).toMatch(/Today\s+\$\d+\.\d+\s+\d+ req/);
    expect(last).toContain('Last requests');
    input.write('q');
    await done;
    expect(screen.endsWith('\x1b[?25h\x1b[?1049l')).toBe(true);
  });

  it('env, dashboard and setup claude', async () => {
    expect((await cco(['env', '--shell', 'bash'])).out).toBe(`export ANTHROPIC_BASE_URL=${url}\n`);
    expect((await cco(['env', '--shell', 'fish'])).out).toBe(`set -gx ANTHROPIC_BASE_URL ${url}\n`);
    // dashboard: NO_BROWSER prints the URL; CCO_BROWSER stands in for the browser.
    const printed = await cco(['dashboard']);
    expect(printed.out).toMatch(new RegExp(`${url}/\\?token=[\\w-]+`));
    const seen = path.join(home, 'opened.txt');
    const opener = path.join(home, 'open.sh');
    fs.writeFileSync(opener, `#!/bin/sh\necho "$1" > "${seen}"\n`, { mode: 0o755 });
    const opened = await cco(['dashboard', '--port', String(port)], { NO_BROWSER: '', CCO_BROWSER: opener });
    expect(opened.out).toContain('Opened');
    const openedUrl = (await waitFor(() => fs.existsSync(seen) && fs.readFileSync(seen, 'utf8').trim(), 'browser')) as string;
    expect((await fetch(openedUrl, { redirect: 'manual' })).status).toBe(302); // the token is accepted

    const settings = path.join(home, '.claude', 'settings.json');
    fs.mkdirSync(path.dirname(settings), { recursive: true });
    fs.writeFileSync(settings, JSON.stringify({ theme: 'dark', env: { FOO: '1', ANTHROPIC_BASE_URL: 'http://old' } }));
    const setup = await cco(['setup', 'claude']);
    expect(setup.code).toBe(0);
    expect(JSON.parse(fs.readFileSync(settings, 'utf8'))).toEqual({ theme: 'dark', env: { FOO: '1', ANTHROPIC_BASE_URL: url } });
    const backup = /Backup: (\S+)/.exec(setup.out)![1]!;
    expect(JSON.parse(fs.readFileSync(backup, 'utf8')).env.ANTHROPIC_BASE_URL).toBe('http://old');
    expect((await cco(['setup', 'claude'])).out).toContain('already points');
    await cco(['setup', 'claude', '--undo']);
    expect(JSON.parse(fs.readFileSync(settings, 'utf8'))).toEqual({ theme: 'dark', env: { FOO: '1', ANTHROPIC_BASE_URL: 'http://old' } });
    expect((await cco(['setup', 'claude', '--undo'])).out).toContain('Nothing to undo');
    fs.writeFileSync(settings, '{ not json');
    const broken = await cco(['setup', 'claude']);
    expect(broken.code).toBe(1);
    expect(broken.err).toContain('is not valid JSON');
  });

  it('config show/get/set keep comments and validate', async () => {
    const file = (await cco(['config', 'path'])).out.trim();
    expect(file).toBe(path.join(env.XDG_CONFIG_HOME!, 'cco', 'config.toml'));
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, '# my settings\n[server]\nport = 3000 # default\n');
    expect((await cco(['config', 'set', 'server.port', '4555'])).code).toBe(0);
    expect(fs.readFileSync(file, 'utf8')).toBe('# my settings\n[server]\nport = 4555 # default\n');
    expect((await cco(['config', 'get', 'server.port'])).out).toBe('4555\n');
    expect((await cco(['config', 'get', 'server.port'], { CCO_PORT: '4600' })).out).toBe('4600\n');
    const show = await cco(['config', 'show']);
    expect(show.out).toContain('port = 4555  # from file');
    expect(show.out).toContain('[rate_limit]\nenabled = true\nrequests_per_minute = 6000\nmax_connections = 64');
    const bad = await cco(['config', 'set', 'server.port', 'x']);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('server.port: "x" is not allowed; expected an integer from 0 to 65535');
    // A bad file stops `cco run` with one message naming file, key and what is allowed.
    fs.writeFileSync(file, '[logging]\nlevel = "loud"\n');
    const run = ccoBin(['run', '--port', '0']);
    expect(run.code).toBe(2);
    expect(run.err.trim()).toBe(`cco: ${file}: [logging] level = "loud" is not allowed; expected one of "debug", "info", "warn", "error"`);
    fs.rmSync(file);
  });

  it('logs: shows lines, never a key or token', async () => {
    await new Promise((r) => setTimeout(r, 100));
    const logs = await cco(['logs', '-n', '200', '--port', String(port)]);
    expect(logs.code).toBe(0);
    expect(logs.out).toContain('INFO  daemon started');
    const logFile = path.join(env.XDG_DATA_HOME!, 'cco', 'logs', 'cco.log');
    const text = fs.readFileSync(logFile, 'utf8');
    const token = fs.readFileSync(path.join(env.XDG_DATA_HOME!, 'cco', 'token'), 'utf8').trim();
    expect(text.length).toBeGreaterThan(0);
    expect(text).not.toContain(KEY);
    expect(text).not.toContain(token);
    expect(text).not.toMatch(/sk-ant-api03-/);
    // -f follows new lines until stopped.
    let out = '';
    const { logsCommand } = await import('./logs.ts');
    let stop!: () => void;
    const stopped = new Promise<void>((r) => (stop = r));
    const following = logsCommand(['-f', '-n', '0', '--json'], { out: (t) => void (out += t), err: () => {}, env }, stopped);
    await new Promise((r) => setTimeout(r, 300));
    fs.appendFileSync(logFile, JSON.stringify({ time: new Date().toISOString(), level: 'info', pid: 1, msg: 'appended line' }) + '\n');
    await waitFor(() => out.includes('appended line'), 'followed line');
    stop();
    expect(await following).toBe(0);
  });

  it('config show and logs into a pipe that closes early: exit 0, no stack trace', async () => {
    // `cco … | head`: a real pipe whose reader is gone before cco writes (head has already exited).
    const logFile = path.join(env.XDG_DATA_HOME!, 'cco', 'logs', 'cco.log');
    fs.appendFileSync(logFile, Array.from({ length: 3000 }, (_, i) => JSON.stringify({ time: 'T', level: 'info', pid: 1, msg: `filler ${i}` })).join('\n') + '\n');
    for (const args of [['config', 'show'], ['logs', '-n', '2000']]) {
      const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout!.destroy();
      let err = '';
      child.stderr!.on('data', (d) => (err += d));
      const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
      expect({ args, code, err }).toEqual({ args, code: 0, err: '' });
    }
  });

  it('run --paused forwards requests without storing them, and says so', async () => {
    const dataDir = fs.mkdtempSync(path.join(home, 'paused-'));
    const paused = startRun(['--port', '0', '--upstream', fake.url, '--data-dir', dataDir, '--paused']);
    try {
      const url2 = await waitFor(() => /listening on (http:\/\/\S+)/.exec(paused.out())?.[1], `paused daemon: ${paused.err()}`);
      await waitFor(() => paused.out().includes('export ANTHROPIC_BASE_URL'), 'banner');
      expect(paused.out()).toContain('Recording: PAUSED');
      expect(await message('sess-paused', { 'x-api-key': 'sk-ant-test' }, url2)).toBe(200); // forwarded
      const token = fs.readFileSync(path.join(dataDir, 'token'), 'utf8').trim();
      const page = (await (await fetch(`${url2}/api/requests`, { headers: { authorization: `Bearer ${token}` } })).json()) as { items: unknown[] };
      expect(page.items).toEqual([]);
    } finally {
      paused.child.kill('SIGTERM');
      await paused.exited;
    }
  });

  it('shutdown stops the daemon gracefully and removes its PID file', async () => {
    // A second daemon of the same user: its own store (one daemon per data folder: the data-folder lock), the
    // same PID folder, so `cco status` lists both and `cco shutdown --port` picks one.
    const config2 = fs.mkdtempSync(path.join(os.tmpdir(), 'cco-config2-'));
    fs.mkdirSync(path.join(config2, 'cco'));
    const store2 = fs.mkdtempSync(path.join(os.tmpdir(), 'cco-store2-'));
    fs.writeFileSync(path.join(config2, 'cco', 'config.toml'), `[database]\npath = ${JSON.stringify(store2)}\n`);
    const second = startRun(['--port', '0', '--upstream', fake.url], { ...env, XDG_CONFIG_HOME: config2 });
    const url2 = await waitFor(() => /listening on (http:\/\/\S+)/.exec(second.out())?.[1], 'second daemon');
    const port2 = Number(new URL(url2).port);
    expect(JSON.parse((await cco(['status', '--json'])).out).running).toHaveLength(2);
    const r = await cco(['shutdown', '--port', String(port2)]);
    expect(r.out).toContain(`Port ${port2} (PID ${second.child.pid}): stopped`);
    expect(await second.exited).toBe(0);
    expect(second.out()).toContain('SIGTERM: shutting down');
    expect(fs.existsSync(path.join(env.XDG_DATA_HOME!, 'cco', 'pids', `cco-${port2}.pid`))).toBe(false);

    const all = await cco(['shutdown', '--all']);
    expect(all.out).toContain(`Port ${port} (PID ${daemon.child.pid}): stopped`);
    expect(await daemon.exited).toBe(0);
    const st = await cco(['status']);
    expect(st).toMatchObject({ code: 3, out: 'CCO Status: not running\n' });
    expect(ccoBin(['statusline'], '{}').out).toBe(NEUTRAL + '\n');
  });
});

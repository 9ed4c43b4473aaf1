/**
 * When the stored key is added: the decision table, then the real daemon on a real port with the fake
 * upstream (the issue's repro), a real Chromium page, a bind beyond loopback, and `cco run`'s warning.
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loopbackHosts } from '../api/auth.ts';
import { startDaemon, type RunningDaemon } from '../index.ts';
import { silentLogger, type Logger } from '../log.ts';
import { runCommand } from '../cli/run.ts';
import { startFakeUpstream, type FakeUpstream } from '../../test/fake-upstream/server.ts';
import { chromiumAvailable, launchChromium } from '../../e2e/helpers/chromium.ts';
import { mayInjectStoredKey, type KeyRequest, type StoredKeyContext } from './stored-key.ts';

process.env.CCO_CONFIG_DIR ??= fs.mkdtempSync(path.join(os.tmpdir(), 'cco-config-'));

const STORED = 'sk-ant-api03-stored-secret-key-0123456789';
const ctx: StoredKeyContext = { policy: { hosts: loopbackHosts(3000, '127.0.0.1') }, exposed: false };
const req = (headers: Record<string, string>, remoteAddress = '127.0.0.1'): KeyRequest => ({ headers, socket: { remoteAddress } });

describe('mayInjectStoredKey', () => {
  it.each([
    ['a local CLI (curl, SDK, Claude Code)', { host: '127.0.0.1:3000', 'user-agent': 'claude-cli/2.1.0' }, '127.0.0.1', true],
    ['localhost name, IPv6 peer', { host: 'localhost:3000' }, '::1', true],
    ['[::1] name, IPv4-mapped peer', { host: '[::1]:3000' }, '::ffff:127.0.0.1', true],
    ['a Referer to the daemon itself', { host: '127.0.0.1:3000', referer: 'http://127.0.0.1:3000/' }, '127.0.0.1', true],
    ['DNS rebinding (the issue repro)', { host: 'evil.com:3000', 'sec-fetch-site': 'same-origin' }, '127.0.0.1', false],
    ['a foreign Host alone', { host: 'evil.com:3000' }, '127.0.0.1', false],
    ['another port', { host: '127.0.0.1:3001' }, '127.0.0.1', false],
    ['no Host', {}, '127.0.0.1', false],
    ['an Origin', { host: '127.0.0.1:3000', origin: 'http://127.0.0.1:3000' }, '127.0.0.1', false],
    ['Sec-Fetch-Site', { host: '127.0.0.1:3000', 'sec-fetch-site': 'cross-site' }, '127.0.0.1', false],
    ["Node's fetch (Sec-Fetch-Mode: cors alone, User-Agent: node)", { host: '127.0.0.1:3000', 'sec-fetch-mode': 'cors', 'user-agent': 'node' }, '127.0.0.1', true],
    ['Sec-Fetch-Dest', { host: '127.0.0.1:3000', 'sec-fetch-mode': 'no-cors', 'sec-fetch-dest': 'image' }, '127.0.0.1', false],
    ['Sec-Fetch-User', { host: '127.0.0.1:3000', 'sec-fetch-user': '?1' }, '127.0.0.1', false],
    ['a Referer elsewhere', { host: '127.0.0.1:3000', referer: 'https://evil.example/page' }, '127.0.0.1', false],
    ['an unparsable Referer', { host: '127.0.0.1:3000', referer: 'not a url' }, '127.0.0.1', false],
    ['a browser User-Agent', { host: '127.0.0.1:3000', 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64)' }, '127.0.0.1', false],
    ['a non-loopback peer', { host: '127.0.0.1:3000' }, '192.0.2.2', false],
    ['a lookalike peer', { host: '127.0.0.1:3000' }, '::ffff:128.0.0.1', false],
    ['an unknown peer', { host: '127.0.0.1:3000' }, '', false],
  ])('%s', (_name, headers, peer, inject) => {
    expect(mayInjectStoredKey(req(headers, peer), ctx).inject).toBe(inject);
  });

  it('never injects when the daemon listens beyond loopback, even for a perfect local request', () => {
    const decision = mayInjectStoredKey(req({ host: '127.0.0.1:3000' }), { ...ctx, exposed: true });
    expect(decision).toEqual({ inject: false, reason: 'the daemon listens beyond loopback' });
  });
});

/** One raw HTTP exchange with exactly these headers (fetch would add Sec-Fetch-* / refuse to set Host). */
function rawGet(port: number, urlPath: string, headers: Record<string, string>, host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const r = http.request({ host, port, path: urlPath, method: 'GET', headers, agent: false, setHost: !('host' in headers) }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    r.on('error', reject);
    r.end();
  });
}

describe('the stored key through the real daemon', () => {
  let fake: FakeUpstream;
  let daemon: RunningDaemon;
  let dataDir: string;
  let P: number;

  /** x-api-key values the upstream saw on its last request. */
  const lastKeys = () => {
    const all = fake.requests();
    return all[all.length - 1]!.rawHeaders.filter(([n]) => n.toLowerCase() === 'x-api-key').map(([, v]) => v);
  };

  beforeAll(async () => {
    fake = await startFakeUpstream({ seed: 5 });
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cco-storedkey-'));
    daemon = await startDaemon({ port: 0, upstreamUrl: fake.url, dataDir, log: silentLogger, apiKey: STORED, rateLimit: false, pidDir: false });
    P = daemon.port;
  });
  afterAll(async () => {
    await daemon?.close();
    await fake?.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });
  beforeEach(() => fake.reset());

  it('adds the key for a local non-browser client (the control case)', async () => {
    expect(await rawGet(P, '/v1/models', { 'anthropic-version': '2023-06-01' })).toBe(200);
    expect(lastKeys()).toEqual([STORED]);
  });

  it('the issue repro: Host evil.com:$P with Sec-Fetch-Site: same-origin gets no key, and is still forwarded', async () => {
    const status = await rawGet(P, '/v1/models', { host: `evil.com:${P}`, 'sec-fetch-site': 'same-origin', 'anthropic-version': '2023-06-01' });
    expect(fake.requests()).toHaveLength(1); // forwarded…
    expect(lastKeys()).toEqual([]); // …without the key
    expect(status).toBe(401); // the upstream refuses it itself
  });

  it('a rebinding Host without browser headers, and a cross-site <img>-style GET, get no key', async () => {
    await rawGet(P, '/v1/messages/batches', { host: `evil.com:${P}` });
    expect(lastKeys()).toEqual([]);
    await rawGet(P, '/v1/models', {
      accept: 'image/avif,image/webp,*/*',
      'sec-fetch-site': 'cross-site',
      'sec-fetch-mode': 'no-cors',
      'sec-fetch-dest': 'image',
      referer: 'https://evil.example/',
      'user-agent': 'Mozilla/5.0',
    });
    expect(lastKeys()).toEqual([]);
    expect(fake.requests()).toHaveLength(2);
  });

  it.skipIf(!chromiumAvailable())('a real Chromium page on another origin cannot spend the key (<img> and no-cors fetch)', async () => {
    const page = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(`<!doctype html><img src="http://127.0.0.1:${P}/v1/models?from=img">
<script>fetch('http://127.0.0.1:${P}/v1/models?from=fetch', { mode: 'no-cors' }).finally(() => { document.title = 'done'; });</script>`);
    });
    await new Promise<void>((r) => page.listen(0, '127.0.0.1', () => r()));
    const browser = await launchChromium();
    try {
      const tab = await browser.newPage();
      await tab.goto(`http://127.0.0.1:${(page.address() as AddressInfo).port}/`);
      await tab.waitForFunction(() => document.title === 'done');
      const deadline = Date.now() + 5000;
      while (fake.requests().length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      const seen = fake.requests();
      expect(seen.map((r) => r.url).sort()).toEqual(['/v1/models?from=fetch', '/v1/models?from=img']);
      for (const r of seen) expect(r.rawHeaders.filter(([n]) => n.toLowerCase() === 'x-api-key')).toEqual([]);
    } finally {
      await browser.close();
      page.close();
    }
  });
});

describe('a daemon bound beyond loopback', () => {
  const lanAddress = Object.values(os.networkInterfaces())
    .flat()
    .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;

  it('warns at start and never adds the key, from loopback or from a non-loopback peer', async () => {
    const fake = await startFakeUpstream({ seed: 6 });
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cco-exposed-'));
    const warnings: string[] = [];
    const log: Logger = { ...silentLogger, warn: (m) => warnings.push(m) };
    const daemon = await startDaemon({ host: '0.0.0.0', port: 0, upstreamUrl: fake.url, dataDir, log, apiKey: STORED, rateLimit: false, pidDir: false });
    try {
      expect(daemon.exposed).toBe(true);
      expect(warnings.join('\n')).toMatch(/WARNING: CCO listens on 0\.0\.0\.0:\d+, beyond loopback.*NOT added/);
      // Central gateway mode (daemon/team/gateway.ts): without a per-user token nothing is even forwarded.
      expect(await rawGet(daemon.port, '/v1/models', { 'anthropic-version': '2023-06-01' })).toBe(401);
      if (lanAddress) expect(await rawGet(daemon.port, '/v1/models', { host: `${lanAddress}:${daemon.port}`, 'anthropic-version': '2023-06-01' }, lanAddress)).toBe(401);
      expect(fake.requests()).toHaveLength(0);
    } finally {
      await daemon.close();
      await fake.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('`cco run --host 0.0.0.0` prints the warning on stdout', async () => {
    const fake = await startFakeUpstream({ seed: 6 });
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'cco-exposed-home-'));
    let out = '';
    let stop!: (s: string) => void;
    const stopSignal = new Promise<string>((r) => (stop = r));
    const env = { HOME: home, XDG_CONFIG_HOME: path.join(home, 'c'), XDG_DATA_HOME: path.join(home, 'd'), CCO_CONFIG_DIR: path.join(home, 'c'), ANTHROPIC_API_KEY: STORED, NO_BROWSER: '1' };
    try {
      const code = await runCommand(['--host', '0.0.0.0', '--port', '0', '--upstream', fake.url, '--data-dir', path.join(home, 'data')], { out: (t) => (out += t), err: () => {}, env }, { onStarted: () => stop('test'), stopSignal });
      expect(code).toBe(0);
      expect(out).toContain('(off: bound beyond loopback)');
      expect(out).toMatch(/WARNING: CCO listens on 0\.0\.0\.0:\d+, beyond loopback/);
    } finally {
      await fake.close();
      fs.rmSync(home, { recursive: true, force: true });
    }
  });
});

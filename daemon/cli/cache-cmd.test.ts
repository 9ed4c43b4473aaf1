/**
 * `cco cache` and the [cache] settings end to end: `cco run` as its own process (bin/cco.js) configured only
 * through the environment (CCO_CACHE, CCO_CACHE_SIZE, CCO_CACHE_TTL, CCO_CACHE_DIR), the fake upstream, then
 * `cco cache stats|clear` through the daemon and, once it has stopped, on the folder itself.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { ResponseCacheStatus } from '../../shared/contract.ts';
import { main } from './main.ts';
import { startFakeUpstream } from '../../test/fake-upstream/server.ts';
import { JSON_HEADERS, rawRequest } from '../../test/fake-upstream/testkit.ts';

const BIN = fileURLToPath(new URL('../../bin/cco.js', import.meta.url));
const cleanup: (() => void | Promise<void>)[] = [];
afterAll(async () => {
  for (const f of cleanup.reverse()) await f();
});

describe('cco cache', () => {
  it('the config keys drive a real daemon; stats and clear work through it and without it', async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'cco-cache-home-'));
    const cacheDir = path.join(home, 'rcache');
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH, HOME: home, USERPROFILE: home, XDG_CONFIG_HOME: path.join(home, '.config'), XDG_DATA_HOME: path.join(home, '.local', 'share'),
      XDG_CACHE_HOME: path.join(home, '.cache'), NO_BROWSER: '1', ANTHROPIC_API_KEY: '', CCO_CREDENTIALS_BACKEND: 'file',
      CCO_CACHE: 'true', CCO_CACHE_SIZE: '5000000', CCO_CACHE_TTL: '600', CCO_CACHE_DIR: cacheDir,
    };
    const cco = async (args: string[]) => {
      let out = '';
      const code = await main(args, { out: (t) => void (out += t), err: (t) => void (out += t), env });
      return { code, out };
    };
    const fake = await startFakeUpstream({ seed: 21 });
    cleanup.push(() => fake.close());
    const child = spawn(process.execPath, [BIN, 'run', '--port', '0', '--upstream', fake.url, '--no-history'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
    cleanup.push(async () => {
      if (child.exitCode === null) child.kill('SIGKILL');
      await exited;
    });
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    let url: string | undefined;
    for (let i = 0; i < 600 && !url; i++) {
      url = /listening on (http:\/\/\S+)/.exec(out)?.[1];
      if (!url) await new Promise((r) => setTimeout(r, 50));
    }
    expect(url).toBeDefined();

    const body = JSON.stringify({ model: 'claude-haiku-4-5', max_tokens: 16, messages: [{ role: 'user', content: 'cli' }] });
    const a = await rawRequest(`${url}/v1/messages`, { body, headers: JSON_HEADERS });
    const b = await rawRequest(`${url}/v1/messages`, { body, headers: JSON_HEADERS });
    expect(b.raw.equals(a.raw)).toBe(true);
    expect(fake.requests()).toHaveLength(1);

    const stats = await cco(['cache', 'stats', '--json']);
    expect(stats.code).toBe(0);
    const s = JSON.parse(stats.out) as ResponseCacheStatus;
    expect(s).toMatchObject({ enabled: true, dir: cacheDir, maxBytes: 5_000_000, ttlSeconds: 600, entries: 1, hits: 1, misses: 1, hitRate: 0.5 });
    expect(s.savedNanoUsd).toBeGreaterThan(0);
    expect((await cco(['cache', 'stats'])).out).toMatch(/hits\s+1 \(50\.0 %\)/);

    child.kill('SIGTERM');
    await exited;
    // no daemon: read from the folder (the counters were saved at shutdown)
    const offline = JSON.parse((await cco(['cache', 'stats', '--json'])).out) as ResponseCacheStatus;
    expect(offline).toMatchObject({ entries: 1, hits: 1, bytes: s.bytes });
    const cleared = await cco(['cache', 'clear']);
    expect(cleared).toEqual({ code: 0, out: expect.stringMatching(/^cleared 1 entries/) });
    expect(JSON.parse((await cco(['cache', 'stats', '--json'])).out)).toMatchObject({ entries: 0, hits: 0 });
    expect((await cco(['cache', 'nope'])).code).toBe(2);
  });
});

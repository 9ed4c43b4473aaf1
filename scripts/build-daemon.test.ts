/**
 * The standalone daemon, built for real and run from a directory with no node_modules anywhere above it:
 * the head `cco-daemon.cjs` starts the store worker (its own small file beside it, sql.js with inline wasm)
 * and loads the program (`cco-program-<hash>.cjs` beside it); the CLI answers, the daemon proxies a request to
 * a local fake upstream, the worker records it, and the record survives a restart. Without its worker file the
 * program still runs: it carries the worker's code compressed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asciiOnly, buildDaemon, PROGRAM_FILE, STORE_WORKER_FILE } from './build-daemon.ts';
import { metricsByName, startOtlpReceiver } from '../test/otlp-receiver.ts';
import { loadSqlJs } from '../daemon/store/db.ts';
import { migrate } from '../daemon/store/migrations.ts';

const VERSION = '2026.1122.7';

function hasNodeModulesAbove(dir: string): boolean {
  for (let d = dir; ; d = join(d, '..')) {
    if (existsSync(join(d, 'node_modules'))) return true;
    if (join(d, '..') === d) return false;
  }
}

function runToEnd(file: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [file, ...args], { env, cwd: join(file, '..') });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out }));
  });
}

describe('npm run build:daemon', () => {
  let dir: string;
  let bundle: string;
  let single: string;
  let program: string;
  let programFile: string;
  let workerFile: string;
  let upstream: http.Server;
  let upstreamUrl: string;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cco-bundle-'));
    const dashboardDir = join(dir, 'dashboard');
    mkdirSync(join(dashboardDir, 'assets'), { recursive: true });
    writeFileSync(join(dashboardDir, 'index.html'), '<!doctype html><title>CCO fixture dashboard</title>');
    writeFileSync(join(dashboardDir, 'assets', 'app-1.js'), 'console.log("fixture asset");');
    const built = await buildDaemon({ outfile: join(dir, 'build', 'cco-daemon.cjs'), version: VERSION, dashboardDir });
    expect(built.bytes).toBeLessThan(20_000); // the head
    expect(built.programBytes).toBeGreaterThan(500_000);
    expect(built.dashboardFiles).toBe(2);
    expect(built.warnings).toEqual([]);
    workerFile = built.workerFile;
    programFile = built.programFile;
    expect(workerFile).toMatch(STORE_WORKER_FILE);
    expect(programFile).toMatch(PROGRAM_FILE);
    expect(readdirSync(join(dir, 'build')).sort()).toEqual(['cco-daemon.cjs', programFile, workerFile]);
    mkdirSync(join(dir, 'alone'));
    bundle = join(dir, 'alone', 'cco-daemon.cjs');
    program = join(dir, 'alone', programFile);
    for (const f of ['cco-daemon.cjs', programFile, workerFile]) copyFileSync(join(dir, 'build', f), join(dir, 'alone', f));
    mkdirSync(join(dir, 'single'));
    single = join(dir, 'single', 'cco-daemon.cjs'); // the head and its program, no worker file
    for (const f of ['cco-daemon.cjs', programFile]) copyFileSync(join(dir, 'build', f), join(dir, 'single', f));
    upstream = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json', 'request-id': 'req_bundle' });
        res.end(JSON.stringify({ id: 'msg_bundle', type: 'message', role: 'assistant', model: 'claude-sonnet-4-5', content: [{ type: 'text', text: 'ok' }], stop_reason: 'end_turn', usage: { input_tokens: 12, output_tokens: 3 } }));
      });
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  }, 60_000);

  afterAll(async () => {
    for (const c of children) c.kill('SIGKILL');
    upstream.closeAllConnections();
    await new Promise((r) => upstream.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  const env = (): NodeJS.ProcessEnv => ({ PATH: process.env.PATH, HOME: join(dir, 'home'), NO_BROWSER: '1', XDG_CONFIG_HOME: join(dir, 'home', '.config') });

  it('runs without node_modules and reports the baked-in version', async () => {
    expect(hasNodeModulesAbove(join(dir, 'alone'))).toBe(false);
    expect(readFileSync(bundle, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
    const r = await runToEnd(bundle, ['version'], env());
    expect(r.code).toBe(0);
    expect(r.out).toContain(VERSION);
  });

  it('is pure ASCII, so V8 holds its source as a one-byte string in each thread', () => {
    for (const file of [bundle, program, join(dir, 'alone', workerFile)]) expect(readFileSync(file).findIndex((b) => b > 0x7f)).toBe(-1);
  });

  it('writes a store worker a fraction of the program: the store and sql.js, not the CLI, daemon and dashboard', () => {
    const worker = readFileSync(join(dir, 'alone', workerFile), 'utf8');
    expect(worker.length).toBeLessThan(readFileSync(program).length / 2);
    expect(worker).toContain('store worker');
    expect(worker).not.toContain('CCO fixture dashboard');
    expect(worker).not.toContain('runMain');
    // and the program's own code has none of it (it carries it compressed, for running without the file)
    expect(worker).toContain('store not open');
    expect(readFileSync(program, 'utf8')).not.toContain('store not open');
    // a new store's database comes from the schema's image (daemon/store/schema-image.ts), baked in as an object
    // whose first run of bytes is a SQLite file's header (sql.js' inline wasm holds the header's text too)
    expect(worker).toContain(`runs: [[0, "${Buffer.from('SQLite format 3\0').toString('base64').slice(0, 20)}`);
  });

  it('a rebuild replaces the program and worker files of the previous build (changed code gets a new name)', async () => {
    const out = join(dir, 'rebuild', 'cco-daemon.cjs');
    mkdirSync(join(dir, 'rebuild'));
    writeFileSync(join(dir, 'rebuild', 'cco-store-worker-000000000000.cjs'), '');
    writeFileSync(join(dir, 'rebuild', 'cco-program-000000000000.cjs'), '');
    const again = await buildDaemon({ outfile: out, version: VERSION, dashboardDir: join(dir, 'dashboard') });
    expect(again.workerFile).toBe(workerFile);
    expect(again.programFile).toBe(programFile);
    expect(readdirSync(join(dir, 'rebuild')).sort()).toEqual(['cco-daemon.cjs', programFile, workerFile]);
  }, 60_000);

  it('the head is not the program: it names its program and worker, and stops with a message without the program', async () => {
    const head = readFileSync(bundle, 'utf8');
    expect(head).toContain(programFile);
    expect(head).toContain(workerFile);
    expect(head).not.toContain('runMain');
    const lonely = join(dir, 'lonely');
    mkdirSync(lonely);
    copyFileSync(bundle, join(lonely, 'cco-daemon.cjs'));
    const r = await runToEnd(join(lonely, 'cco-daemon.cjs'), ['version'], env());
    expect(r.code).toBe(1);
    expect(r.out).toContain(`cco: ${join(lonely, programFile)} is missing`);
  });

  it('the head starts the store worker before it loads the program, and the program\'s store runs on it', async () => {
    // The real program, with a first line that notes whether a store worker was already started (store/prestart.ts'
    // slot on globalThis) and, at exit, whether the program's store took it from there.
    const first = join(dir, 'first');
    mkdirSync(first);
    for (const f of ['cco-daemon.cjs', workerFile]) copyFileSync(join(dir, 'build', f), join(first, f));
    const probe = `{ const e = globalThis[Symbol.for('cco.store.prestartedWorker')]; process.stderr.write('probe: prestarted=' + Boolean(e && e.worker) + '\\n'); process.on('exit', () => process.stderr.write('probe: left unadopted=' + Boolean(globalThis[Symbol.for('cco.store.prestartedWorker')]) + '\\n')); }\n`;
    writeFileSync(join(first, programFile), readFileSync(program, 'utf8').replace('"use strict";\n', `"use strict";\n${probe}`));
    const data = join(dir, 'first-data');
    const child = spawn(process.execPath, [join(first, 'cco-daemon.cjs'), 'run', '--port', '0', '--no-browser', '--data-dir', data, '--upstream', upstreamUrl], { env: env(), cwd: first });
    children.push(child);
    let out = '';
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    await expect.poll(() => /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out)?.[1], { timeout: 15_000 }).toBeTruthy();
    const port = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out)![1];
    expect(out).toContain('probe: prestarted=true');
    await expect.poll(async () => (await fetch(`http://127.0.0.1:${port}/ready`)).status, { timeout: 15_000 }).toBe(200);
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
    expect(out).toContain('probe: left unadopted=false');
  }, 30_000);

  it('a running daemon leaves the code cache of its program beside it, and the next start runs with it', async () => {
    const cached = join(dir, 'cached');
    mkdirSync(cached);
    for (const f of ['cco-daemon.cjs', programFile, workerFile]) copyFileSync(join(dir, 'build', f), join(cached, f));
    const cacheName = `${programFile}.${process.version}-${process.arch}.v8`;
    const run = async (): Promise<void> => {
      const data = join(dir, 'cached-data');
      const child = spawn(process.execPath, [join(cached, 'cco-daemon.cjs'), 'run', '--port', '0', '--no-browser', '--data-dir', data], { env: env(), cwd: cached });
      children.push(child);
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (out += d.toString()));
      await expect.poll(() => /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out)?.[1], { timeout: 15_000 }).toBeTruthy();
      const port = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out)![1];
      await expect.poll(async () => (await fetch(`http://127.0.0.1:${port}/ready`)).status, { timeout: 15_000 }).toBe(200);
      // written CODE_CACHE_AFTER_MS (10 s) after start, by `cco run` only
      await expect.poll(() => existsSync(join(cached, cacheName)), { timeout: 20_000, interval: 500 }).toBe(true);
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    };
    expect((await runToEnd(join(cached, 'cco-daemon.cjs'), ['version'], env())).code).toBe(0);
    expect(existsSync(join(cached, cacheName))).toBe(false); // other commands write none
    await run();
    expect(statSync(join(cached, cacheName)).mode & 0o777).toBe(0o600);
    const written = statSync(join(cached, cacheName)).mtimeMs;
    expect((await runToEnd(join(cached, 'cco-daemon.cjs'), ['version'], env())).out).toContain(VERSION); // runs with it
    expect(statSync(join(cached, cacheName)).mtimeMs).toBe(written);
  }, 60_000);

  it('starts the worker file beside it, not itself', async () => {
    const sabotaged = join(dir, 'sabotaged');
    mkdirSync(sabotaged);
    copyFileSync(bundle, join(sabotaged, 'cco-daemon.cjs'));
    copyFileSync(program, join(sabotaged, programFile));
    writeFileSync(join(sabotaged, workerFile), "throw new Error('the sibling store worker ran');\n");
    const data = join(dir, 'sabotaged-data');
    const child = spawn(process.execPath, [join(sabotaged, 'cco-daemon.cjs'), 'run', '--port', '0', '--no-browser', '--data-dir', data], { env: env(), cwd: sabotaged });
    children.push(child);
    const log = join(data, 'logs', 'cco.log');
    await expect.poll(() => (existsSync(log) ? readFileSync(log, 'utf8') : ''), { timeout: 15_000 }).toContain('store: worker failed: the sibling store worker ran');
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }, 30_000);

  it('asciiOnly escapes non-ASCII on comment lines and refuses it in code', () => {
    const f = join(dir, 'ascii.js');
    writeFileSync(f, '// 0 \u2192 1\n  /** a \u2014 b */\nconst x = 1;\n');
    asciiOnly(f);
    expect(readFileSync(f, 'utf8')).toBe('// 0 \\u{2192} 1\n  /** a \\u{2014} b */\nconst x = 1;\n');
    writeFileSync(f, 'const s = "\u2192";\n');
    expect(() => asciiOnly(f)).toThrow(/non-ASCII character outside a comment line/);
  });

  it.each([
    ['with its worker file', () => bundle],
    ['without its worker file, with the worker inflated from the program', () => single],
  ])('runs the daemon %s: proxies, records through the store worker, keeps the record across a restart', async (name, file) => {
    const data = join(dir, `data-${name.length}`);
    const tmp = join(dir, `tmp-${name.length}`); // the daemon's own TMPDIR: where it unpacks the dashboard
    mkdirSync(tmp, { recursive: true });
    const start = async (): Promise<{ child: ChildProcess; port: number }> => {
      const child = spawn(process.execPath, [file(), 'run', '--port', '0', '--no-browser', '--data-dir', data, '--upstream', upstreamUrl], { env: { ...env(), TMPDIR: tmp }, cwd: join(file(), '..') });
      children.push(child);
      let out = '';
      const port = await new Promise<number>((resolve, reject) => {
        const onData = (d: Buffer): void => {
          out += d.toString();
          const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
          if (m) resolve(Number(m[1]));
        };
        child.stdout!.on('data', onData);
        child.stderr!.on('data', onData);
        child.on('exit', (code) => reject(new Error(`daemon exited ${code}: ${out}`)));
      });
      return { child, port };
    };
    const stop = (child: ChildProcess): Promise<number | null> => new Promise((r) => {
      child.on('exit', (code) => r(code));
      child.kill('SIGTERM');
    });

    const first = await start();
    const base = `http://127.0.0.1:${first.port}`;
    const proxied = await fetch(`${base}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': 'sk-test-bundle', 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(proxied.status).toBe(200);
    expect(((await proxied.json()) as { id: string }).id).toBe('msg_bundle');

    const token = readFileSync(join(data, 'token'), 'utf8').trim();
    const list = async (b: string): Promise<Array<{ messageId: string; tokens: { input: number; output: number } }>> => {
      const res = await fetch(`${b}/api/requests`, { headers: { authorization: `Bearer ${token}` } });
      expect(res.status).toBe(200);
      return ((await res.json()) as { items: Array<{ messageId: string; tokens: { input: number; output: number } }> }).items;
    };
    await expect.poll(async () => (await list(base)).length, { timeout: 5000 }).toBe(1);
    expect((await list(base))[0]).toMatchObject({ messageId: 'msg_bundle', tokens: { input: 12, output: 3 } });

    // the embedded dashboard is unpacked at its first request, not at start …
    const unpacked = () => readdirSync(tmp).filter((n) => n.startsWith('cco-dashboard-')).length;
    expect(unpacked()).toBe(0);
    // … then served (and guarded by the token like the unbundled one)
    const auth = { authorization: `Bearer ${token}` };
    expect((await fetch(`${base}/assets/app-1.js`)).status).not.toBe(200);
    expect(unpacked()).toBe(0); // a request without the token unpacks nothing
    expect(await (await fetch(`${base}/`, { headers: auth })).text()).toContain('CCO fixture dashboard');
    expect(await (await fetch(`${base}/assets/app-1.js`, { headers: auth })).text()).toBe('console.log("fixture asset");');
    expect(unpacked()).toBe(1);
    expect(await stop(first.child)).toBe(0);
    expect(existsSync(join(data, 'cco.sqlite'))).toBe(true);
    expect(unpacked()).toBe(0); // its unpacked dashboard was removed at exit
    // the store it created (from the worker's schema image) has the schema the migrations build
    const SQL = await loadSqlJs();
    const schema = (db: InstanceType<typeof SQL.Database>): unknown => [
      db.exec('SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name')[0]?.values,
      db.exec("SELECT value FROM meta WHERE key = 'schema_version'")[0]?.values,
    ];
    const written = new SQL.Database(readFileSync(join(data, 'cco.sqlite')));
    const ref = new SQL.Database();
    migrate(ref);
    expect(schema(written)).toEqual(schema(ref));
    written.close();
    ref.close();

    const second = await start();
    const items = await list(`http://127.0.0.1:${second.port}`);
    expect(items.map((i) => i.messageId)).toEqual(['msg_bundle']);
    expect(await stop(second.child)).toBe(0);
  }, 60_000);

  it('carries the OpenTelemetry SDK compressed, not as code, and exports OTLP with it when configured', async () => {
    // the SDK's classes are not in the bundle's own code (only in the gzip+base64 chunk) …
    const sdkClass = 'PeriodicExportingMetricReader: metrics export failed'; // a message in the SDK's code
    expect(readFileSync(join(import.meta.dirname, '..', 'node_modules', '@opentelemetry', 'sdk-metrics', 'build', 'src', 'export', 'PeriodicExportingMetricReader.js'), 'utf8')).toContain(sdkClass);
    expect(readFileSync(program, 'utf8')).not.toContain(sdkClass);
    // … and the chunk runs: the bundle, alone, pushes its metrics to a real OTLP/HTTP receiver
    const receiver = await startOtlpReceiver();
    const data = join(dir, 'data-otlp');
    const child = spawn(process.execPath, [bundle, 'run', '--port', '0', '--no-browser', '--data-dir', data, '--upstream', upstreamUrl], {
      env: { ...env(), CCO_OTLP_ENDPOINT: receiver.url, CCO_OTLP_INTERVAL_SECONDS: '1', CCO_HISTORY: 'off' },
      cwd: join(dir, 'alone'),
    });
    children.push(child);
    try {
      let out = '';
      const port = await new Promise<number>((resolve, reject) => {
        const onData = (d: Buffer): void => {
          out += d.toString();
          const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
          if (m) resolve(Number(m[1]));
        };
        child.stdout.on('data', onData);
        child.stderr.on('data', onData);
        child.on('exit', (code) => reject(new Error(`daemon exited ${code}: ${out}`)));
      });
      const proxied = await fetch(`http://127.0.0.1:${port}/v1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': 'sk-test-bundle', 'anthropic-version': '2023-06-01' },
        body: JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] }),
      });
      expect(proxied.status).toBe(200);
      await proxied.text();
      const requestsSent = () => {
        const last = receiver.received[receiver.received.length - 1];
        return last ? (metricsByName(last).get('cco_requests_total')?.sum?.dataPoints ?? []).reduce((a, p) => a + (p.asDouble ?? 0), 0) : 0;
      };
      await expect.poll(requestsSent, { timeout: 15_000 }).toBe(1);
      expect(receiver.received.every((r) => r.path === '/v1/metrics')).toBe(true);
    } finally {
      child.kill('SIGTERM');
      await receiver.close();
    }
  }, 60_000);
});

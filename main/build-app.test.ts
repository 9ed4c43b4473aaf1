/**
 * Builds the app with esbuild into a temp dir and checks the bundles: the preload is one CommonJS file that
 * needs nothing but electron; main keeps electron external; the bundled daemon entry runs under plain Node
 * and completes the ready/shutdown handshake with the real supervisor.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from './build-app.ts';
import { nodeForkSpawner } from './spawners.ts';
import { DaemonSupervisor } from './supervisor.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

describe('build-app', () => {
  let out: string;
  let files: string[];
  beforeAll(async () => {
    // Inside the repo so bare imports (express, ws, …) resolve from node_modules as they do in the app.
    fs.mkdirSync(path.join(ROOT, 'out'), { recursive: true }); // absent in a clean checkout
    out = fs.mkdtempSync(path.join(ROOT, 'out', '.test-'));
    files = await buildApp({ outDir: out });
  }, 60_000);
  afterAll(() => fs.rmSync(out, { recursive: true, force: true }));

  it('preload is a single CommonJS file whose only require is electron', () => {
    const preload = fs.readFileSync(path.join(out, 'preload', 'index.cjs'), 'utf8');
    const requires = [...preload.matchAll(/require\(["']([^"']+)["']\)/g)].map((m) => m[1]);
    expect(new Set(requires)).toEqual(new Set(['electron']));
    expect(preload).toContain('exposeInMainWorld("cco"');
    expect(preload).not.toMatch(/^import /m);
  });

  it('main is ESM with electron left external', () => {
    const main = fs.readFileSync(path.join(out, 'main', 'index.js'), 'utf8');
    expect(main).toMatch(/from "electron"/);
    expect(files).toHaveLength(3);
  });

  it('both daemon hosts carry the OpenTelemetry SDK in a chunk of their own, imported only on demand', async () => {
    const sdkCode = 'exports.PeriodicExportingMetricReader ='; // the SDK's own module, not a use of it
    for (const [dir, entry] of [['main', 'index.js'], ['daemon', 'entry-utility.js']] as const) {
      const chunks = fs.readdirSync(path.join(out, dir, 'chunks')).filter((f) => f.endsWith('.js'));
      const all = [entry, ...chunks.map((f) => `chunks/${f}`)].map((f) => [f, fs.readFileSync(path.join(out, dir, f), 'utf8')] as const);
      // nothing is left for app.asar's node_modules to answer (package.json keeps the SDK in devDependencies)
      for (const [f, code] of all) expect(code, `${dir}/${f}`).not.toMatch(/(from |import\(|require\()"@opentelemetry\//);
      expect(all.filter(([, code]) => code.includes(sdkCode)).map(([f]) => f), `${dir}: the SDK's chunk`).toEqual([expect.stringMatching(/^chunks\/otlp-sdk-\w+\.js$/)]);
      const [, main] = all[0]!;
      expect(main).not.toMatch(/^import .*otlp/m); // not loaded at start
    }
    // …and the chunk runs on its own (no node_modules needed): what otlp.ts takes from it is there
    const chunk = fs.readdirSync(path.join(out, 'daemon', 'chunks')).find((f) => /^otlp-sdk-\w+\.js$/.test(f))!;
    const sdk = (await import(pathToFileURL(path.join(out, 'daemon', 'chunks', chunk)).href)) as Record<string, unknown>;
    for (const name of ['MeterProvider', 'PeriodicExportingMetricReader', 'OTLPMetricExporter', 'resourceFromAttributes', 'toScopeMetrics']) expect(typeof sdk[name], name).toBe('function');
  });

  it('the store worker is beside each entry only: the entries give the store its location, nothing looks for the chunk holding the store', () => {
    for (const dir of ['daemon', 'main']) {
      expect(fs.existsSync(path.join(out, dir, 'store-worker.js')), dir).toBe(true);
      const copies = fs.readdirSync(path.join(out, dir), { recursive: true }).map(String).filter((f) => f.endsWith('store-worker.js') && f !== 'store-worker.js');
      expect(copies, dir).toEqual([]);
    }
  });

  it("both store workers carry the schema's image for a new store's database (daemon/store/schema-image.ts)", () => {
    const header = Buffer.from('SQLite format 3\0').toString('base64').slice(0, 20);
    for (const dir of ['daemon', 'main']) expect(fs.readFileSync(path.join(out, dir, 'store-worker.js'), 'utf8'), dir).toContain(`runs: [[0, "${header}`);
  });

  it('the bundled daemon entry reaches ready under the supervisor and shuts down', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cco-build-'));
    try {
      const lines: string[] = [];
      const sup = new DaemonSupervisor({
        spawn: nodeForkSpawner({
          entry: path.join(out, 'daemon', 'entry-utility.js'),
          env: { ...process.env, CCO_PORT: '0', CCO_DATA_DIR: dataDir, CCO_UPSTREAM_URL: 'http://127.0.0.1:9', HOME: dataDir },
          onOutput: (_s, l) => lines.push(l),
        }),
      });
      const ready = new Promise<void>((resolve, reject) => {
        const off = sup.onChange((s) => {
          if (s.state === 'ready') {
            off();
            resolve();
          } else if (s.state === 'backoff' || s.state === 'failed') {
            off();
            reject(new Error(`${s.lastError}\n${lines.join('\n')}`));
          }
        });
      });
      sup.start();
      await ready;
      const health = (await (await fetch(`${sup.snapshot.url}/health`)).json()) as { version: string };
      expect(health.version).toBe((JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version);
      // …and its store opens on the worker beside the entry, which the entry names (the store's own default looks
      // in chunks/, beside the chunk holding daemon/store, where no worker is: the store would stay in standby)
      await expect.poll(async () => (await fetch(`${sup.snapshot.url}/ready`)).status, { timeout: 15_000 }).toBe(200);
      await sup.stop();
      expect(sup.snapshot.state).toBe('stopped');
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

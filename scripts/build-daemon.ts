/**
 * `npm run build:daemon` → dist/cco-daemon.cjs: the whole `cco` program (same CLI) in one CommonJS file that
 * runs with plain `node` (≥ 20) and no node_modules.
 *
 * Two things differ from running the sources, both handled here with esbuild plugins:
 * - the store worker: the bundle starts ITSELF as the worker thread
 *   (`new Worker(<this file>, { workerData: { role: 'cco-store-worker' } })`); the entry below sees that role
 *   and loads the store worker instead of the CLI. `daemon/store/worker-url.ts` is swapped for a version
 *   that does this (same exports: workerUrl(), startWorker(), WorkerLocation);
 * - sql.js: `loadSqlJs()` in `daemon/store/db.ts` reads `sql-wasm.wasm` from node_modules; in the bundle it
 *   uses `sql.js/dist/sql-wasm-inline.js` (the wasm embedded in the JS).
 * `import.meta.url` becomes this file's URL; the version is baked in as __CCO_VERSION__.
 */
import { chmodSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, type Plugin } from 'esbuild';

const root = resolve(import.meta.dirname, '..');
export const STORE_WORKER_ROLE = 'cco-store-worker';

/** Entry: the store worker when started as one, otherwise the CLI. Both lazily, so neither loads the other. */
const ENTRY = `
import { isMainThread, workerData } from 'node:worker_threads';
if (!isMainThread && workerData && workerData.role === ${JSON.stringify(STORE_WORKER_ROLE)}) {
  import('./daemon/store/store-worker.ts');
} else {
  import('./daemon/cli/main.ts').then((m) => m.runMain(process.argv.slice(2)));
}
`;

const WORKER_URL_FOR_BUNDLE = `
import { Worker } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';
export interface WorkerLocation { url: URL; tsxApi: string | null }
export function workerUrl(): WorkerLocation {
  return { url: pathToFileURL(__filename), tsxApi: null };
}
export function startWorker(loc: WorkerLocation): Worker {
  return new Worker(loc.url, { workerData: { role: ${JSON.stringify(STORE_WORKER_ROLE)} } });
}
`;

const LOAD_SQLJS = /export async function loadSqlJs\(\)[^{]*\{[\s\S]*?\n\}\n/;
const LOAD_SQLJS_INLINE = `export async function loadSqlJs(): Promise<SqlJsStatic> {
  const init = (await import('sql.js/dist/sql-wasm-inline.js')).default as unknown as (config?: SqlJsConfig) => Promise<SqlJsStatic>;
  return init();
}
`;

/** Swaps the two source-tree-only pieces for their single-file versions; fails the build if they moved. */
export function bundleOverrides(): Plugin {
  return {
    name: 'cco-bundle-overrides',
    setup(b) {
      b.onLoad({ filter: /[\\/]daemon[\\/]store[\\/]worker-url\.ts$/ }, () => ({ contents: WORKER_URL_FOR_BUNDLE, loader: 'ts' }));
      b.onLoad({ filter: /[\\/]daemon[\\/]store[\\/]db\.ts$/ }, (args) => {
        const source = readFileSync(args.path, 'utf8');
        if (!LOAD_SQLJS.test(source)) {
          return { errors: [{ text: 'daemon/store/db.ts: loadSqlJs() not found; update scripts/build-daemon.ts (sql.js inline wasm)' }] };
        }
        return { contents: source.replace(LOAD_SQLJS, LOAD_SQLJS_INLINE), loader: 'ts' };
      });
    },
  };
}

export interface BuildDaemonOptions {
  outfile?: string;
  version?: string;
  minify?: boolean;
}

export async function buildDaemon(opts: BuildDaemonOptions = {}): Promise<{ outfile: string; bytes: number; warnings: string[] }> {
  const outfile = resolve(opts.outfile ?? resolve(root, 'dist', 'cco-daemon.cjs'));
  const version = opts.version ?? (JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8')) as { version: string }).version;
  mkdirSync(dirname(outfile), { recursive: true });
  const result = await build({
    stdin: { contents: ENTRY, resolveDir: root, sourcefile: 'cco-daemon-entry.ts', loader: 'ts' },
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    minify: opts.minify ?? false,
    legalComments: 'none',
    logLevel: 'silent',
    banner: { js: `#!/usr/bin/env node\n"use strict";\nvar __cco_import_meta_url = require("url").pathToFileURL(__filename).href;` },
    define: {
      'import.meta.url': '__cco_import_meta_url',
      __CCO_VERSION__: JSON.stringify(version),
      'process.env.NODE_ENV': '"production"',
    },
    // optional native speed-ups of ws; it falls back to JS without them
    external: ['bufferutil', 'utf-8-validate'],
    plugins: [bundleOverrides()],
  });
  chmodSync(outfile, 0o755);
  return { outfile, bytes: statSync(outfile).size, warnings: result.warnings.map((w) => w.text) };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  buildDaemon({ outfile: process.argv[2] }).then(
    ({ outfile, bytes, warnings }) => {
      for (const w of warnings) process.stderr.write(`warning: ${w}\n`);
      process.stdout.write(`${outfile} (${(bytes / 1024 / 1024).toFixed(1)} MB)\n`);
    },
    (err: Error) => {
      process.stderr.write(`build:daemon failed: ${err.message}\n`);
      process.exit(1);
    },
  );
}

/**
 * `npm run build:daemon` → dist/cco-daemon.cjs: the whole `cco` program (same CLI) that runs with plain `node`
 * (≥ 20) and no node_modules, as three CommonJS files side by side:
 * - `cco-daemon.cjs`, the head (daemon/cli/head.ts, ~8 KB): for `cco run` it starts the store worker, then it
 *   loads the program. So the worker thread boots, compiles its file and instantiates sql.js while the main
 *   thread reads and compiles the program, instead of after (issue 14, cold start; docs/design.md, sixth round);
 * - `cco-program-<content hash>.cjs`, the program: the CLI, the daemon and the dashboard (~5 MB);
 * - `cco-store-worker-<content hash>.cjs`, the store worker (below).
 * The head names the other two (their hashes), so it never loads another build's files.
 *
 What differs from running the sources:
 * - the store worker: the build bundles `daemon/store/store-worker.ts` alone (the store modules and sql.js
 *   with its inline wasm: 1.1 MB, not the bundle's CLI, daemon and dashboard, which a worker thread would
 *   otherwise read, parse and hold a second time) and writes it beside the bundle as
 *   `cco-store-worker-<content hash>.cjs`; the bundle also carries the same code gzip-compressed
 *   (`__CCO_STORE_WORKER_GZ__`, ~0.5 MB base64) and runs it with `eval` when the file is not beside it, so
 *   the bundle alone still runs. The hash in the name keeps a bundle from starting another build's worker
 *   (daemon/store/worker-url.ts, `workerUrl()`);
 * - a new store's database: the worker carries the schema's image (`__CCO_SCHEMA_IMAGE__`: an empty database
 *   brought to the latest schema by the same migrations, exported, made here at build time) and opens a new
 *   database from it instead of running every migration at a first start (daemon/store/schema-image.ts);
 * - sql.js: with `__CCO_SQL_WASM__ = 'inline'` the store loads `sql.js/dist/sql-wasm-inline.js` (the wasm
 *   embedded in the JS) instead of `sql-wasm.wasm` from node_modules (daemon/store/db.ts, `defaultSqlWasm()`);
 * - the dashboard (an esbuild plugin): `daemon/public` (the built renderer) is embedded as a function returning
 *   the files (its base64 strings exist only while it runs); at the first dashboard request the daemon unpacks
 *   them into a fresh private temp dir (mkdtemp, 0700, removed at exit) and serves it from there. An idle
 *   daemon whose dashboard is never opened never unpacks it.
 * - the OpenTelemetry SDK (daemon/metrics/otlp-sdk.ts, used only with `[metrics] otlp_endpoint`): bundled
 *   apart, minified, gzip-compressed and embedded as base64 (`otlpChunk`); the bundle inflates and compiles it
 *   on the first use. In the bundle's own code it would cost every daemon its source (0.6 MB) and its parse,
 *   configured or not.
 * `import.meta.url` becomes this file's URL; the version is baked in as __CCO_VERSION__.
 */
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, type BuildOptions, type Plugin } from 'esbuild';
import { STORE_WORKER_FILE } from '../daemon/store/worker-url.ts';
import { PROGRAM_FILE } from '../daemon/cli/program-file.ts';
import { loadSqlJs } from '../daemon/store/db.ts';
import { makeSchemaImage } from '../daemon/store/schema-image.ts';
import { buildStatusline } from './build-statusline.ts';

const root = resolve(import.meta.dirname, '..');
export { PROGRAM_FILE, STORE_WORKER_FILE };

/** The program's entry: the CLI (the head and the store worker are built apart, see above). */
const ENTRY = `import('./daemon/cli/main.ts').then((m) => m.runMain(process.argv.slice(2)));\n`;

const STATIC_DIR_FN = /function defaultStaticDir\(\): string \{[\s\S]*?\n\}\n/;
const STATIC_DIR_EMBEDDED = `function defaultStaticDir(): string {
  const files = __ccoDashboard();
  const names = Object.keys(files);
  if (names.length === 0) return __ccoPath.join(__ccoPath.dirname(__filename), 'public');
  const dir = __ccoFs.mkdtempSync(__ccoPath.join(__ccoOs.tmpdir(), 'cco-dashboard-'));
  for (const name of names) {
    const file = __ccoPath.join(dir, ...name.split('/'));
    __ccoFs.mkdirSync(__ccoPath.dirname(file), { recursive: true });
    __ccoFs.writeFileSync(file, Buffer.from(files[name]!, 'base64'));
  }
  process.once('exit', () => __ccoFs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}
`;
const STATIC_DIR_IMPORTS = `import * as __ccoFs from 'node:fs';
import * as __ccoOs from 'node:os';
import * as __ccoPath from 'node:path';
import { files as __ccoDashboard } from 'cco-embedded-dashboard';
`;

/** Every file under `dir` as relative path (with /) → base64. */
export function readTree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (!existsSync(dir)) return out;
  const walk = (d: string): void => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const full = join(d, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile()) out[relative(dir, full).split(sep).join('/')] = readFileSync(full).toString('base64');
    }
  };
  walk(dir);
  return out;
}

/** Embeds the dashboard (daemon/index.ts' defaultStaticDir() unpacks it); fails the build if that function moved. */
export function bundleOverrides(dashboard: Record<string, string>): Plugin {
  return {
    name: 'cco-bundle-overrides',
    setup(b) {
      b.onResolve({ filter: /^cco-embedded-dashboard$/ }, () => ({ path: 'dashboard', namespace: 'cco-embed' }));
      b.onLoad({ filter: /.*/, namespace: 'cco-embed' }, () => ({ contents: `export function files() {\n  return ${JSON.stringify(dashboard)};\n}`, loader: 'js' }));
      b.onLoad({ filter: /[\\/]daemon[\\/]index\.ts$/ }, (args) => {
        const source = readFileSync(args.path, 'utf8');
        if (!STATIC_DIR_FN.test(source)) {
          return { errors: [{ text: 'daemon/index.ts: defaultStaticDir() not found; update scripts/build-daemon.ts (embedded dashboard)' }] };
        }
        return { contents: STATIC_DIR_IMPORTS + source.replace(STATIC_DIR_FN, STATIC_DIR_EMBEDDED), loader: 'ts' };
      });
    },
  };
}

const OTLP_SDK = /[\\/]daemon[\\/]metrics[\\/]otlp-sdk\.ts$/;

/** daemon/metrics/otlp-sdk.ts and what it imports, as one minified CommonJS program, gzip-compressed, base64. */
export async function otlpChunk(): Promise<{ base64: string; bytes: number }> {
  const out = await build({
    entryPoints: [resolve(root, 'daemon', 'metrics', 'otlp-sdk.ts')],
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    minify: true,
    legalComments: 'none',
    logLevel: 'silent',
    write: false,
    // the chunk runs through vm, which has no dynamic-import hook: the SDK's import() of built-ins become require()
    supported: { 'dynamic-import': false },
  });
  const js = out.outputFiles[0]!.contents;
  return { base64: gzipSync(js, { level: 9 }).toString('base64'), bytes: js.length };
}

/** The bundle's otlp-sdk.ts: inflates the embedded chunk and runs it as a CommonJS module (Node built-ins only). */
export function otlpChunkLoader(): Plugin {
  return {
    name: 'cco-otlp-chunk',
    setup(b) {
      // its own namespace: the loader is CommonJS, while a .ts path in this package would be taken for ESM
      b.onResolve({ filter: /otlp-sdk\.ts$/ }, (args) => (OTLP_SDK.test(resolve(args.resolveDir, args.path)) ? { path: 'otlp-sdk', namespace: 'cco-otlp' } : undefined));
      b.onLoad({ filter: /.*/, namespace: 'cco-otlp' }, () => ({
        loader: 'js',
        contents: `
const zlib = require('node:zlib');
const vm = require('node:vm');
const Module = require('node:module');
const filename = __filename + '#otlp-sdk';
const source = zlib.gunzipSync(Buffer.from(__CCO_OTLP_CHUNK__, 'base64')).toString('utf8');
const chunk = { exports: {} };
vm.runInThisContext(Module.wrap(source), { filename })(chunk.exports, Module.createRequire(__filename), chunk, filename, __dirname);
module.exports = chunk.exports;
`,
      }));
    },
  };
}

/**
 * Rewrites the bundle as pure ASCII. esbuild escapes non-ASCII characters in strings, regexes and names
 * (charset 'ascii', its default) but keeps comments as written, and a single `→` in a comment makes V8
 * hold the whole source as a two-byte string: 8.6 MB instead of 4.3 MB, in each of the two threads that load
 * the bundle (the CLI/daemon and its store worker), for as long as they run. Non-ASCII characters are
 * allowed only on comment lines, where they become `\u{…}` text; anywhere else the build fails.
 */
export function asciiOnly(file: string): void {
  const text = readFileSync(file, 'utf8');
  if (!/[\u0080-\uffff]/.test(text)) return;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (!/[\u0080-\uffff]/.test(line)) continue;
    if (!/^\s*(\/\/|\/\*|\*)/.test(line)) throw new Error(`${file}:${i + 1}: non-ASCII character outside a comment line`);
    lines[i] = line.replace(/[\u{80}-\u{10ffff}]/gu, (c) => `\\u{${c.codePointAt(0)!.toString(16)}}`);
  }
  writeFileSync(file, lines.join('\n'));
}

export interface BuildDaemonOptions {
  outfile?: string;
  version?: string;
  minify?: boolean;
  /** The built dashboard to embed; default daemon/public (npm run build:renderer). */
  dashboardDir?: string;
}

export interface BuiltDaemon {
  /** The head (daemon/cli/head.ts): starts the store worker, then loads the program beside it. */
  outfile: string;
  bytes: number;
  /** The program's file beside `outfile` (the CLI and the daemon). */
  programFile: string;
  programBytes: number;
  /** The store worker's file beside `outfile`. */
  workerFile: string;
  workerBytes: number;
  warnings: string[];
  dashboardFiles: number;
}

export async function buildDaemon(opts: BuildDaemonOptions = {}): Promise<BuiltDaemon> {
  const outfile = resolve(opts.outfile ?? resolve(root, 'dist', 'cco-daemon.cjs'));
  const version = opts.version ?? (JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8')) as { version: string }).version;
  mkdirSync(dirname(outfile), { recursive: true });
  const dashboard = readTree(opts.dashboardDir ?? resolve(root, 'daemon', 'public'));
  const warnings = dashboard['index.html'] ? [] : ['no built dashboard (daemon/public/index.html): run `npm run build:renderer` first; the bundle will answer 503 at /'];
  // The fast status-line program travels inside the bundle: `cco setup claude` writes it out (statusline-install.ts).
  const statuslineTmp = resolve(dirname(outfile), `.cco-statusline-${process.pid}.cjs`);
  await buildStatusline(statuslineTmp);
  const statuslineJs = readFileSync(statuslineTmp, 'utf8');
  rmSync(statuslineTmp, { force: true });
  const otlp = await otlpChunk();
  const define = {
    'import.meta.url': '__cco_import_meta_url',
    __CCO_VERSION__: JSON.stringify(version),
    __CCO_SQL_WASM__: JSON.stringify('inline'),
    'process.env.NODE_ENV': '"production"',
  };
  const common: BuildOptions = {
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    minify: opts.minify ?? false,
    legalComments: 'none',
    logLevel: 'silent',
    banner: { js: `#!/usr/bin/env node\n"use strict";\nvar __cco_import_meta_url = require("url").pathToFileURL(__filename).href;` },
    // optional native speed-ups of ws (it falls back to JS without them) and pg's optional libpq binding
    // (only loaded through `pg.native`, which CCO never uses)
    external: ['bufferutil', 'utf-8-validate', 'pg-native'],
  };
  // The store worker first: the bundle is told its file name (with the content hash).
  const workerTmp = resolve(dirname(outfile), `.cco-store-worker-${process.pid}.cjs`);
  const schemaImage = makeSchemaImage(await loadSqlJs('file'));
  const workerResult = await build({
    ...common,
    entryPoints: [resolve(root, 'daemon', 'store', 'store-worker.ts')],
    outfile: workerTmp,
    define: { ...define, __CCO_SCHEMA_IMAGE__: JSON.stringify(schemaImage) },
  });
  asciiOnly(workerTmp);
  const workerFile = `cco-store-worker-${createHash('sha256').update(readFileSync(workerTmp)).digest('hex').slice(0, 12)}.cjs`;
  for (const name of readdirSync(dirname(outfile))) {
    if (STORE_WORKER_FILE.test(name) && name !== workerFile) rmSync(join(dirname(outfile), name), { force: true });
  }
  const workerPath = join(dirname(outfile), workerFile);
  renameSync(workerTmp, workerPath);
  const programTmp = resolve(dirname(outfile), `.cco-program-${process.pid}.cjs`);
  const result = await build({
    ...common,
    stdin: { contents: ENTRY, resolveDir: root, sourcefile: 'cco-daemon-entry.ts', loader: 'ts' },
    outfile: programTmp,
    // no `#!`: the head compiles the program as a function body (daemon/cli/head.ts), where `#!` is a syntax error
    banner: { js: common.banner!.js!.replace(/^#!.*\n/, '') },
    // the head runs the program through vm with a code cache, and Node 20 loses a script's dynamic-import hook when
    // it comes from a cache (ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING): its import() of built-ins become require()
    supported: { 'dynamic-import': false },
    define: { ...define, __CCO_STORE_WORKER_FILE__: JSON.stringify(workerFile), __CCO_STORE_WORKER_GZ__: JSON.stringify(gzipSync(readFileSync(workerPath), { level: 9 }).toString('base64')), __CCO_STATUSLINE_JS__: JSON.stringify(statuslineJs), __CCO_OTLP_CHUNK__: JSON.stringify(otlp.base64) },
    plugins: [bundleOverrides(dashboard), otlpChunkLoader()],
  });
  asciiOnly(programTmp);
  const programFile = `cco-program-${createHash('sha256').update(readFileSync(programTmp)).digest('hex').slice(0, 12)}.cjs`;
  for (const name of readdirSync(dirname(outfile))) {
    if (PROGRAM_FILE.test(name) && name !== programFile) rmSync(join(dirname(outfile), name), { force: true });
  }
  const programPath = join(dirname(outfile), programFile);
  renameSync(programTmp, programPath);
  // The head last: it names both files.
  const headResult = await build({
    ...common,
    entryPoints: [resolve(root, 'daemon', 'cli', 'head.ts')],
    outfile,
    define: { 'import.meta.url': define['import.meta.url'], __CCO_PROGRAM_FILE__: JSON.stringify(programFile), __CCO_STORE_WORKER_FILE__: JSON.stringify(workerFile) },
  });
  asciiOnly(outfile);
  chmodSync(outfile, 0o755);
  return {
    outfile,
    bytes: statSync(outfile).size,
    programFile,
    programBytes: statSync(programPath).size,
    workerFile,
    workerBytes: statSync(workerPath).size,
    warnings: [...warnings, ...[...workerResult.warnings, ...result.warnings, ...headResult.warnings].map((w) => w.text)],
    dashboardFiles: Object.keys(dashboard).length,
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  buildDaemon({ outfile: process.argv[2] }).then(
    ({ outfile, bytes, programFile, programBytes, workerFile, workerBytes, warnings, dashboardFiles }) => {
      for (const w of warnings) process.stderr.write(`warning: ${w}\n`);
      process.stdout.write(`${outfile} (${(bytes / 1024).toFixed(1)} KB, the head)\n`);
      process.stdout.write(`${join(dirname(outfile), programFile)} (${(programBytes / 1024 / 1024).toFixed(1)} MB, the program; dashboard: ${dashboardFiles} files)\n`);
      process.stdout.write(`${join(dirname(outfile), workerFile)} (${(workerBytes / 1024 / 1024).toFixed(1)} MB, the store worker)\n`);
    },
    (err: Error) => {
      process.stderr.write(`build:daemon failed: ${err.message}\n`);
      process.exit(1);
    },
  );
}

/**
 * Where the store worker's code lives, for both ways CCO runs:
 * - from TypeScript sources (tests, `npx tsx`, `npm run daemon`): this file ends with `.ts`, so the worker
 *   is `store-worker.ts` beside it and needs tsx inside the worker thread;
 * - from a build: the worker is `store-worker.<ext>` beside the built file (same extension), and the
 *   bundler must emit it as its own entry point.
 *
 * Deviation from the brief (which suggested `execArgv: ['--import', 'tsx']`): on Node 20.20 a worker
 * started that way fails with ERR_UNKNOWN_FILE_EXTENSION — loader hooks passed via `--import` in a
 * worker's execArgv are not applied to the worker's entry (measured here under both vitest and tsx).
 * Calling tsx's `register()` API inside the worker before importing the entry works, so for sources we
 * start a tiny eval'd bootstrap that does exactly that (see `startWorker`).
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { gunzipSync } from 'node:zlib';

export interface WorkerLocation {
  /** The worker module. */
  url: URL;
  /** file: URL of tsx's ESM register API when `url` is TypeScript; null for built JavaScript. */
  tsxApi: string | null;
  /** Given to the worker as `workerData`. */
  workerData?: unknown;
  /** The worker's JavaScript (CommonJS), run with `eval` instead of loading `url` (a one-file bundle alone). */
  code?: string;
}

/**
 * Baked in by the one-file build (esbuild `define`, see scripts/build-daemon.ts): the store worker's code,
 * gzip-compressed, base64 (~0.5 MB instead of its 1.1 MB of JavaScript in the bundle's own source), and the
 * name of the same code as a file the build writes beside the bundle (`cco-store-worker-<content hash>.cjs`).
 */
declare const __CCO_STORE_WORKER_GZ__: string | undefined;
declare const __CCO_STORE_WORKER_FILE__: string | undefined;

/** The store worker file's name: `cco-store-worker-<12 hex of its SHA-256>.cjs` (build, release, `cco update`). */
export const STORE_WORKER_FILE = /^cco-store-worker-[0-9a-f]{12}\.cjs$/;

/**
 * The worker of a one-file bundle: its own worker file when that file sits beside it, otherwise the same
 * code inflated from the bundle and run with `eval` (the bundle alone still runs, e.g. copied as one file or
 * replaced by an older `cco update`). The name carries the code's hash, so a bundle never starts a worker file
 * of another build. Either way the worker thread holds only the store and sql.js, not the whole bundle.
 */
export function bundleWorker(base: string, file: string | undefined, embedded: () => string, exists: (path: string) => boolean = existsSync): WorkerLocation {
  if (file) {
    const own = new URL(`./${file}`, base);
    if (exists(fileURLToPath(own))) return { url: own, tsxApi: null };
  }
  return { url: new URL(base), tsxApi: null, code: embedded() };
}

export function workerUrl(base: string = import.meta.url): WorkerLocation {
  if (typeof __CCO_STORE_WORKER_GZ__ === 'string') {
    const gz = __CCO_STORE_WORKER_GZ__;
    return bundleWorker(base, typeof __CCO_STORE_WORKER_FILE__ === 'string' ? __CCO_STORE_WORKER_FILE__ : undefined, () => gunzipSync(Buffer.from(gz, 'base64')).toString('latin1'));
  }
  const ext = /\.(ts|js|mjs|cjs)$/.exec(new URL(base).pathname)?.[1] ?? 'js';
  const url = new URL(`./store-worker.${ext}`, base);
  if (ext !== 'ts') return { url, tsxApi: null };
  // require.resolve yields the package's CommonJS build (index.cjs); its ESM twin (index.mjs) sits beside it.
  // The ESM one is needed: the CJS build resolves its own chunks wrongly when loaded from an eval'd worker.
  const cjs = createRequire(base).resolve('tsx/esm/api');
  return { url, tsxApi: pathToFileURL(cjs.replace(/\.cjs$/, '.mjs')).href };
}

/**
 * The store worker's young generation, in MB (V8 then keeps a new space of at most 16 MB, two 8 MB halves).
 * V8 grows a thread's new space whenever enough objects survived its scavenges, up to 32 MB by default on
 * 64-bit, and never gives it back: a CSV export (pages of records and their text) grew the worker's from 8
 * to 32 MB for good, +24 MB of RSS after every export at 200 k rows. 16 saves ~16 of those MB at no measured
 * cost in export or bulk-ingest CPU; 8 (no growth at all) cost +10 to +30 % export CPU (docs/design.md,
 * "Export and snapshot peaks").
 */
export const WORKER_YOUNG_GENERATION_MB = 16;

export function startWorker(loc: WorkerLocation): Worker {
  const data = {
    ...(loc.workerData === undefined ? {} : { workerData: loc.workerData }),
    resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB },
  };
  if (loc.code !== undefined) return new Worker(loc.code, { eval: true, ...data });
  if (!loc.tsxApi) return new Worker(loc.url, data);
  const code = `import(${JSON.stringify(loc.tsxApi)})
  .then((tsx) => { tsx.register(); return import(${JSON.stringify(loc.url.href)}); })
  .catch((err) => { setImmediate(() => { throw err; }); });`;
  return new Worker(code, { eval: true, ...data });
}

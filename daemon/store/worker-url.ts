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

export interface WorkerLocation {
  /** The worker module. */
  url: URL;
  /** file: URL of tsx's ESM register API when `url` is TypeScript; null for built JavaScript. */
  tsxApi: string | null;
  /** Given to the worker as `workerData` (e.g. the role a one-file bundle checks to start as the store worker). */
  workerData?: unknown;
}

/**
 * Baked in by a one-file build (esbuild `define`, see scripts/build-daemon.ts): the bundle is its own store
 * worker, started with `workerData: { role: <this value> }`; its entry checks the role.
 */
declare const __CCO_STORE_WORKER_ROLE__: string | undefined;
/**
 * Also baked in by the one-file build: the name of the small store-worker bundle it emits beside itself
 * (`cco-store-worker-<content hash>.cjs`: only the store and sql.js, not the CLI, daemon and dashboard).
 */
declare const __CCO_STORE_WORKER_FILE__: string | undefined;

/** The store worker file's name: `cco-store-worker-<12 hex of its SHA-256>.cjs` (build, release, `cco update`). */
export const STORE_WORKER_FILE = /^cco-store-worker-[0-9a-f]{12}\.cjs$/;

/**
 * The worker of a one-file bundle: its own small worker file when that file sits beside it, otherwise the
 * bundle itself started with `{ role }`. The name carries the worker's content hash, so a bundle replaced
 * alone (`cco update`, a copied single file) never starts a worker of another build: it starts itself.
 */
export function bundleWorker(base: string, role: string, file: string | undefined, exists: (path: string) => boolean = existsSync): WorkerLocation {
  if (file) {
    const own = new URL(`./${file}`, base);
    if (exists(fileURLToPath(own))) return { url: own, tsxApi: null };
  }
  return { url: new URL(base), tsxApi: null, workerData: { role } };
}

export function workerUrl(base: string = import.meta.url): WorkerLocation {
  if (typeof __CCO_STORE_WORKER_ROLE__ === 'string') {
    return bundleWorker(base, __CCO_STORE_WORKER_ROLE__, typeof __CCO_STORE_WORKER_FILE__ === 'string' ? __CCO_STORE_WORKER_FILE__ : undefined);
  }
  const ext = /\.(ts|js|mjs|cjs)$/.exec(new URL(base).pathname)?.[1] ?? 'js';
  const url = new URL(`./store-worker.${ext}`, base);
  if (ext !== 'ts') return { url, tsxApi: null };
  // require.resolve yields the package's CommonJS build (index.cjs); its ESM twin (index.mjs) sits beside it.
  // The ESM one is needed: the CJS build resolves its own chunks wrongly when loaded from an eval'd worker.
  const cjs = createRequire(base).resolve('tsx/esm/api');
  return { url, tsxApi: pathToFileURL(cjs.replace(/\.cjs$/, '.mjs')).href };
}

export function startWorker(loc: WorkerLocation): Worker {
  const data = loc.workerData === undefined ? {} : { workerData: loc.workerData };
  if (!loc.tsxApi) return new Worker(loc.url, data);
  const code = `import(${JSON.stringify(loc.tsxApi)})
  .then((tsx) => { tsx.register(); return import(${JSON.stringify(loc.url.href)}); })
  .catch((err) => { setImmediate(() => { throw err; }); });`;
  return new Worker(code, { eval: true, ...data });
}

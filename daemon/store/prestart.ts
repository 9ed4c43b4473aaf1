/**
 * The store worker started ahead of the daemon (issue 14, cold start): `cco run` starts it before it loads
 * the daemon's modules, so the thread's start, the worker's compile and sql.js' wasm instantiation (~150 ms
 * of CPU on an idle machine) run on another core while the main thread evaluates express, the API and the
 * proxy, instead of after them. `openStore` then adopts it (`takePrestartedWorker`) for its first worker;
 * the daemon drops one it did not adopt (`dropPrestartedWorker`: a PostgreSQL store needs none).
 *
 * Until adopted the worker is unref'd (a start that fails early, e.g. the data folder is locked, still exits)
 * and does nothing but load sql.js: it opens no file before its `init` message, which the store sends only
 * once it holds the data folder's lock.
 */
import type { Worker } from 'node:worker_threads';
import { startWorker, workerUrl, type WorkerLocation } from './worker-url.ts';

/** `workerData` of a prestarted worker: load the default sql.js at once, before `init` arrives. */
export interface PrestartData {
  preloadSqlJs: true;
}

interface Early {
  worker: Worker;
  gone: boolean;
  location: WorkerLocation;
}

/**
 * The one slot, on `globalThis` rather than in this module: the built daemon's head (`cco-daemon.cjs`,
 * daemon/cli/head.ts) carries its own copy of this module and starts the worker before it loads the program
 * (`cco-program-<hash>.cjs`, which has another copy); the program's `takePrestartedWorker` must see that worker.
 */
const SLOT = Symbol.for('cco.store.prestartedWorker');
const slot = globalThis as unknown as { [SLOT]?: Early | null };
const getEarly = (): Early | null => slot[SLOT] ?? null;
const setEarly = (e: Early | null): void => {
  slot[SLOT] = e;
};

/**
 * Starts the store worker now (default location), once per process; returns it (tests), or null when one was
 * already started or it could not start (never throws: the store then starts its own).
 */
export function prestartStoreWorker(location: WorkerLocation = workerUrl()): Worker | null {
  if (getEarly()) return null;
  try {
    const worker = startWorker({ ...location, workerData: { preloadSqlJs: true } satisfies PrestartData });
    const entry: Early = { worker, gone: false, location };
    // An error or exit before adoption: nobody listens yet, so it is noted and the store starts a new worker.
    worker.once('error', () => (entry.gone = true));
    worker.once('exit', () => (entry.gone = true));
    worker.unref();
    setEarly(entry);
    return worker;
  } catch {
    setEarly(null);
    return null;
  }
}

/**
 * The prestarted worker (ref'd again), or null when none was started, it was taken, or it died meanwhile. With
 * `location` (a store given its worker's location: the app's entries), only a worker started at that location
 * is taken; another is left as it is.
 */
export function takePrestartedWorker(location?: WorkerLocation): Worker | null {
  const e = getEarly();
  if (e && location && (e.location.url.href !== location.url.href || e.location.code !== location.code)) return null;
  setEarly(null);
  if (!e) return null;
  if (e.gone) return null;
  e.worker.ref();
  return e.worker;
}

/** Terminates a prestarted worker nobody adopted (a PostgreSQL store, or a store opened elsewhere). */
export function dropPrestartedWorker(): void {
  const e = getEarly();
  setEarly(null);
  if (e && !e.gone) void e.worker.terminate();
}

/** Whether `cco <argv>` runs the daemon (`cco run`, not its help): the commands that prestart the store worker. */
export function isDaemonRun(argv: readonly string[]): boolean {
  return argv[0] === 'run' && !argv.includes('-h') && !argv.includes('--help');
}

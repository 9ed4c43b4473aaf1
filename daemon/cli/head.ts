/**
 * The built daemon's entry, `cco-daemon.cjs` (issue 14, cold start): a few KB that start the store worker and
 * then load the program, `cco-program-<hash>.cjs` beside it (the whole CLI and daemon, ~4 MB).
 *
 * Why a head: the store worker is the critical path of a start (its thread's bootstrap, its file, sql.js, the
 * new database), and it could only start once the main thread had read and compiled the whole program. Here
 * it starts first, so the thread's ~100–165 ms of bootstrap and the worker's own start run on another core
 * while the main thread reads and compiles the program. The program is a file of its own, not text inside this
 * one: Node's loader would otherwise read and hold it twice (docs/design.md, third round: +10 MB idle).
 *
 * The program is compiled from its own file with a V8 code cache beside it when a previous run left one
 * (code-cache.ts: read as latin1, no UTF-8 decode; the functions a start needs deserialized, not compiled).
 *
 * The worker started here is the one the program's store adopts (store/prestart.ts keeps it on `globalThis`).
 * Without its worker file beside it the head starts none (the program then starts the worker it carries).
 * Both file names carry their content's hash (scripts/build-daemon.ts), so a head never loads another build's
 * program or worker; without its program it stops with a message (`cco update` then restores the old build).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { isDaemonRun, prestartStoreWorker } from '../store/prestart.ts';
import { limitWasmCompileThreads } from '../store/wasm-threads.ts';
import { runProgram } from './code-cache.ts';

/**
 * When a daemon start (`cco run`) without a usable code cache saves one: by then it has started, listened and
 * answered its first requests, so the cache holds their functions too. Other commands use the cache, never write it.
 */
export const CODE_CACHE_AFTER_MS = 10_000;

/** Baked in by scripts/build-daemon.ts: the names of the program's and the store worker's files beside this one. */
declare const __CCO_PROGRAM_FILE__: string;
declare const __CCO_STORE_WORKER_FILE__: string;

/** Starts the store worker when `argv` runs the daemon and the worker's file is in `dir`; then loads the program. */
export function runHead(dir: string, argv: readonly string[], programFile: string, workerFile: string): void {
  if (isDaemonRun(argv)) {
    const worker = join(dir, workerFile);
    if (existsSync(worker)) prestartStoreWorker({ url: pathToFileURL(worker), tsxApi: null });
  }
  const program = join(dir, programFile);
  if (!existsSync(program)) {
    process.stderr.write(`cco: ${program} is missing: it is the program this cco-daemon.cjs starts; install cco again (install.sh, install.ps1)\n`);
    process.exit(1);
  }
  limitWasmCompileThreads(); // the flags a code cache is made under: the store worker sets this one
  const ran = runProgram(program);
  // Only the daemon writes it: a long `cco import` changes V8 flags as it runs (cli/lean-heap.ts), and a cache
  // made under them would be rejected by the next `cco run` (and the two would rewrite it in turn).
  if (ran.cache !== 'used' && isDaemonRun(argv)) setTimeout(() => ran.writeCache(), CODE_CACHE_AFTER_MS).unref();
}

runHead(__dirname, process.argv.slice(2), __CCO_PROGRAM_FILE__, __CCO_STORE_WORKER_FILE__);

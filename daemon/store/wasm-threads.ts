/**
 * V8 compiles sql.js' wasm on up to 4 background threads by default; each keeps its own glibc malloc arena
 * after the compile, ~30 MB of the idle daemon's resident memory in all. One thread compiles it with no
 * measurable cost: idle RSS of the empty daemon 156 -> 125 MB, bulk ingest CPU unchanged (docs/design.md).
 * 0 (compile on this thread) saves the same but loses background tier-up: +20 % CPU on inserts. The flag is
 * process-wide and read when a compile starts, so the store worker sets it before sql.js loads.
 *
 * The built daemon's head (cli/head.ts) sets it too, before it compiles the program: V8 accepts a code cache
 * only under the flags it was made with, and the cache is made after the worker has set this one.
 */
import v8 from 'node:v8';

export const WASM_COMPILE_THREADS_FLAG = '--wasm-num-compilation-tasks=1';

export function limitWasmCompileThreads(): void {
  v8.setFlagsFromString(WASM_COMPILE_THREADS_FLAG);
}

/**
 * The main thread's V8 heap kept small while `cco import` writes the store itself (no daemon).
 *
 * Why: `cco import` of 100 MB of transcripts peaked at ~180 MB RSS, ~60 MB of it V8 heap pages. The main
 * thread's new space grew to V8's 64-bit maximum (two 16 MB semi-spaces: V8 grows it whenever the bytes that
 * survived its scavenges since the last growth exceed its size, which a long import always reaches), and
 * its old space filled with promoted garbage up to ~40 MB between V8's own mark-compacts. Neither size can be
 * set for a running process (`--max-semi-space-size` is read once, when the heap is set up; a worker's
 * `resourceLimits` bound only that worker, and the store is driven from this thread).
 *
 * What it does, until the returned function is called:
 * - `--semi-space-growth-factor=1`: the new space keeps the size it has (a few MB after start-up). V8 reads
 *   this flag each time it would grow a new space, so setting it at run time takes effect. The flag is the
 *   process's: the store worker's new space stops growing too, so call this once the store is open (its
 *   worker grew its new space while loading). Set before the worker started, the worker kept its first
 *   ~1 MB semi-spaces, promoted much more, and the import peaked at 176–183 MB instead of 149–151 MB;
 * - a full collection of this thread's heap every `everyMs` (store/gc.ts), so the old space holds what is
 *   alive, not every batch promoted since the last mark-compact V8 chose to run.
 * Measured with `cco import` of the 100 MB bench corpus, alternating with the build before, load 5.3–7.4:
 * peak 137–149 MB against 179–190 MB, CPU 6.3–7.7 s against 6.8–7.0 s (docs/design.md, h15-worker). Every
 * import is held lean since the store's month databases are written through the disk (h15-diskmonth): on the
 * 1 GB bench corpus, four alternating pairs at load 2–10, peak 172–178 MB against 200–209 MB, CPU 28.7–33.2 s
 * against 27.6–33.4 s (+4 % on average). Before, imports above 256 MB were not: it cost +25–36 % CPU there for
 * 35–50 MB of a ~300 MB peak that the month databases held whole in memory set. The daemon does not use it: its
 * heap serves the proxy.
 */
import v8 from 'node:v8';
import { collectGarbage } from '../store/gc.ts';

/** V8's default `--semi-space-growth-factor` (Node 20's V8 11.3 and later), restored afterwards. */
const V8_GROWTH_FACTOR = 2;
export const COLLECT_EVERY_MS = 1000;

/** Starts keeping the heap lean; the returned function stops it (idempotent). */
export function keepHeapLean(everyMs = COLLECT_EVERY_MS): () => void {
  v8.setFlagsFromString('--semi-space-growth-factor=1');
  const timer = setInterval(() => collectGarbage(), everyMs);
  timer.unref();
  let stopped = false;
  return () => {
    if (stopped) return;
    stopped = true;
    clearInterval(timer);
    v8.setFlagsFromString(`--semi-space-growth-factor=${V8_GROWTH_FACTOR}`);
  };
}

/**
 * A full garbage collection of the calling thread's V8 heap, on demand.
 *
 * Why: the store worker is idle between batches, and V8 only collects when JavaScript allocates. Large
 * ArrayBuffers that became garbage (the snapshot's `db.export()` copy, the snapshot bytes read at start,
 * MEMFS buffers outgrown by the database file) then stay in RSS for as long as the thread stays idle —
 * measured: +95 MB per export at 250 k rows, never returned. Collecting right after those moments gives it
 * back within milliseconds.
 *
 * `global.gc` exists only with `--expose-gc`, which a worker cannot be given (V8 flags are per process).
 * Setting the flag at run time and reading `gc` from a fresh vm context is the documented effect of
 * `v8.setFlagsFromString`; the flag is switched off again at once, so no other context sees `gc`.
 */
import v8 from 'node:v8';
import vm from 'node:vm';

let gcFn: (() => void) | null | undefined;

function resolveGc(): (() => void) | null {
  const existing = (globalThis as { gc?: unknown }).gc;
  if (typeof existing === 'function') return existing as () => void;
  try {
    v8.setFlagsFromString('--expose-gc');
    const fn: unknown = vm.runInNewContext('gc');
    return typeof fn === 'function' ? (fn as () => void) : null;
  } catch {
    return null;
  } finally {
    v8.setFlagsFromString('--no-expose-gc');
  }
}

/** Runs a full GC of this thread's heap; false if the runtime does not allow it (nothing happened). */
export function collectGarbage(): boolean {
  if (gcFn === undefined) gcFn = resolveGc();
  if (!gcFn) return false;
  gcFn();
  return true;
}

/** Runs a scavenge (V8's young-generation collection) of this thread's heap; false if not allowed. */
export function collectYoung(): boolean {
  if (gcFn === undefined) gcFn = resolveGc();
  if (!gcFn) return false;
  (gcFn as (options: { type: 'minor' }) => void)({ type: 'minor' });
  return true;
}

/**
 * A scavenge every `every` bytes of buffers this thread received from another thread (transferred, so their
 * memory was allocated, and is counted, where they came from).
 *
 * Why: the HTTP thread receives an export's pages as transferred buffers (~230 kB a page at 1 M rows) and
 * writes them to the socket, allocating next to nothing itself, so V8 scavenges it rarely; a written page's
 * buffer is freed only when its (young) ArrayBuffer object is found dead. V8 collects for external memory
 * only once it grew by 64 MB since the last collection: a 1 M-row export kept up to ~60 MB of written pages
 * alive, and glibc kept the arena they had been malloc'ed in (docs/design.md, h14-export). A scavenge of a
 * thread that allocates little costs well under a millisecond.
 */
export class ArrivalCollector {
  private since = 0;
  /** Scavenges run so far. */
  collections = 0;

  constructor(
    readonly every = 4 * 1024 * 1024,
    private readonly collect: () => boolean = collectYoung,
  ) {}

  /** `bytes` arrived; scavenges once `every` bytes arrived since the last one. */
  add(bytes: number): void {
    this.since += bytes;
    if (this.since < this.every) return;
    this.since = 0;
    if (this.collect()) this.collections++;
  }
}

/**
 * Watches this thread's ArrayBuffer bytes and collects when they jumped. sql.js' MEMFS grows the database
 * file by allocating a buffer 1.125× larger and copying; the old one (as large as the database) is then
 * garbage that an idle worker would keep. Normal inserts fill spare capacity and do not move the number.
 */
export class BufferWatch {
  private base = process.memoryUsage().arrayBuffers;

  constructor(private readonly minGrowth = 16 * 1024 * 1024) {}

  private lastCheck = -Infinity;

  /**
   * Collects if ArrayBuffer bytes grew by at least max(minGrowth, ¼ of the level after the last collection).
   * Looks at most once a second: `process.memoryUsage()` costs tens of µs (it reads /proc), too much per batch.
   */
  check(now = performance.now()): boolean {
    if (now - this.lastCheck < 1000) return false;
    this.lastCheck = now;
    return this.checkNow();
  }

  private checkNow(): boolean {
    const now = process.memoryUsage().arrayBuffers;
    if (now - this.base < Math.max(this.minGrowth, this.base / 4)) return false;
    this.collect();
    return true;
  }

  collect(): void {
    collectGarbage();
    this.base = process.memoryUsage().arrayBuffers;
  }
}

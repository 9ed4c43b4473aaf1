/**
 * Main-thread side of the worker RPC: starts the worker, sends fire-and-forget record lines and typed calls,
 * matches replies by id, forwards the worker's log lines — and restarts the worker if it dies.
 *
 * Restart: the new worker is initialised like the first (snapshot + every journal segment after it; the
 * journal holds every record add()ed, and INSERT OR IGNORE keeps each exactly once), with exponential
 * backoff. Calls wait while the worker is down and are re-sent to the new one once it is ready; a call that
 * was in flight when two workers died is failed instead (it may be what kills them). Record lines queued
 * meanwhile are posted to the new worker too (the replay may have read their segment before they arrived).
 */
import type { Worker } from 'node:worker_threads';
import type { DamagedFile } from './health.ts';
import type { CallMessage, InitResult, LogLevel, WorkerCalls, WorkerInbound, WorkerOutbound } from './messages.ts';
import { startWorker, workerUrl, type WorkerLocation } from './worker-url.ts';

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  msg: CallMessage;
  /** Workers this call was posted to. */
  sends: number;
}

export interface WorkerClientOptions {
  log: (level: LogLevel, msg: string) => void;
  /** A damaged file the worker moved aside. */
  onDamaged?: (d: DamagedFile) => void;
  /** What the worker's init is doing now (StoreOptions.onStep). */
  onStep?: (what: string) => void;
  location?: WorkerLocation;
  /** First restart delay; doubles per consecutive crash. Default 250 ms. */
  restartBaseMs?: number;
  /** Restart delay cap. Default 10 s. */
  restartMaxMs?: number;
  /** A worker up this long resets the backoff. Default 60 s. */
  stableMs?: number;
  /** The store's clock, sent with records and at init (the worker decides by it which months are past). */
  now?: () => number;
  /** A worker already started at `location` (store/prestart.ts), used for the first start instead of a new one. */
  prestarted?: () => Worker | null;
}

/** Sends of one call to workers that then died, after which the call is failed rather than re-sent. */
const MAX_SENDS = 2;

function errorFrom(message: string, name: string): Error {
  const e = name === 'RangeError' ? new RangeError(message) : new Error(message);
  if (name !== 'RangeError' && name !== 'Error') e.name = name;
  return e;
}

type State = 'starting' | 'ready' | 'down' | 'closed';

/**
 * How long records wait to be posted to the worker together. Each post wakes the idle worker and costs it a
 * transaction; at ~1,000 streamed requests a second, 50 ms instead of 10 halved the worker's CPU per request
 * (~40 → ~20 µs). Nothing reads the worker without posting first (every call sends the queue ahead of it),
 * so the wait is never visible; the live feed does not go through the worker.
 */
const POST_BATCH_MS = 50;

/** The chunks' bytes in one Uint8Array with an ArrayBuffer of its own. */
function concatBytes(chunks: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const c of chunks) n += c.byteLength;
  const out = new Uint8Array(n);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

export class WorkerClient {
  private worker: Worker | null = null;
  private state: State = 'down';
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closedError: Error | null = null;
  private initArgs: WorkerCalls['init']['args'] | null = null;
  private initId = 0;
  private firstInit: Pending | null = null;
  private crashes = 0;
  private startedAt = 0;
  private restartTimer: NodeJS.Timeout | null = null;
  private chunks: Uint8Array[] = [];
  private batchScheduled = false;
  private readonly location: WorkerLocation;
  private prestarted: (() => Worker | null) | undefined;
  private readonly log: (level: LogLevel, msg: string) => void;
  /** Workers started after the first; for tests and stats. */
  restarts = 0;

  constructor(private readonly opts: WorkerClientOptions) {
    this.log = opts.log;
    this.location = opts.location ?? workerUrl();
    this.prestarted = opts.prestarted;
  }

  /** Starts the first worker and initialises it (`init` call); rejects (and closes) if that fails. */
  start(args: WorkerCalls['init']['args']): Promise<InitResult> {
    if (this.initArgs !== null) return Promise.reject(new Error('store worker already started'));
    this.initArgs = args;
    return new Promise<InitResult>((resolve, reject) => {
      this.firstInit = { resolve: resolve as (v: unknown) => void, reject, msg: { ...args, type: 'init', id: 0 }, sends: 0 };
      this.spawn();
    });
  }

  private spawn(): void {
    const args = this.initArgs;
    if (args === null || this.state === 'closed') return;
    const prestarted = this.prestarted?.() ?? null;
    this.prestarted = undefined; // the first start only
    const w = prestarted ?? startWorker(this.location);
    this.worker = w;
    this.state = 'starting';
    this.startedAt = performance.now(); // monotonic: only ever compared as an interval
    w.on('message', (m: WorkerOutbound) => this.onMessage(w, m));
    w.on('error', (err) => this.log('error', `store: worker failed: ${err.message}`));
    w.on('exit', (code) => this.onExit(w, code));
    this.initId = this.nextId++;
    const now = this.opts.now?.();
    const init: WorkerInbound = { ...args, ...(now !== undefined && { now }), type: 'init', id: this.initId };
    w.postMessage(init);
  }

  private onMessage(w: Worker, m: WorkerOutbound): void {
    if (m.type === 'log') {
      this.log(m.level, m.msg);
      return;
    }
    if (m.type === 'damaged') {
      this.opts.onDamaged?.(m.damaged);
      return;
    }
    if (m.type === 'step') {
      this.opts.onStep?.(m.what);
      return;
    }
    if (w !== this.worker) return;
    if (m.id === this.initId) {
      this.onInit(w, m);
      return;
    }
    const p = this.pending.get(m.id);
    if (!p) return;
    this.pending.delete(m.id);
    if (m.ok) p.resolve(m.result);
    else p.reject(errorFrom(m.error, m.name));
  }

  private onInit(w: Worker, m: Extract<WorkerOutbound, { type: 'reply' }>): void {
    const first = this.firstInit;
    this.firstInit = null;
    if (!m.ok) {
      const err = errorFrom(m.error, m.name);
      if (first) {
        first.reject(err);
        void this.terminate();
      } else {
        this.log('error', `store: restarted worker failed to open the store: ${err.message}`);
        void w.terminate(); // its exit schedules the next attempt
      }
      return;
    }
    this.state = 'ready';
    const res = m.result as InitResult;
    if (first) first.resolve(res);
    else this.log('warn', `store: worker restarted (#${this.restarts}); ${res.requests} rows, ${res.insertedOnReplay} replayed from the journal`);
    this.postLines();
    for (const p of this.pending.values()) this.send(p);
  }

  private onExit(w: Worker, code: number): void {
    if (w !== this.worker) return;
    this.worker = null;
    if (this.state === 'closed') return;
    const err = new Error(`store worker exited (code ${code})`);
    if (this.firstInit) {
      const first = this.firstInit;
      this.firstInit = null;
      first.reject(err);
      void this.terminate();
      return;
    }
    this.state = 'down';
    for (const [id, p] of this.pending) {
      if (p.sends >= MAX_SENDS) {
        this.pending.delete(id);
        p.reject(new Error(`${err.message} while answering this ${p.msg.type} call, ${p.sends} times`));
      }
    }
    if (performance.now() - this.startedAt >= (this.opts.stableMs ?? 60_000)) this.crashes = 0;
    const delay = Math.min(this.opts.restartMaxMs ?? 10_000, (this.opts.restartBaseMs ?? 250) * 2 ** this.crashes);
    this.crashes++;
    this.log('error', `${err.message}; restarting it in ${delay} ms (${this.pending.size} call(s) waiting)`);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      this.restarts++;
      this.spawn();
    }, delay);
  }

  /** The worker is up and initialised (false while a crashed one is being restarted). */
  get up(): boolean {
    return this.state === 'ready';
  }

  /** False once closed (or the first start failed); a crashed worker being restarted still counts as alive. */
  get alive(): boolean {
    return this.state !== 'closed';
  }

  /**
   * Queues journal bytes (whole JSON lines, each ending in a newline, in an ArrayBuffer of their own) for
   * the worker; the queue is posted every POST_BATCH_MS (one postMessage per batch, the buffers transferred,
   * not copied; the journal already holds the records and the live feed does not wait for the worker), and
   * always before any call, so records stay ordered with respect to every other message. While the worker
   * is down the queue waits for the next one.
   */
  addBytes(bytes: Uint8Array): void {
    if (this.state === 'closed' || bytes.byteLength === 0) return;
    this.chunks.push(bytes);
    if (!this.batchScheduled) {
      this.batchScheduled = true;
      setTimeout(() => {
        this.batchScheduled = false;
        this.postLines();
      }, POST_BATCH_MS);
    }
  }

  private postLines(): void {
    if (this.chunks.length === 0 || this.state !== 'ready' || !this.worker) return;
    const chunks = this.chunks;
    this.chunks = [];
    // One buffer per message: transferring an ArrayBuffer costs ~10 µs each (25 per batch at 500 requests/s
    // took ~0.3 ms a post), copying a batch's few tens of KB into one costs a few µs.
    const one = chunks.length === 1 ? chunks[0]! : concatBytes(chunks);
    const now = this.opts.now?.();
    const m: WorkerInbound = { type: 'add-lines', chunks: [one], ...(now !== undefined && { now }) };
    this.worker.postMessage(m, [one.buffer as ArrayBuffer]);
  }

  private send(p: Pending): void {
    if (this.state !== 'ready' || !this.worker) return;
    this.postLines();
    p.sends++;
    this.worker.postMessage(p.msg);
  }

  call<K extends keyof WorkerCalls>(type: K, args: WorkerCalls[K]['args']): Promise<WorkerCalls[K]['result']> {
    if (this.closedError) return Promise.reject(this.closedError);
    const id = this.nextId++;
    const msg = { ...args, type, id } as CallMessage;
    return new Promise((resolve, reject) => {
      const p: Pending = { resolve: resolve as (v: unknown) => void, reject, msg, sends: 0 };
      this.pending.set(id, p);
      this.send(p);
    });
  }

  /** Test hook: makes the worker thread die abruptly ('exit': process.exit in the worker; 'throw': an uncaught error). */
  crashForTest(how: 'exit' | 'throw'): void {
    const m: WorkerInbound = { type: 'test-crash', how };
    this.worker?.postMessage(m);
  }

  async terminate(): Promise<void> {
    if (this.state === 'closed' && !this.worker) return;
    this.state = 'closed';
    this.closedError ??= new Error('store closed');
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = null;
    this.chunks = [];
    for (const p of this.pending.values()) p.reject(this.closedError);
    this.pending.clear();
    const w = this.worker;
    this.worker = null;
    await w?.terminate();
  }
}

/**
 * Main-thread side of the worker RPC: starts the worker, sends fire-and-forget `add`s and typed calls,
 * matches replies by id, forwards the worker's log lines, and fails pending calls if the worker dies.
 */
import type { Worker } from 'node:worker_threads';
import type { CallMessage, LogLevel, WorkerCalls, WorkerInbound, WorkerOutbound } from './messages.ts';
import { startWorker, workerUrl, type WorkerLocation } from './worker-url.ts';

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
}

function errorFrom(message: string, name: string): Error {
  const e = name === 'RangeError' ? new RangeError(message) : new Error(message);
  if (name !== 'RangeError' && name !== 'Error') e.name = name;
  return e;
}

export class WorkerClient {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private dead: Error | null = null;

  constructor(log: (level: LogLevel, msg: string) => void, location: WorkerLocation = workerUrl()) {
    this.worker = startWorker(location);
    this.worker.on('message', (m: WorkerOutbound) => {
      if (m.type === 'log') {
        log(m.level, m.msg);
        return;
      }
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.ok) p.resolve(m.result);
      else p.reject(errorFrom(m.error, m.name));
    });
    this.worker.on('error', (err) => {
      log('error', `store: worker failed: ${err.message}`);
      this.fail(err);
    });
    this.worker.on('exit', (code) => this.fail(new Error(`store worker exited (code ${code})`)));
  }

  private fail(err: Error): void {
    this.dead ??= err;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }

  get alive(): boolean {
    return this.dead === null;
  }

  private lines: string[] = [];
  private batchScheduled = false;

  /**
   * Queues a record (as its JSON line) for the worker; the queue is posted once per event-loop turn, and
   * always before any call, so records stay ordered with respect to every other message.
   */
  addLine(line: string): void {
    if (this.dead) return;
    this.lines.push(line);
    if (!this.batchScheduled) {
      this.batchScheduled = true;
      setImmediate(() => this.postLines());
    }
  }

  private postLines(): void {
    this.batchScheduled = false;
    if (this.lines.length === 0 || this.dead) return;
    const m: WorkerInbound = { type: 'add-lines', lines: this.lines };
    this.lines = [];
    this.worker.postMessage(m);
  }

  call<K extends keyof WorkerCalls>(type: K, args: WorkerCalls[K]['args']): Promise<WorkerCalls[K]['result']> {
    if (this.dead) return Promise.reject(this.dead);
    this.postLines();
    const id = this.nextId++;
    const m = { ...args, type, id } as CallMessage;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.worker.postMessage(m);
    });
  }

  async terminate(): Promise<void> {
    this.fail(new Error('store closed'));
    await this.worker.terminate();
  }
}

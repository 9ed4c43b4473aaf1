/**
 * A durable outbox of records on their way to PostgreSQL: the embedded store's journal (same grouped
 * write per event-loop turn, same fdatasync grouping, same segment files) in a directory of its own, plus
 * a shipper that sends closed segments to the database and deletes each one only after its records are
 * committed. The database being down never blocks `append()`: records wait in the segments (on disk, not
 * in memory) and are shipped when it is back; shipping is idempotent (see rows.ts insertBatch), so a crash
 * between the commit and the delete only re-sends records that are then skipped.
 *
 * Cycle: ship every closed segment (oldest first, read line by line, `batchSize` records per transaction);
 * then, when the open segment has lines, rotate it and ship it. A failed cycle is retried with
 * backoff (`retryMinMs` doubling to `retryMaxMs`) while new records keep being appended to the open
 * segment (no rotation while segments wait, so an outage of days leaves a few large segments, not
 * thousands).
 */
import fs from 'node:fs';
import readline from 'node:readline';
import type { RequestRecord } from '../../shared/contract.ts';
import { Journal } from '../store/journal.ts';
import { isRequestRecord } from '../store/rows.ts';
import { journalBytes, listSegments, segmentPath } from '../store/segments.ts';

export interface OutboxOptions {
  /** Directory of the outbox (segments live in `<dir>/journal/`). */
  dir: string;
  /** Sends records to the database; throws when they are not all committed (then retried). */
  ship: (records: RequestRecord[]) => Promise<void>;
  log: (level: 'info' | 'warn' | 'error', msg: string) => void;
  fsyncIntervalMs?: number;
  batchSize?: number;
  /** Wait after new records before a cycle, to group them (default 20 ms). */
  delayMs?: number;
  retryMinMs?: number;
  retryMaxMs?: number;
}

async function countLines(file: string): Promise<number> {
  let n = 0;
  try {
    for await (const chunk of fs.createReadStream(file)) {
      const b = chunk as Buffer;
      for (let i = 0; i < b.length; i++) if (b[i] === 10) n++;
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  return n;
}

export class Outbox {
  private shipped = 0;
  private rotatedAt = 0;
  private chain: Promise<void> = Promise.resolve();
  private pendingCycle: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private failures = 0;
  /** close() has begun: no retry or kick arms a timer from then on (close's own drain still ships). */
  private closing = false;
  /** close() has given up: no cycle ships a segment from then on (the caller ends its pool next). */
  private closed = false;
  private lastError: string | null = null;
  /** Lines skipped because they were not records (a torn last line after a crash, say). */
  skippedLines = 0;

  private constructor(
    private readonly opts: Required<Omit<OutboxOptions, 'fsyncIntervalMs'>>,
    private readonly journal: Journal,
    private readonly backlog: number,
  ) {}

  /** Opens the outbox; segments left by an earlier run are shipped first. */
  static async open(options: OutboxOptions): Promise<Outbox> {
    fs.mkdirSync(options.dir, { recursive: true, mode: 0o700 });
    const existing = listSegments(options.dir);
    let backlog = 0;
    for (const seq of existing) backlog += await countLines(segmentPath(options.dir, seq));
    let box: Outbox | null = null;
    const journal = Journal.open(options.dir, Math.max(0, ...existing) + 1, {
      fsyncIntervalMs: options.fsyncIntervalMs ?? 200,
      onSyncError: (err) => options.log('error', `outbox: fsync failed: ${err.message}`),
      onWriteError: (err, lines) => options.log('error', `outbox: write failed for ${lines} record(s): ${err.message}`),
      onBytes: () => box?.kick(),
    });
    box = new Outbox(
      {
        dir: options.dir,
        ship: options.ship,
        log: options.log,
        batchSize: options.batchSize ?? 1000,
        delayMs: options.delayMs ?? 20,
        retryMinMs: options.retryMinMs ?? 250,
        retryMaxMs: options.retryMaxMs ?? 30_000,
      },
      journal,
      backlog,
    );
    if (backlog > 0) {
      options.log('info', `outbox: ${backlog} record(s) from an earlier run wait to be written to the database`);
      box.kick();
    }
    return box;
  }

  /** Queues a record's JSON line for this turn's write. Throws only when closed. */
  append(line: string): void {
    this.journal.append(line);
  }

  whenWritten(done: () => void): void {
    this.journal.whenWritten(done);
  }

  /** Writes queued lines now (then the shipper is kicked). */
  writeQueued(): void {
    this.journal.writeQueued();
  }

  /** Resolves when every line appended so far is fdatasync'ed. */
  sync(): Promise<void> {
    return this.journal.sync();
  }

  /** Records appended (this run, plus the backlog found at open) and not yet committed in the database. */
  waiting(): number {
    return Math.max(0, this.backlog + this.journal.counters().appended - this.shipped);
  }

  /** Bytes of the outbox's segments on disk. */
  bytes(): number {
    return journalBytes(this.opts.dir);
  }

  /** The last shipping error while the database is unreachable, else null. */
  get error(): string | null {
    return this.lastError;
  }

  /** Shipping cycles that failed in a row (0 once one succeeds). */
  get failureCount(): number {
    return this.failures;
  }

  /** Ships every record appended before this call; rejects with the database error when that fails. */
  async drain(): Promise<void> {
    this.journal.writeQueued();
    await this.runCycle();
  }

  private kick(delay = this.opts.delayMs): void {
    if (this.closing || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.runCycle().then(
        () => {
          if (this.failures > 0) this.opts.log('info', `outbox: database reachable again; records shipped`);
          this.failures = 0;
          this.lastError = null;
        },
        (err: Error) => {
          this.failures++;
          if (this.lastError !== err.message) this.opts.log('warn', `outbox: records wait on disk: ${err.message}`);
          this.lastError = err.message;
          this.kick(Math.min(this.opts.retryMaxMs, this.opts.retryMinMs * 2 ** Math.min(16, this.failures - 1)));
        },
      );
    }, delay);
    this.timer.unref?.();
  }

  /** One cycle at a time; a cycle asked for while one runs starts after it (so it sees newer lines). */
  private runCycle(): Promise<void> {
    if (this.pendingCycle) return this.pendingCycle;
    const run = this.chain.then(() => {
      this.pendingCycle = null;
      return this.cycle();
    });
    this.pendingCycle = run;
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async cycle(): Promise<void> {
    this.journal.writeQueued();
    // closed segments first (a failure throws here, so nothing rotates while segments wait) …
    for (const seq of listSegments(this.opts.dir).filter((s) => s < this.journal.seq)) {
      if (this.closed) return;
      await this.shipSegment(seq);
    }
    if (this.closed) return;
    // … then what the open segment took meanwhile (after an outage: the records appended during it)
    if (this.journal.counters().appended === this.rotatedAt) return;
    const { oldSeq, retired } = this.journal.rotate();
    this.rotatedAt = this.journal.counters().appended;
    await retired;
    await this.shipSegment(oldSeq);
  }

  private async shipSegment(seq: number): Promise<void> {
    const file = segmentPath(this.opts.dir, seq);
    let lines = 0;
    let skipped = 0;
    let batch: RequestRecord[] = [];
    try {
      const rl = readline.createInterface({ input: fs.createReadStream(file), crlfDelay: Infinity });
      for await (const line of rl) {
        lines++;
        if (line === '') continue;
        let rec: unknown;
        try {
          rec = JSON.parse(line);
        } catch {
          rec = null;
        }
        if (!isRequestRecord(rec)) {
          skipped++;
          continue;
        }
        batch.push(rec);
        if (batch.length >= this.opts.batchSize) {
          await this.opts.ship(batch);
          batch = [];
        }
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    if (batch.length > 0) await this.opts.ship(batch);
    if (skipped > 0) {
      this.skippedLines += skipped;
      this.opts.log('warn', `outbox: ${skipped} line(s) of ${file} are not records; skipped`);
    }
    fs.rmSync(file, { force: true });
    this.shipped += lines;
  }

  /**
   * Ships what it can within `timeoutMs` (what is left stays on disk for the next start), then closes. A cycle
   * that fails meanwhile arms no retry (`closing`), and after the timeout no cycle starts another segment
   * (`closed`): the caller ends its pool next, and a ship through an ended pool must never run (it once did,
   * from a retry armed during this drain, and the segment was deleted as shipped: docs/design.md, Durability).
   */
  async close(timeoutMs = 5000): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    let timeout: NodeJS.Timeout | undefined;
    await Promise.race([
      this.drain().catch((err: Error) => this.opts.log('warn', `outbox: ${this.waiting()} record(s) stay on disk for the next start: ${err.message}`)),
      new Promise<void>((resolve) => {
        timeout = setTimeout(resolve, timeoutMs);
        timeout.unref?.();
      }),
    ]);
    clearTimeout(timeout);
    this.closed = true;
    await this.journal.close();
    // wait for a cycle still running (it holds a pool client) before the caller ends the pool
    await Promise.race([this.chain, new Promise((r) => setTimeout(r, 1000).unref?.())]);
  }
}

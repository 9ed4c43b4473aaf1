/**
 * The append-only journal (main thread). Writes are grouped: `append()` queues a line, and every line
 * queued in one event-loop turn goes to the file in one synchronous write at the end of that turn
 * (setImmediate), after which the `whenWritten()` callbacks run. Once written, a record is in the page
 * cache and survives kill -9 of the process; the proxy ends a client's response only in such a callback.
 * Under load this turns one write(2) per request into one per turn. fdatasync runs asynchronously,
 * grouped too: at most `fsyncIntervalMs` after the first unsynced write. Segments rotate on snapshot.
 *
 * Sync bookkeeping: every sync job captures (fd, appended-count) when it is queued and jobs run strictly
 * in order, a rotation queueing the old segment's final sync + close. So when a job finishes, every record
 * counted in its target is durable: those in its own segment by its fdatasync, those in earlier segments
 * by the rotation jobs that ran before it.
 */
import fs from 'node:fs';
import { promisify } from 'node:util';
import { journalDir, listSegments, segmentPath } from './segments.ts';

/** A turn that queues this many lines writes them at once (bounds memory for bulk callers). */
export const MAX_QUEUED_LINES = 4096;

const fdatasync = promisify(fs.fdatasync);
const utf8 = new TextEncoder();
const close = promisify(fs.close);

export interface JournalOptions {
  /** fdatasync at most this long after the first unsynced write. */
  fsyncIntervalMs: number;
  onSyncError(err: Error): void;
  /** A grouped write failed; `lines` records are not in the journal (0: a whenWritten callback threw). */
  onWriteError?(err: Error, lines: number): void;
  /** The bytes of each grouped write (UTF-8 lines, in an ArrayBuffer of their own); the receiver owns them. */
  onBytes?(bytes: Uint8Array): void;
}

export class Journal {
  private fd: number;
  private seqNow: number;
  private appended = 0;
  private synced = 0;
  private bytes = 0;
  private timer: NodeJS.Timeout | null = null;
  private chain: Promise<void> = Promise.resolve();
  private closed = false;
  /** Lines appended but not yet written, and the callbacks waiting for them. */
  private queued: string[] = [];
  private waiting: (() => void)[] = [];
  private writeScheduled = false;

  private readonly fsyncIntervalMs: number;
  private readonly onSyncError: (err: Error) => void;
  private readonly onWriteError: (err: Error, lines: number) => void;
  private readonly onBytes: (bytes: Uint8Array) => void;

  private constructor(
    private readonly dataDir: string,
    seq: number,
    opts: JournalOptions,
  ) {
    this.fsyncIntervalMs = opts.fsyncIntervalMs;
    this.onSyncError = opts.onSyncError;
    this.onWriteError = opts.onWriteError ?? (() => undefined);
    this.onBytes = opts.onBytes ?? (() => undefined);
    this.seqNow = seq;
    this.fd = Journal.openSegment(dataDir, seq);
  }

  /** Opens (creating) segment `seq` for appending; the journal directory is created 0700. */
  static open(dataDir: string, seq: number, opts: JournalOptions): Journal {
    fs.mkdirSync(journalDir(dataDir), { recursive: true, mode: 0o700 });
    return new Journal(dataDir, seq, opts);
  }

  private static openSegment(dataDir: string, seq: number): number {
    return fs.openSync(segmentPath(dataDir, seq), 'a', 0o600);
  }

  /** Current segment number. */
  get seq(): number {
    return this.seqNow;
  }

  /** Queues one line (a trailing newline is added) for this turn's write. Throws only when closed. */
  append(line: string): void {
    if (this.closed) throw new Error('journal closed');
    this.queued.push(line);
    if (this.queued.length >= MAX_QUEUED_LINES) {
      this.writeQueued();
      return;
    }
    if (!this.writeScheduled) {
      this.writeScheduled = true;
      setImmediate(() => this.writeQueued());
    }
  }

  /** Runs `done` once every line appended so far is written: at once if none is queued. */
  whenWritten(done: () => void): void {
    if (this.queued.length === 0) done();
    else this.waiting.push(done);
  }

  /**
   * Writes the queued lines now (one write), hands the same bytes to `onBytes` (the store passes them on to
   * its worker; they are the caller's from then on), then runs the callbacks waiting for them. A write
   * error is reported through onWriteError with the number of lines it concerns; the bytes are handed on
   * and the callbacks run anyway (the records still reach the store worker, and a client must not hang on
   * a full disk).
   */
  writeQueued(): void {
    this.writeScheduled = false;
    const lines = this.queued;
    const waiting = this.waiting;
    if (lines.length === 0 && waiting.length === 0) return;
    this.queued = [];
    this.waiting = [];
    if (lines.length > 0) {
      // An exact-size array with an ArrayBuffer of its own, so the worker can take it without a copy.
      const buf = utf8.encode(`${lines.join('\n')}\n`);
      try {
        let off = 0;
        while (off < buf.byteLength) off += fs.writeSync(this.fd, buf, off, buf.byteLength - off);
        this.appended += lines.length;
        this.bytes += buf.byteLength;
        this.timer ??= setTimeout(() => {
          this.timer = null;
          this.sync().catch(() => undefined); // reported through onSyncError
        }, this.fsyncIntervalMs);
      } catch (err) {
        this.onWriteError(err as Error, lines.length);
      }
      this.onBytes(buf);
    }
    for (const done of waiting) {
      try {
        done();
      } catch (err) {
        this.onWriteError(err as Error, 0);
      }
    }
  }

  private enqueue(job: () => Promise<void>): Promise<void> {
    const run = this.chain.then(job);
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** Resolves once every line appended before this call is fdatasync'ed. */
  sync(): Promise<void> {
    this.writeQueued();
    const fd = this.fd;
    const target = this.appended;
    return this.enqueue(async () => {
      if (target <= this.synced) return;
      try {
        await fdatasync(fd);
      } catch (err) {
        this.onSyncError(err as Error);
        throw err;
      }
      this.synced = Math.max(this.synced, target);
    });
  }

  /**
   * Switches appends to segment seq + 1 synchronously and returns the old seq; the old segment's final
   * sync and close run in the background (`retired` resolves when done).
   */
  rotate(): { oldSeq: number; retired: Promise<void> } {
    if (this.closed) throw new Error('journal closed');
    this.writeQueued(); // queued lines belong to the segment the snapshot will cover
    const oldSeq = this.seqNow;
    const oldFd = this.fd;
    const target = this.appended;
    this.fd = Journal.openSegment(this.dataDir, oldSeq + 1);
    this.seqNow = oldSeq + 1;
    const retired = this.enqueue(async () => {
      try {
        await fdatasync(oldFd);
        this.synced = Math.max(this.synced, target);
      } catch (err) {
        this.onSyncError(err as Error);
      } finally {
        await close(oldFd);
      }
    });
    return { oldSeq, retired };
  }

  /** Deletes segments ≤ seq (never the current one). Returns how many were removed. */
  deleteUpTo(seq: number): number {
    let n = 0;
    for (const s of listSegments(this.dataDir)) {
      if (s > seq || s === this.seqNow) continue;
      try {
        fs.unlinkSync(segmentPath(this.dataDir, s));
        n++;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
    }
    return n;
  }

  /** Lines written / lines known durable / bytes written since open (queued lines not yet counted). */
  counters(): { appended: number; synced: number; bytes: number } {
    return { appended: this.appended, synced: this.synced, bytes: this.bytes };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.sync().catch(() => undefined);
    this.closed = true;
    const fd = this.fd;
    await this.enqueue(() => close(fd));
  }
}

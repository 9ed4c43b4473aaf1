/**
 * The append-only journal (main thread). Writes are grouped: `append()` queues a line, and every line
 * queued in one event-loop turn goes to the file in one synchronous write at the end of that turn
 * (setImmediate), after which the `whenWritten()` callbacks run. Once written, a record is in the page
 * cache and survives kill -9 of the process; the proxy ends a client's response only in such a callback.
 * Under load this turns one write(2) per request into one per turn. fdatasync runs asynchronously,
 * grouped too: at most `fsyncIntervalMs` after the first unsynced write. Segments rotate on snapshot.
 *
 * A failed or short write (ENOSPC, EIO) never leaves a torn line for the next record to be glued onto: the
 * segment is truncated back to the last good offset (or, if that fails too, the next write starts with a
 * newline). The lines are kept (up to MAX_PENDING_LINES) and written again, ahead of newer ones, at the
 * next write or by a retry timer every RETRY_MS, so they reach the journal once space returns. They were
 * handed to the worker at once, so queries and the next snapshot include them meanwhile.
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
/** Lines kept for a retry after failed writes; beyond this the oldest are dropped (and reported). */
export const MAX_PENDING_LINES = 200_000;
/** Retry period for lines a failed write left behind. */
export const RETRY_MS = 1000;

const fdatasync = promisify(fs.fdatasync);
const utf8 = new TextEncoder();
const close = promisify(fs.close);

export interface JournalOptions {
  /** fdatasync at most this long after the first unsynced write. */
  fsyncIntervalMs: number;
  onSyncError(err: Error): void;
  /**
   * A grouped write failed; `lines` records now wait for a retry (0: a whenWritten callback threw). The
   * first successful write after failures calls `onWriteRecovered`.
   */
  onWriteError?(err: Error, lines: number): void;
  onWriteRecovered?(lines: number): void;
  /** Lines given up (more than MAX_PENDING_LINES waiting, or still waiting at close). */
  onDropped?(lines: number): void;
  /** Retry period for lines left by failed writes (default RETRY_MS). */
  retryMs?: number;
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
  /** Lines a failed write left behind (already handed to onBytes), written again first. */
  private retryLines: string[] = [];
  private retryTimer: NodeJS.Timeout | null = null;
  /** Segment size after the last good write: a failed write is truncated back to it. */
  private goodSize: number;
  /** The truncation failed: the segment may end in a partial line, so the next write starts a new one. */
  private needNewline = false;

  private readonly fsyncIntervalMs: number;
  private readonly onSyncError: (err: Error) => void;
  private readonly onWriteError: (err: Error, lines: number) => void;
  private readonly onBytes: (bytes: Uint8Array) => void;
  private readonly onWriteRecovered: (lines: number) => void;
  private readonly onDropped: (lines: number) => void;
  private readonly retryMs: number;

  private constructor(
    private readonly dataDir: string,
    seq: number,
    opts: JournalOptions,
    /** A journal of one fixed file (`openFile`: never rotated), else null (segments of dataDir). */
    private readonly file: string | null = null,
  ) {
    this.fsyncIntervalMs = opts.fsyncIntervalMs;
    this.onSyncError = opts.onSyncError;
    this.onWriteError = opts.onWriteError ?? (() => undefined);
    this.onBytes = opts.onBytes ?? (() => undefined);
    this.onWriteRecovered = opts.onWriteRecovered ?? (() => undefined);
    this.onDropped = opts.onDropped ?? (() => undefined);
    this.retryMs = opts.retryMs ?? RETRY_MS;
    this.seqNow = seq;
    this.fd = file === null ? Journal.openSegment(dataDir, seq) : fs.openSync(file, 'a+', 0o600);
    this.goodSize = fs.fstatSync(this.fd).size;
    this.needNewline = this.goodSize > 0 && !endsWithNewline(this.fd, this.goodSize);
  }

  /** Opens (creating) segment `seq` for appending; the journal directory is created 0700. */
  static open(dataDir: string, seq: number, opts: JournalOptions): Journal {
    fs.mkdirSync(journalDir(dataDir), { recursive: true, mode: 0o700 });
    return new Journal(dataDir, seq, opts);
  }

  /**
   * A journal of one file that is never rotated (the records held while the store opens, store/standby.ts):
   * the same grouped writes, whenWritten, grouped fdatasync and retries as the store's journal.
   */
  static openFile(file: string, opts: JournalOptions): Journal {
    return new Journal(file, 0, opts, file);
  }

  private static openSegment(dataDir: string, seq: number): number {
    return fs.openSync(segmentPath(dataDir, seq), 'a+', 0o600); // + read: the last byte is checked after a failed write
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
    if (lines.length === 0 && waiting.length === 0 && this.retryLines.length === 0) return;
    this.queued = [];
    this.waiting = [];
    // An exact-size array with an ArrayBuffer of its own, so the worker can take it without a copy.
    const fresh = lines.length > 0 ? utf8.encode(`${lines.join('\n')}\n`) : null;
    if (lines.length > 0 || this.retryLines.length > 0) this.writeLines(lines, fresh);
    if (fresh) this.onBytes(fresh);
    for (const done of waiting) {
      try {
        done();
      } catch (err) {
        this.onWriteError(err as Error, 0);
      }
    }
  }

  /** Writes the lines left by failed writes, then `lines` (whose bytes are `fresh`), in one write. */
  private writeLines(lines: string[], fresh: Uint8Array | null): void {
    const retrying = this.retryLines.length;
    const all = retrying > 0 ? [...this.retryLines, ...lines] : lines;
    let buf = retrying > 0 || !fresh ? utf8.encode(`${all.join('\n')}\n`) : fresh;
    if (this.needNewline) buf = Buffer.concat([Buffer.from('\n'), buf]);
    let off = 0;
    try {
      while (off < buf.byteLength) off += fs.writeSync(this.fd, buf, off, buf.byteLength - off);
    } catch (err) {
      this.writeFailed(err as Error, all, off);
      return;
    }
    this.goodSize += buf.byteLength;
    this.needNewline = false;
    this.retryLines = [];
    this.appended += all.length;
    this.bytes += buf.byteLength;
    if (retrying > 0) this.onWriteRecovered(retrying);
    this.timer ??= setTimeout(() => {
      this.timer = null;
      this.sync().catch(() => undefined); // reported through onSyncError
    }, this.fsyncIntervalMs);
  }

  /** Cuts a partial write back to the last good line end and keeps the lines for a retry. */
  private writeFailed(err: Error, all: string[], written: number): void {
    if (written > 0 || this.needNewline) {
      try {
        fs.ftruncateSync(this.fd, this.goodSize);
        this.needNewline = this.goodSize > 0 && !endsWithNewline(this.fd, this.goodSize);
      } catch {
        this.needNewline = true;
        try {
          this.goodSize = fs.fstatSync(this.fd).size;
        } catch {
          // keep the old offset; the newline still separates what follows
        }
      }
    }
    let keep = all;
    if (keep.length > MAX_PENDING_LINES) {
      this.onDropped(keep.length - MAX_PENDING_LINES);
      keep = keep.slice(keep.length - MAX_PENDING_LINES);
    }
    this.retryLines = keep;
    this.onWriteError(err, keep.length);
    this.retryTimer ??= setTimeout(() => {
      this.retryTimer = null;
      if (!this.closed) this.writeQueued();
    }, this.retryMs);
    this.retryTimer.unref();
  }

  /** Records waiting for a retry after failed writes (0 when the journal is writable). */
  pendingLines(): number {
    return this.retryLines.length;
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
    if (this.file !== null) throw new Error('a one-file journal is not rotated');
    this.writeQueued(); // queued lines belong to the segment the snapshot will cover
    const oldSeq = this.seqNow;
    const oldFd = this.fd;
    const target = this.appended;
    this.fd = Journal.openSegment(this.dataDir, oldSeq + 1);
    this.seqNow = oldSeq + 1;
    this.goodSize = fs.fstatSync(this.fd).size;
    this.needNewline = this.goodSize > 0 && !endsWithNewline(this.fd, this.goodSize);
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

  /** Writes the queued lines, then returns a copy of the lines failed writes left for a retry (still the journal's). */
  unwrittenLines(): string[] {
    this.writeQueued();
    return [...this.retryLines];
  }

  /**
   * Hands over the lines failed writes left for a retry (they are then the caller's: neither written again
   * nor reported as dropped). Queued lines are written first.
   */
  drainPending(): string[] {
    this.writeQueued();
    const lines = this.retryLines;
    this.retryLines = [];
    return lines;
  }

  /** Lines written / lines known durable / bytes written since open (queued lines not yet counted). */
  counters(): { appended: number; synced: number; bytes: number } {
    return { appended: this.appended, synced: this.synced, bytes: this.bytes };
  }

  /**
   * Syncs and closes. Lines still waiting for a retry are reported as dropped, unless `covered` (a snapshot
   * taken after they were handed on already holds them).
   */
  async close(covered = false): Promise<void> {
    if (this.closed) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.sync().catch(() => undefined);
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    if (this.retryLines.length > 0 && !covered) this.onDropped(this.retryLines.length);
    this.retryLines = [];
    const fd = this.fd;
    await this.enqueue(() => close(fd));
  }
}

/** True when the byte before `size` is a newline. */
function endsWithNewline(fd: number, size: number): boolean {
  const b = Buffer.alloc(1);
  try {
    return fs.readSync(fd, b, 0, 1, size - 1) === 1 && b[0] === 0x0a;
  } catch {
    return true; // unreadable: assume a clean end
  }
}

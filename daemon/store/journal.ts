/**
 * The append-only journal (main thread). `append()` is one synchronous write into the page cache (so a
 * record survives kill -9 of the process as soon as it returns); fdatasync runs asynchronously, grouped:
 * at most `fsyncIntervalMs` after the first unsynced append. Segments rotate on snapshot.
 *
 * Sync bookkeeping: every sync job captures (fd, appended-count) when it is queued and jobs run strictly
 * in order, a rotation queueing the old segment's final sync + close. So when a job finishes, every record
 * counted in its target is durable: those in its own segment by its fdatasync, those in earlier segments
 * by the rotation jobs that ran before it.
 */
import fs from 'node:fs';
import { promisify } from 'node:util';
import { journalDir, listSegments, segmentPath } from './segments.ts';

const fdatasync = promisify(fs.fdatasync);
const close = promisify(fs.close);

export class Journal {
  private fd: number;
  private seqNow: number;
  private appended = 0;
  private synced = 0;
  private bytes = 0;
  private timer: NodeJS.Timeout | null = null;
  private chain: Promise<void> = Promise.resolve();
  private closed = false;

  private constructor(
    private readonly dataDir: string,
    seq: number,
    private readonly fsyncIntervalMs: number,
    private readonly onSyncError: (err: Error) => void,
  ) {
    this.seqNow = seq;
    this.fd = Journal.openSegment(dataDir, seq);
  }

  /** Opens (creating) segment `seq` for appending; the journal directory is created 0700. */
  static open(dataDir: string, seq: number, fsyncIntervalMs: number, onSyncError: (err: Error) => void): Journal {
    fs.mkdirSync(journalDir(dataDir), { recursive: true, mode: 0o700 });
    return new Journal(dataDir, seq, fsyncIntervalMs, onSyncError);
  }

  private static openSegment(dataDir: string, seq: number): number {
    return fs.openSync(segmentPath(dataDir, seq), 'a', 0o600);
  }

  /** Current segment number. */
  get seq(): number {
    return this.seqNow;
  }

  /** Appends one line (a trailing newline is added). Throws on I/O error (caller counts the failure). */
  append(line: string): void {
    if (this.closed) throw new Error('journal closed');
    const buf = Buffer.from(`${line}\n`, 'utf8');
    let off = 0;
    while (off < buf.length) off += fs.writeSync(this.fd, buf, off, buf.length - off);
    this.appended++;
    this.bytes += buf.length;
    this.timer ??= setTimeout(() => {
      this.timer = null;
      this.sync().catch(() => undefined); // reported through onSyncError
    }, this.fsyncIntervalMs);
  }

  private enqueue(job: () => Promise<void>): Promise<void> {
    const run = this.chain.then(job);
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** Resolves once every line appended before this call is fdatasync'ed. */
  sync(): Promise<void> {
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

  /** Lines appended / lines known durable / bytes appended since open. */
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

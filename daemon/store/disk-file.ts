/**
 * A sealed month database that sql.js reads from its file page by page, instead of holding the whole file in
 * memory. For an export's months (partitioned.ts, `list` with `stream`): a month of 1 M rows a year is a 26–34 MB
 * file, which a database opened from its bytes keeps in the store worker for as long as it is open; read from
 * disk, the month costs SQLite's page cache (~2 MB) and a small read window (docs/design.md, h14-export).
 *
 * How: sql.js has no VFS and does not export Emscripten's FS. `new SQL.Database(data)` writes `data` into an
 * in-memory file (MEMFS), and MEMFS keeps what `data.slice(0, length)` returns as the file's contents when the
 * file was empty (its first write); every read of the file then copies `contents.subarray(from, to)` into
 * SQLite's memory. So `contents` below is handed over as `data`: its `slice` returns itself and its `subarray`
 * reads the bytes from the file. A write into the file (MEMFS calls `contents.set`) is refused with EIO: SQLite
 * reports an error and the file on disk is never touched. Only read-only work may use such a database; one
 * that needs writing is loaded whole (partitioned.ts). Checked against sql.js 1.x's MEMFS (disk-file.test.ts:
 * the same answers as the bytes loaded whole, a write refused, the file unchanged).
 *
 * The descriptor stays open until `close`: a month file re-sealed meanwhile is a new file renamed over the old
 * one, so this database keeps reading the one it opened (and one removed under it is still read on Linux and
 * macOS).
 *
 * A read that fails (an fs error such as EIO, or the file is shorter than when it was opened: truncated under
 * CCO) throws a DiskReadError naming the file and what happened, and so does every read after it: it goes up
 * through sql.js to the query, so the API and the CLI say that instead of an fs error or, for a short read,
 * "database disk image is malformed" over stale bytes. The database is then not to be used again (the
 * exception left SQLite mid-call): the store closes it (partitioned.ts `closeUnreadable`).
 */
import fs from 'node:fs';

/**
 * Bytes read at once when SQLite reads on from where its last read ended (it reads one page, 4 kB, at a time).
 * Only then: `quick_check` and index look-ups jump around the file, and reading ahead at every read copied
 * 1.1 GB to check a 33 MB month (8,400 reads) against 65 MB so (measured in-process, load 12).
 */
const WINDOW = 128 * 1024;

/** Emscripten's FS error shape (name + WASI errno): its system calls turn it into an error return. */
class ReadOnlyError extends Error {
  override name = 'ErrnoError';
  readonly errno = 29; // EIO
  constructor() {
    super('month database read from disk: writes are refused');
  }
}

/** DiskReadError's name, which it keeps across the worker boundary (worker-client.ts): the API answers it 503. */
export const DISK_READ_ERROR = 'DiskReadError';

/** A month file read page by page could not be read (see the header). */
export class DiskReadError extends Error {
  override name = DISK_READ_ERROR;
  constructor(
    readonly file: string,
    what: string,
    label?: string,
  ) {
    super(`${label ? `${label}: ` : ''}cannot read ${file}: ${what}`);
  }
}

/** What MEMFS takes as a file's contents: its length, `slice`, `subarray` and `set`. */
class FileContents {
  private readonly window = Buffer.allocUnsafeSlow(WINDOW);
  private winStart = 0;
  private winEnd = 0;
  /** Where the last read asked for ended. */
  private lastEnd = -1;
  /** Reads from the file so far (for tests). */
  reads = 0;
  /** The first read that failed; every read after it fails the same way. */
  failure: DiskReadError | null = null;

  constructor(
    private readonly fd: number,
    readonly length: number,
    private readonly file: string,
    private readonly label: string | undefined,
  ) {}

  /** MEMFS's first write of the file keeps `slice(0, length)` as its contents: this object. */
  slice(start: number, end: number): FileContents {
    if (start !== 0 || end !== this.length) throw new Error('disk-file: unexpected slice');
    return this;
  }

  /** Bytes [start, end) of the file; valid until the next call (MEMFS copies them at once). */
  subarray(start: number, end: number): Uint8Array {
    if (this.failure) throw this.failure;
    end = Math.min(end, this.length);
    if (end <= start) return this.window.subarray(0, 0);
    const onwards = start === this.lastEnd;
    this.lastEnd = end;
    if (start >= this.winStart && end <= this.winEnd) return this.window.subarray(start - this.winStart, end - this.winStart);
    const n = end - start;
    if (n > WINDOW) return this.read(Buffer.allocUnsafe(n), start, n);
    const got = this.read(this.window, start, onwards ? Math.min(WINDOW, this.length - start) : n);
    this.winStart = start;
    this.winEnd = start + got.length;
    return this.window.subarray(0, Math.min(n, got.length));
  }

  private read(into: Buffer, at: number, n: number): Buffer {
    let off = 0;
    while (off < n) {
      let r: number;
      try {
        r = fs.readSync(this.fd, into, off, n - off, at + off);
      } catch (err) {
        throw this.fail((err as Error).message);
      }
      if (r === 0) {
        // MEMFS would hand SQLite the requested length, the rest of it stale bytes: never a short read
        let now = '';
        try {
          now = `${fs.fstatSync(this.fd).size} of `;
        } catch {
          // the size is only for the message
        }
        throw this.fail(`it is shorter than when it was opened (${now}${this.length} bytes, reading at ${at + off}): truncated under CCO`);
      }
      off += r;
    }
    this.reads++;
    return into.subarray(0, off);
  }

  private fail(what: string): DiskReadError {
    this.failure = new DiskReadError(this.file, what, this.label);
    return this.failure;
  }

  set(): never {
    throw new ReadOnlyError();
  }
}

export class DiskFile {
  private fd: number | null;
  readonly contents: FileContents;

  /** `label` begins the message of a read error (partitioned.ts: `month YYYY-MM`). */
  constructor(file: string, label?: string) {
    const fd = fs.openSync(file, 'r');
    try {
      this.contents = new FileContents(fd, fs.fstatSync(fd).size, file, label);
    } catch (err) {
      fs.closeSync(fd);
      throw err;
    }
    this.fd = fd;
  }

  get size(): number {
    return this.contents.length;
  }

  /** The read error that made this database unusable, or null. */
  get failure(): DiskReadError | null {
    return this.contents.failure;
  }

  /** What to pass to `new SQL.Database(...)` (typed as the bytes sql.js expects; see the header). */
  get data(): Uint8Array {
    return this.contents as unknown as Uint8Array;
  }

  /** Closes the file; call after the database is closed. */
  close(): void {
    if (this.fd === null) return;
    fs.closeSync(this.fd);
    this.fd = null;
  }
}

/**
 * A month database that sql.js reads from its file page by page, instead of holding the whole file in memory,
 * and (h15-diskmonth) writes through a working copy on disk. A month of 1 M rows a year is a 26–34 MB file,
 * which a database opened from its bytes keeps in the store worker for as long as it is open, and a month being
 * imported was exported whole again at each snapshot; from disk, a month costs SQLite's page cache (~2 MB) and a
 * small read window (docs/design.md, h14-export and h15-diskmonth).
 *
 * How: sql.js has no VFS and does not export Emscripten's FS. `new SQL.Database(data)` writes `data` into an
 * in-memory file (MEMFS), and MEMFS keeps what `data.slice(0, length)` returns as the file's contents when the
 * file was empty (its first write); every read of the file then copies `contents.subarray(from, to)` into
 * SQLite's memory, and every write calls `contents.set(bytes, at)` after `expandFileStorage`, which replaces the
 * contents only when `contents.length` is below the end of the write. So `contents` below is handed over as
 * `data`: its `slice` returns itself, its `subarray` reads the bytes from the file, and its `length` is the
 * file's size until MEMFS took it, then a capacity no write reaches.
 *
 * Three kinds (checked against sql.js 1.x's MEMFS in disk-file.test.ts):
 * - `DiskFile.read(file)`: writes (`set`) are refused with EIO; SQLite reports an error and the file is never
 *   touched.
 * - `DiskFile.copyOnWrite(file, work)`: reads `file` until SQLite first writes; then `file` is copied to `work`
 *   (a kernel copy: no bytes pass through this process), the descriptor moves to the copy, and every write goes
 *   there. `file` itself is never written.
 * - `DiskFile.scratch(work)`: `work` is written from the start (a new month: its first bytes written by the
 *   caller).
 * A working copy is the caller's to seal (`copyTo`: a new file, fsynced, as the staging protocol wants) and is
 * removed at `close`. It is never what cco.sqlite names: a kill -9 leaves it behind, and the next start
 * removes it (months.ts `removePartitionTemps`).
 *
 * One MEMFS path replaces the contents whatever their length: a truncate (`resizeFileStorage`), which SQLite
 * does only when a database file shrinks (a rollback of a transaction that had spilled pages past the old end,
 * VACUUM, auto-vacuum). MEMFS then copies the file out through `subarray(0, newSize)` into a plain array and
 * goes on in memory. That read, from 0 and longer than a page, is how `detached` learns of it: the database
 * is whole in memory from then on, as before this module, and `copyTo` refuses (the caller exports it).
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
import path from 'node:path';
import { fsyncDir } from './segments.ts';

/**
 * Bytes read at once when SQLite reads on from where its last read ended (it reads one page, 4 kB, at a time).
 * Only then: `quick_check` and index look-ups jump around the file, and reading ahead at every read copied
 * 1.1 GB to check a 33 MB month (8,400 reads) against 65 MB so (measured in-process, load 12).
 */
const WINDOW = 128 * 1024;
/** SQLite's largest page size. */
const MAX_PAGE = 65536;
/** `contents.length` once MEMFS holds this object: no write ends past it, so MEMFS never replaces it. */
const CAPACITY = Number.MAX_SAFE_INTEGER;

/** Emscripten's FS error shape (name + WASI errno): its system calls turn it into an error return. */
class DiskError extends Error {
  override name = 'ErrnoError';
  readonly errno = 29; // EIO
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
  /** MEMFS holds this object as the file's contents (its first write, `slice`). */
  private held = false;
  /** The file's size as SQLite sees it (grows with writes past the end). */
  size: number;
  /** Reads from the file so far (for tests). */
  reads = 0;
  /** Writes into the working copy so far (for tests). */
  writes = 0;
  /** The first read that failed; every read after it fails the same way. */
  failure: DiskReadError | null = null;
  /** MEMFS copied the file out and holds it in memory (a truncate, see the header): not read or written here. */
  detached = false;
  /** The database's page size (its header): SQLite never reads more than a page from offset 0. */
  private readonly page: number;

  constructor(
    public fd: number,
    /** The file `fd` reads until it is copied (copy-on-write), or null. */
    private readonly source: string | null,
    /** The working copy: where writes go (the file `fd` is open on once `owned`), or null (read-only). */
    readonly work: string | null,
    /** `fd` is the working copy. */
    public owned: boolean,
    /** Begins the message of a read error. */
    private readonly label: string | undefined,
  ) {
    this.size = fs.fstatSync(fd).size;
    const head = Buffer.alloc(2);
    const p = this.size >= 100 && fs.readSync(fd, head, 0, 2, 16) === 2 ? head.readUInt16BE(0) : 0;
    this.page = p === 1 ? MAX_PAGE : p >= 512 ? p : MAX_PAGE;
  }

  get length(): number {
    return this.held && this.work !== null ? CAPACITY : this.size;
  }

  /** MEMFS's first write of the file keeps `slice(0, length)` as its contents: this object. */
  slice(start: number, end: number): FileContents {
    if (start !== 0 || end !== this.size) throw new Error('disk-file: unexpected slice');
    this.held = true;
    return this;
  }

  /** Bytes [start, end) of the file; valid until the next call (MEMFS copies them at once). */
  subarray(start: number, end: number): Uint8Array {
    if (this.failure) throw this.failure;
    end = Math.min(end, this.size);
    if (end <= start) return this.window.subarray(0, 0);
    if (start === 0 && end > this.page && this.work !== null) this.detached = true;
    const onwards = start === this.lastEnd;
    this.lastEnd = end;
    if (start >= this.winStart && end <= this.winEnd) return this.window.subarray(start - this.winStart, end - this.winStart);
    const n = end - start;
    if (n > WINDOW) return this.read(Buffer.allocUnsafe(n), start, n);
    const got = this.read(this.window, start, onwards ? Math.min(WINDOW, this.size - start) : n);
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
        throw this.fail(`it is shorter than when it was opened (${now}${this.size} bytes, reading at ${at + off}): truncated under CCO`);
      }
      off += r;
    }
    this.reads++;
    return into.subarray(0, off);
  }

  /** The file being read now (the working copy once made). */
  private get file(): string {
    return this.owned ? this.work! : this.source!;
  }

  private fail(what: string): DiskReadError {
    this.failure = new DiskReadError(this.file, what, this.label);
    return this.failure;
  }

  /** A write of SQLite's (MEMFS `write`): into the working copy, made at the first one. */
  set(bytes: Uint8Array, at: number): void {
    if (this.work === null) throw new DiskError('month database read from disk: writes are refused');
    if (!this.owned) this.copyOut();
    let off = 0;
    while (off < bytes.length) off += fs.writeSync(this.fd, bytes, off, bytes.length - off, at + off);
    this.writes++;
    this.size = Math.max(this.size, at + bytes.length);
    if (at < this.winEnd && at + bytes.length > this.winStart) this.winStart = this.winEnd = 0; // stale window
  }

  /** Copy-on-write: the source becomes the working copy, and `fd` moves to it. */
  private copyOut(): void {
    const work = this.work!;
    // The path must still name the file `fd` reads (a re-seal renames a new file over it only after this month's
    // database wrote, i.e. after this copy): the copy is made by name, in the kernel.
    const a = fs.fstatSync(this.fd);
    const b = fs.statSync(this.source!);
    if (a.ino !== b.ino || a.dev !== b.dev || a.size !== this.size) throw new DiskError(`disk-file: ${this.source} changed under its open database`);
    fs.copyFileSync(this.source!, work, fs.constants.COPYFILE_EXCL);
    fs.chmodSync(work, 0o600);
    const fd = fs.openSync(work, 'r+');
    fs.closeSync(this.fd);
    this.fd = fd;
    this.owned = true;
  }
}

export class DiskFile {
  private closed = false;

  private constructor(readonly contents: FileContents) {}

  /** `file` read page by page; writes refused. `label` begins the message of a read error (`month YYYY-MM`). */
  static read(file: string, label?: string): DiskFile {
    return DiskFile.opened(file, (fd) => new FileContents(fd, file, null, false, label));
  }

  /** `file` read page by page until the first write, which copies it to `work` first (see the header). */
  static copyOnWrite(file: string, work: string, label?: string): DiskFile {
    return DiskFile.opened(file, (fd) => new FileContents(fd, file, work, false, label));
  }

  /** `work` (already written by the caller) read and written page by page; removed at close. */
  static scratch(work: string, label?: string): DiskFile {
    return DiskFile.opened(work, (fd) => new FileContents(fd, null, work, true, label), 'r+');
  }

  private static opened(file: string, make: (fd: number) => FileContents, flags = 'r'): DiskFile {
    const fd = fs.openSync(file, flags);
    try {
      return new DiskFile(make(fd));
    } catch (err) {
      fs.closeSync(fd);
      throw err;
    }
  }

  get size(): number {
    return this.contents.size;
  }

  /** Writes went (or go) to a working copy of this database's own. */
  get written(): boolean {
    return this.contents.owned;
  }

  /** The read error that made this database unusable, or null. */
  get failure(): DiskReadError | null {
    return this.contents.failure;
  }

  /** MEMFS holds the database in memory now (see the header): `copyTo` refuses. */
  get detached(): boolean {
    return this.contents.detached;
  }

  /** What to pass to `new SQL.Database(...)` (typed as the bytes sql.js expects; see the header). */
  get data(): Uint8Array {
    return this.contents as unknown as Uint8Array;
  }

  /**
   * Writes the database's bytes as `file` (`<file>.tmp`, fsync, rename, fsync of the folder; mode 0600), the
   * way db.ts `writeDatabaseFile` writes an exported database, from the working copy (a kernel copy: no bytes
   * pass through this process). `bytes` is the size SQLite says the database has (page_count × page_size).
   * Returns null (the caller then exports the database) when there is no working copy holding it: nothing was
   * written yet, MEMFS took the database into memory, or the size differs. Call between transactions.
   */
  copyTo(file: string, bytes: number): number | null {
    const c = this.contents;
    if (this.closed || !c.owned || c.work === null || c.detached || c.size !== bytes) return null;
    const tmp = `${file}.tmp`;
    fs.copyFileSync(c.work, tmp);
    const fd = fs.openSync(tmp, 'r+');
    try {
      if (fs.fstatSync(fd).size !== bytes) throw new Error(`disk-file: copy of ${bytes} bytes came out short`);
      fs.fchmodSync(fd, 0o600);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
    fsyncDir(path.dirname(file));
    return bytes;
  }

  /** Closes the file, and removes the working copy; call after the database is closed. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    fs.closeSync(this.contents.fd);
    if (this.contents.owned && this.contents.work !== null) fs.rmSync(this.contents.work, { force: true });
  }
}

/**
 * One writer per data folder: `<dataDir>/cco.lock`, JSON {pid, port, startedAt, hostname, role, procStart},
 * mode 0600. The daemon holds it from before it opens the store until its store is closed; every CLI command
 * that writes the store directly (`cco reprice`, `cco import`, `cco reconcile` without a daemon) holds it
 * for its run. A second holder is refused with one line naming the first.
 *
 * Acquire: the record is written to a temp file of our own, then hard-linked to `cco.lock` — atomic, and
 * EEXIST means someone holds it (the lock file is never seen half-written). A lock whose process is gone
 * (same host, `process.kill(pid, 0)` fails, or on Linux the pid now belongs to a process started at another
 * time — a pid reused after a reboot or in a container) is stale and is broken: under `cco.lock.break`
 * (O_EXCL, held for microseconds) the lock is read again and removed only if it is still the same stale file
 * (same inode); then linking starts over. So two processes racing for a stale lock cannot both win, and a
 * live lock is never removed. A lock from another host (a shared folder) is never broken: its holder is
 * named with the file to delete if that host no longer runs CCO.
 *
 * Kept free of heavy imports: the desktop app reads it (`readDataLock`) to attach to a running daemon.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';

export const LOCK_FILE = 'cco.lock';
const BREAK_FILE = 'cco.lock.break';
/** A break file this old is left over from a process killed while breaking (breaking takes microseconds). */
const BREAK_STALE_MS = 5_000;

export interface LockHolder {
  pid: number;
  /** The daemon's port once it listens; null while it starts, and for CLI commands. */
  port: number | null;
  /** ISO time the lock was taken. */
  startedAt: string;
  hostname: string;
  /** `daemon`, or the CLI command (`cco import`, …). */
  role: string;
  /** Linux: the holder's start time in clock ticks since boot (/proc/<pid>/stat field 22); null elsewhere. */
  procStart: number | null;
}

/** The data folder is held by another live process. */
export class DataLockHeldError extends Error {
  readonly code = 'ELOCKED';
  constructor(
    readonly holder: LockHolder,
    readonly file: string,
  ) {
    super(`the data folder ${path.dirname(file)} is in use by ${describeHolder(holder)}`);
    this.name = 'DataLockHeldError';
  }
}

export interface DataLock {
  readonly file: string;
  readonly holder: LockHolder;
  /** False when the lock file could not be written (full disk) and no one else held it: see `ensure`. */
  readonly held: boolean;
  /**
   * Takes the lock now if it could not be written at start (a no-op once held); throws DataLockHeldError
   * if another process took it meanwhile, or the disk error. The daemon calls it before opening the store.
   */
  ensure(): void;
  /** Records the port the daemon listens on (the file is replaced atomically). */
  setPort(port: number): void;
  /** Removes the lock if it is still ours. Idempotent. */
  release(): void;
}

/** "the CCO daemon (pid 123, port 3000, since 2026-12-07T03:00:00.000Z)" and the like. */
export function describeHolder(h: LockHolder): string {
  const who = h.role === 'daemon' ? 'the CCO daemon' : `\`${h.role}\``;
  const port = h.port !== null ? `, port ${h.port}` : h.role === 'daemon' ? ', starting' : '';
  const host = h.hostname !== os.hostname() ? ` on host ${h.hostname}` : '';
  return `${who} (pid ${h.pid}${port}, since ${h.startedAt})${host}`;
}

/** Clock ticks since boot at which `pid` started (Linux), or null when unknown. */
function procStartOf(pid: number): number | null {
  if (process.platform !== 'linux') return null;
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 2 (comm) may hold spaces and parentheses: count fields after the last ')'.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const v = Number(rest[19]); // field 22 = index 19 after pid, comm
    return Number.isFinite(v) ? v : null;
  } catch {
    return null;
  }
}

/** Locks this process holds (a second acquire in the same process must be refused too). */
const heldHere = new Set<string>();

/** True when the recorded holder is a running process (always true for another host: it cannot be checked). */
export function holderAlive(h: LockHolder, lockFile?: string): boolean {
  if (h.hostname !== os.hostname()) return true;
  if (!Number.isInteger(h.pid) || h.pid <= 0) return false;
  if (h.pid === process.pid) return lockFile !== undefined && heldHere.has(lockFile);
  try {
    process.kill(h.pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  if (h.procStart !== null) {
    const now = procStartOf(h.pid);
    if (now !== null && now !== h.procStart) return false; // the pid was reused by another process
  }
  return true;
}

function parseHolder(text: string): LockHolder | null {
  try {
    const r = JSON.parse(text) as Partial<LockHolder>;
    if (typeof r.pid !== 'number' || typeof r.hostname !== 'string') return null;
    return {
      pid: r.pid,
      port: typeof r.port === 'number' ? r.port : null,
      startedAt: String(r.startedAt ?? ''),
      hostname: r.hostname,
      role: String(r.role ?? 'daemon'),
      procStart: typeof r.procStart === 'number' ? r.procStart : null,
    };
  } catch {
    return null;
  }
}

function readLockFile(file: string): { holder: LockHolder | null; ino: number } | null {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  try {
    const ino = fs.fstatSync(fd).ino;
    return { holder: parseHolder(fs.readFileSync(fd, 'utf8')), ino };
  } finally {
    fs.closeSync(fd);
  }
}

/** The folder's lock holder and whether it is alive; null when there is no lock file. */
export function readDataLock(dataDir: string): { holder: LockHolder; alive: boolean } | null {
  const file = path.join(dataDir, LOCK_FILE);
  const got = readLockFile(file);
  if (!got?.holder) return null;
  return { holder: got.holder, alive: holderAlive(got.holder, file) };
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** True when `cco.lock.break` was left by a dead process (false if it is gone or still being written). */
function breakFileStale(file: string): boolean {
  try {
    const st = fs.statSync(file);
    const pid = Number(fs.readFileSync(file, 'utf8'));
    return Date.now() - st.mtimeMs > BREAK_STALE_MS || (pid > 0 && !holderAlive({ pid, port: null, startedAt: '', hostname: os.hostname(), role: '', procStart: null }));
  } catch {
    return false;
  }
}

/** Runs `f` holding `cco.lock.break` (created O_EXCL); waits for another breaker, clears a dead one's file. */
function underBreakLock(dir: string, f: () => void): void {
  const file = path.join(dir, BREAK_FILE);
  for (let attempt = 0; ; attempt++) {
    let fd: number;
    try {
      fd = fs.openSync(file, 'wx', 0o600);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      if (breakFileStale(file)) fs.rmSync(file, { force: true });
      else if (attempt > 200) throw new Error(`${file} is held by another process breaking a stale lock; remove it if no CCO is starting`, { cause: err });
      else sleepSync(5);
      continue;
    }
    try {
      fs.writeSync(fd, String(process.pid));
      fs.closeSync(fd);
      f();
    } finally {
      fs.rmSync(file, { force: true });
    }
    return;
  }
}

const NO_SPACE = new Set(['ENOSPC', 'EDQUOT', 'EROFS']);

/**
 * Takes the data folder's lock for `role` or throws DataLockHeldError naming the live holder. Breaks a
 * stale lock (see the header). The lock is released by `release()`, and at process exit as a fallback.
 * With `deferOnFullDisk`, a lock that cannot be written for lack of space (and that no live process
 * holds) is returned unheld; `ensure()` takes it later.
 */
export function acquireDataLock(dataDir: string, role: string, opts: { deferOnFullDisk?: boolean } = {}): DataLock {
  try {
    return takeLock(dataDir, role);
  } catch (err) {
    if (!opts.deferOnFullDisk || !NO_SPACE.has(String((err as NodeJS.ErrnoException).code))) throw err;
    const file = path.join(dataDir, LOCK_FILE);
    const seen = readLockFile(file);
    if (seen?.holder && holderAlive(seen.holder, file)) throw new DataLockHeldError(seen.holder, file);
    let real: DataLock | null = null;
    const pendingHolder: LockHolder = { pid: process.pid, port: null, startedAt: new Date().toISOString(), hostname: os.hostname(), role, procStart: procStartOf(process.pid) };
    let port: number | null = null;
    return {
      file,
      get holder() {
        return real?.holder ?? pendingHolder;
      },
      get held() {
        return real !== null;
      },
      ensure() {
        if (real) return;
        real = takeLock(dataDir, role);
        if (port !== null) real.setPort(port);
      },
      setPort(p: number) {
        port = p;
        real?.setPort(p);
      },
      release() {
        real?.release();
      },
    };
  }
}

function takeLock(dataDir: string, role: string): DataLock {
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const file = path.join(dataDir, LOCK_FILE);
  let holder: LockHolder = {
    pid: process.pid,
    port: null,
    startedAt: new Date().toISOString(),
    hostname: os.hostname(),
    role,
    procStart: procStartOf(process.pid),
  };
  const writeTemp = (h: LockHolder): string => {
    const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(h) + '\n', { mode: 0o600, flag: 'wx' });
    return tmp;
  };
  for (let attempt = 0; ; attempt++) {
    const tmp = writeTemp(holder);
    try {
      fs.linkSync(tmp, file);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    } finally {
      fs.rmSync(tmp, { force: true });
    }
    const seen = readLockFile(file);
    if (!seen) continue; // released meanwhile
    if (seen.holder && holderAlive(seen.holder, file)) throw new DataLockHeldError(seen.holder, file);
    if (attempt > 20) throw new Error(`cannot take ${file}: it keeps changing`);
    underBreakLock(dataDir, () => {
      const again = readLockFile(file);
      if (!again || again.ino !== seen.ino) return; // someone else broke it (and may hold it now): look again
      if (again.holder && holderAlive(again.holder, file)) return;
      fs.rmSync(file, { force: true });
    });
  }
  heldHere.add(file);
  let released = false;
  const onExit = (): void => release();
  process.once('exit', onExit);
  function ours(): boolean {
    const now = readLockFile(file);
    return now?.holder?.pid === process.pid && now.holder.startedAt === holder.startedAt;
  }
  function release(): void {
    if (released) return;
    released = true;
    process.off('exit', onExit);
    heldHere.delete(file);
    try {
      if (ours()) fs.rmSync(file, { force: true });
    } catch {
      // the folder is gone or unreadable: nothing left to release
    }
  }
  return {
    file,
    get holder() {
      return holder;
    },
    held: true,
    ensure() {},
    setPort(port: number) {
      if (released || !ours()) return;
      holder = { ...holder, port };
      const tmp = writeTemp(holder);
      fs.renameSync(tmp, file);
    },
    release,
  };
}

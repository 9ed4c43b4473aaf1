/**
 * PID files: `<data>/pids/cco-<port>.pid`, one per running daemon, JSON {pid, port, started_at, version,
 * url, data_dir}. Written by startDaemon once it listens, removed on close; files whose process is gone
 * are stale and removed by readers (`cco status`). Kept free of heavy imports: `cco statusline` reads it.
 */
import fs from 'node:fs';
import path from 'node:path';

export interface PidRecord {
  pid: number;
  port: number;
  started_at: string;
  version: string;
  /** Base URL (what ANTHROPIC_BASE_URL points at). */
  url: string;
  /** The daemon's data dir (holds `token`). */
  data_dir?: string;
}

export interface PidEntry {
  file: string;
  record: PidRecord;
}

export function pidDirOf(dataDir: string): string {
  return path.join(dataDir, 'pids');
}

export function pidFileFor(pidDir: string, port: number): string {
  return path.join(pidDir, `cco-${port}.pid`);
}

/** True when a process with this pid exists (EPERM: exists but not ours — still alive). */
export function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function writePidFile(pidDir: string, record: PidRecord): string {
  fs.mkdirSync(pidDir, { recursive: true, mode: 0o700 });
  const file = pidFileFor(pidDir, record.port);
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(record) + '\n', { mode: 0o600 });
  fs.renameSync(tmp, file);
  return file;
}

/** Removes the file only if it still names `pid` (a newer daemon may have taken the port since). */
export function removePidFile(file: string, pid: number): void {
  try {
    const rec = JSON.parse(fs.readFileSync(file, 'utf8')) as PidRecord;
    if (rec.pid === pid) fs.rmSync(file, { force: true });
  } catch {
    // already gone or unreadable
  }
}

function parseRecord(text: string): PidRecord | null {
  try {
    const r = JSON.parse(text) as Partial<PidRecord>;
    if (typeof r.pid === 'number' && typeof r.port === 'number' && typeof r.url === 'string') {
      return { pid: r.pid, port: r.port, url: r.url, started_at: String(r.started_at ?? ''), version: String(r.version ?? ''), data_dir: r.data_dir };
    }
  } catch {
    // fall through
  }
  return null;
}

/**
 * Running daemons from the PID files, lowest port first. Files of dead processes and unreadable files are
 * removed when `clean` is set (and reported in `stale`).
 */
export function listDaemons(pidDir: string, clean = true): { running: PidEntry[]; stale: string[] } {
  let names: string[];
  try {
    names = fs.readdirSync(pidDir).filter((n) => /^cco-\d+\.pid$/.test(n));
  } catch {
    return { running: [], stale: [] };
  }
  const running: PidEntry[] = [];
  const stale: string[] = [];
  for (const name of names) {
    const file = path.join(pidDir, name);
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    const record = parseRecord(text);
    if (record && processAlive(record.pid)) running.push({ file, record });
    else {
      stale.push(file);
      if (clean) fs.rmSync(file, { force: true });
    }
  }
  running.sort((a, b) => a.record.port - b.record.port);
  return { running, stale };
}

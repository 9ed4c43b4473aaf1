/**
 * Journal segment files: `<dataDir>/journal/journal-<seq>.ndjson`, seq a positive integer. Shared by the
 * writer (main thread) and the replayer (worker).
 */
import fs from 'node:fs';
import path from 'node:path';

const SEGMENT_RE = /^journal-(\d+)\.ndjson$/;

export function journalDir(dataDir: string): string {
  return path.join(dataDir, 'journal');
}

export function segmentPath(dataDir: string, seq: number): string {
  return path.join(journalDir(dataDir), `journal-${seq}.ndjson`);
}

/** Sequence numbers of the segments present, ascending. */
export function listSegments(dataDir: string): number[] {
  let names: string[];
  try {
    names = fs.readdirSync(journalDir(dataDir));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const seqs: number[] = [];
  for (const n of names) {
    const m = SEGMENT_RE.exec(n);
    if (m?.[1]) seqs.push(Number(m[1]));
  }
  return seqs.sort((a, b) => a - b);
}

/** Total bytes of all segments. */
export function journalBytes(dataDir: string): number {
  let total = 0;
  for (const seq of listSegments(dataDir)) {
    try {
      total += fs.statSync(segmentPath(dataDir, seq)).size;
    } catch {
      // deleted concurrently by a snapshot
    }
  }
  return total;
}

/** fsync a directory so a rename/create/unlink inside it is durable (no-op where unsupported, e.g. Windows). */
export function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EISDIR' && code !== 'EPERM' && code !== 'EINVAL' && code !== 'EBADF') throw err;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

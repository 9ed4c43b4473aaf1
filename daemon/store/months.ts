/**
 * Calendar months (UTC) of request detail: a month key is `YYYY-MM`, its partition file
 * `<dataDir>/months/YYYY-MM.sqlite` (see partitions.ts). A record belongs to the month of its `startedAt`.
 */
import fs from 'node:fs';
import path from 'node:path';

export type MonthKey = string;

/**
 * Past months taking rows straight into their month database at once (each pinned in memory until the next
 * snapshot stages it; partitioned.ts `insert`); rows of further months wait in cco.sqlite for the fold.
 */
export const MAX_DIRECT_MONTHS = 3;

const MONTH_RE = /^(\d{4})-(\d{2})$/;
const FILE_RE = /^(\d{4}-\d{2})\.sqlite$/;

export function monthOf(ms: number): MonthKey {
  const d = new Date(ms);
  return `${String(d.getUTCFullYear()).padStart(4, '0')}-${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
}

/** [start, end) of a month in ms since the epoch. */
export function monthRange(key: MonthKey): { start: number; end: number } {
  const m = MONTH_RE.exec(key);
  if (!m) throw new RangeError(`not a month key: ${key}`);
  const y = Number(m[1]);
  const mo = Number(m[2]) - 1;
  return { start: Date.UTC(y, mo, 1), end: Date.UTC(y, mo + 1, 1) };
}

export function monthsDir(dataDir: string): string {
  return path.join(dataDir, 'months');
}

export function partitionPath(dataDir: string, key: MonthKey): string {
  return path.join(monthsDir(dataDir), `${key}.sqlite`);
}

/** Month keys of the partition files present, ascending. */
export function listPartitionFiles(dataDir: string): MonthKey[] {
  let names: string[];
  try {
    names = fs.readdirSync(monthsDir(dataDir));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const keys: MonthKey[] = [];
  for (const n of names) {
    const m = FILE_RE.exec(n);
    if (m?.[1]) keys.push(m[1]);
  }
  return keys.sort();
}

/** A month database's working copy (disk-file.ts): what its writes go to until it is sealed. */
export const WORK_RE = /^\d{4}-\d{2}\.sqlite\.work-[0-9a-f-]+$/;

/**
 * Removes partition writes cut short by a crash (`*.tmp`) and working copies of month databases (never named by
 * cco.sqlite: what they held that was not staged is in the journal still). Only at load: this process alone
 * writes the folder.
 */
export function removePartitionTemps(dataDir: string): void {
  let names: string[];
  try {
    names = fs.readdirSync(monthsDir(dataDir));
  } catch {
    return;
  }
  for (const n of names) if (n.endsWith('.tmp') || WORK_RE.test(n)) fs.rmSync(path.join(monthsDir(dataDir), n), { force: true });
}

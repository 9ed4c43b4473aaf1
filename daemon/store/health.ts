/**
 * What a store knows about its own health, synchronously (GET /ready reads it on every probe; GET
 * /api/status adds the worker's counts). Kept by the store as things happen: disk errors, damaged files
 * moved aside, a journal that cannot be written, a worker that is down.
 */
import type { NewerSchema } from '../../shared/contract.ts';

/** A damaged file moved aside (cco.sqlite or a month file). */
export interface DamagedFile {
  /** `snapshot` = cco.sqlite; `month` = months/YYYY-MM.sqlite (then `month` is set). */
  kind: 'snapshot' | 'month';
  month?: string;
  file: string;
  movedTo: string;
  reason: string;
  /** Epoch ms. */
  at: number;
}

export interface StoreHealth {
  kind: 'sqlite' | 'postgres' | 'standby';
  /** The store worker (or the database connection) is up and answering. */
  workerUp: boolean;
  /** The last journal write succeeded (nothing waits for a retry). */
  journalWritable: boolean;
  /** Records waiting for a journal write to succeed (full disk). */
  pendingRecords: number;
  /** Failed disk writes, syncs and snapshots since start. */
  diskErrors: number;
  damaged: DamagedFile[];
  /** Set when the snapshot was missing or moved aside and the journal cannot hold everything it had. */
  journalGap: string | null;
  /** Set while the store cannot be opened: requests are forwarded, not recorded (see standby.ts). */
  standby: { reason: string; since: number } | null;
  /**
   * Set while the store opens (loads, migrates, replays its journal): requests are forwarded and their records
   * held (see standby.ts); `step` is what it is doing.
   */
  opening?: { since: number; step: string } | null;
  /**
   * Records held while the store is not open (opening or standby): how many, the held file they are in
   * (fsynced as the journal; null: none could be created, so `inMemory` of them are in memory only), and
   * how many could not be held at all.
   */
  held?: { records: number; file: string | null; inMemory: number; dropped: number } | null;
  lastError: { message: string; at: number } | null;
  /** The PostgreSQL store only: its database was migrated by a newer CCO, so it writes nothing there. */
  newerSchema?: NewerSchema | null;
}

/** Disk-ish error codes (counted as disk errors; others are reported as errors only). */
const DISK_CODES = new Set(['ENOSPC', 'EDQUOT', 'EIO', 'EROFS', 'EISDIR', 'ENOTDIR', 'EACCES', 'EPERM', 'EMFILE', 'ENFILE', 'EFBIG']);

export function isDiskError(err: unknown): boolean {
  return DISK_CODES.has(String((err as NodeJS.ErrnoException | null)?.code ?? ''));
}

/** The counters and last error a store keeps for its StoreHealth. */
export class HealthNotes {
  diskErrors = 0;
  lastError: { message: string; at: number } | null = null;
  readonly damaged: DamagedFile[] = [];
  journalGap: string | null = null;

  error(message: string, err?: unknown): void {
    if (err !== undefined && isDiskError(err)) this.diskErrors++;
    this.lastError = { message, at: Date.now() };
  }

  noteDamaged(d: DamagedFile): void {
    if (!this.damaged.some((x) => x.movedTo === d.movedTo)) this.damaged.push(d);
  }
}

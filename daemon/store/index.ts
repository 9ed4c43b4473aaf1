/**
 * The durable store. The proxy thread calls `add()` (a journal line queued for this turn's grouped write,
 * whose bytes then go on to the worker) and `whenWritten()` before it ends a client's response; everything
 * else is asynchronous and answered by the store worker, which owns the sql.js database.
 *
 * Files in `dataDir` (dir 0700, files 0600): `cco.sqlite` (snapshot) and `journal/journal-<seq>.ndjson`.
 * A snapshot rotates the journal to seq + 1, asks the worker to export with `journal_seq = seq` (every
 * record of segments ≤ seq was already posted: postMessage is ordered), then deletes segments ≤ seq.
 * Startup loads the snapshot, replays segments > journal_seq (INSERT OR IGNORE → exactly once), then
 * snapshots so the journal stays short.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { RequestPage, RequestQuery, RequestRecord, Summary } from '../../shared/contract.ts';
import { SNAPSHOT_FILE, type SqlWasm } from './db.ts';
import { Journal } from './journal.ts';
import type { IsolateMemory, LogLevel, WorkerCalls } from './messages.ts';
import type { RepriceUpdate } from './queries.ts';
import type { SummaryQuery } from './summary.ts';
import type { ExportChunk, ExportFormat } from '../api/export-format.ts';
import { journalBytes, listSegments } from './segments.ts';
import { isRequestRecord } from './rows.ts';
import { WorkerClient } from './worker-client.ts';
import { ArrivalCollector } from './gc.ts';
import { takePrestartedWorker } from './prestart.ts';
import { MAX_DIRECT_MONTHS } from './months.ts';
import { HealthNotes, type StoreHealth } from './health.ts';
import type { WorkerLocation } from './worker-url.ts';

export { workerUrl, type WorkerLocation } from './worker-url.ts';
export { defaultSqlWasm, type SqlWasm } from './db.ts';
export type { RepriceUpdate } from './queries.ts';
export type { SummaryQuery } from './summary.ts';
export type { DamagedFile, StoreHealth } from './health.ts';

const DAY_MS = 86_400_000;

export interface StoreOptions {
  dataDir: string;
  /** Detail rows older than this are deleted (whole month files; see partitioned.ts). Default 396 (13 months). */
  retentionDays?: number;
  snapshotIntervalMs?: number; // default 5 min
  fsyncIntervalMs?: number; // default 200
  /** Retention check period; default 1 h. */
  retentionIntervalMs?: number;
  log?: (level: LogLevel, msg: string) => void;
  /** Where the worker code is; default `workerUrl()` (sources under tsx, or `store-worker.js` beside a build). */
  workerLocation?: WorkerLocation;
  /** Where sql.js' wasm comes from; default `defaultSqlWasm()` (node_modules, or inline in a one-file build). */
  sqlWasm?: SqlWasm;
  /** The clock that decides which months a snapshot folds (tests cross month boundaries); default Date.now. */
  now?: () => number;
  /** Told what the open is doing (reading cco.sqlite, migrating it, replaying the journal, the first snapshot). */
  onStep?: (what: string) => void;
}

export interface StoreStats {
  requests: number;
  /** Sealed month files, and how many of them are open in the worker now (the sql.js store only). */
  months?: number;
  openMonths?: number;
  journalBytes: number;
  lastSnapshotAt: number | null;
  droppedWrites: number;
  /** Times the store worker died and was started again (it re-reads snapshot + journal). */
  workerRestarts: number;
  /** The store worker thread's heap and ArrayBuffer bytes (the database file lives in an ArrayBuffer). */
  worker: IsolateMemory;
}

export interface BulkResult {
  /** Records journaled and stored now. */
  inserted: number;
  /** Records already stored (same id), or repeated within the call. */
  skipped: number;
  /** Records that are not valid RequestRecords (not stored; see rows.ts isRequestRecord). */
  invalid: number;
}

/** addBulk journals this many records per turn, then yields so the proxy keeps serving. */
export const BULK_CHUNK = 1000;
/** addBulk snapshots (which writes past months' rows into their month files) once this many such rows wait. */
export const FOLD_AT_ROWS = 50_000;
/**
 * addBulk snapshots when past months run short of direct slots (see `addBulk`) only once this many records
 * were bulk-added since the last snapshot. An import whose batches each span more past months than there are
 * slots (transcript files are not read in time order: every batch of the 100 MB bench corpus spans 4 months)
 * otherwise snapshotted after every batch: 22 snapshots of ~0.5 s for 21,525 records, 2/3 of `cco import`'s
 * CPU (docs/design.md, h15-rss). Rows of months without a slot wait in cco.sqlite for the fold meanwhile.
 */
export const DIRECT_SNAPSHOT_MIN_ROWS = 10_000;
/** applyReprice snapshots once this many sealed months hold unsealed repricings. */
const MAX_DIRTY_MONTHS = 2;
/** Default detail retention: 13 months (rollups are kept forever). */
export const DEFAULT_RETENTION_DAYS = 396;

export interface Store {
  /**
   * Synchronous and cheap; never throws. The record's journal line is written with the others of this
   * event-loop turn (one write, see journal.ts), so it is in the page cache when `whenWritten` callbacks
   * run, and fsynced within fsyncIntervalMs. Returns the record's JSON (its journal line, for reuse by the
   * live feed), or null when the record could not be taken (logged and counted as dropped).
   */
  add(record: RequestRecord): string | null;
  /**
   * Bulk ingest (the history import). Skips records already stored (by id, like journal replay) and
   * records that are not valid; journals the rest exactly like add() (same files, same replay, the proxy
   * thread yields between chunks of BULK_CHUNK records), and resolves once they are all fsynced in the
   * journal AND committed in the worker (one transaction per posted batch, rollups and session rollups
   * in it). Safe to re-run with the same records. Call it with batches of ~1,000–10,000 records;
   * concurrent calls with overlapping ids are stored once but may both count them as inserted.
   */
  addBulk(records: readonly RequestRecord[]): Promise<BulkResult>;
  /**
   * Stored records whose `upstreamRequestId` is one of `ids` (the `request-id` header the upstream
   * answered with; Claude Code transcripts keep it as `requestId`), ordered by (startedAt, id). `from`/`to`
   * (ms, [from, to) on startedAt) narrow the search.
   */
  findByUpstreamRequestIds(ids: readonly string[], range?: { from?: number; to?: number }): Promise<RequestRecord[]>;
  /** Runs `done` once every record add()ed so far is written to the journal (at once if none waits). */
  whenWritten(done: () => void): void;
  /** Resolves once every record add()ed so far is fsynced AND applied in the worker. */
  flush(): Promise<void>;
  /** Holds every record add()ed before this call and none added after it (budgets read their spend by that). */
  summary(q: SummaryQuery): Promise<Summary>;
  /**
   * `summary(q)` as the UTF-8 bytes of its JSON text (what `JSON.stringify` writes). Optional: a store that has
   * it answers GET /api/summary without building the summary's objects on the HTTP thread (the embedded
   * store encodes in its worker and hands over the bytes).
   */
  summaryJson?(q: SummaryQuery): Promise<Uint8Array>;
  listRequests(q: RequestQuery): Promise<RequestPage>;
  /**
   * The page `listRequests(q)` would answer, encoded for an export (`first`: no row was written before it).
   * Optional: a store that has it keeps an export's records off the caller's thread (the embedded store
   * encodes in its worker and hands over the bytes); without it the export encodes listRequests pages.
   */
  exportPage?(q: RequestQuery, format: ExportFormat, first: boolean): Promise<ExportChunk>;
  getRequest(id: string): Promise<RequestRecord | null>;
  scanForReprice(q: { since?: number; cursor?: string; limit: number }): Promise<{ rows: RequestRecord[]; nextCursor: string | null }>;
  applyReprice(updates: RepriceUpdate[]): Promise<void>;
  stats(): Promise<StoreStats>;
  /** Synchronous and cheap (GET /ready reads it): worker up, journal writable, disk errors, damaged files. */
  health(): StoreHealth;
  snapshot(): Promise<void>;
  /** Deletes detail rows older than retentionDays before `now` (rollups stay); returns rows deleted. */
  pruneOld(now?: number): Promise<number>;
  close(): Promise<void>;
}

function defaultLog(level: LogLevel, msg: string): void {
  process.stderr.write(`[store] ${level}: ${msg}\n`);
}

class DurableStore implements Store {
  private changes = 0;
  /** Records addBulk inserted since the last snapshot began. */
  private bulkSinceSnapshot = 0;
  private dropped = 0;
  private lastSnapshotAt: number | null = null;
  private snapshotChain: Promise<void> = Promise.resolve();
  private timers: NodeJS.Timeout[] = [];
  private closing: Promise<void> | null = null;
  /** A journal write is failing (logged once per episode, not at every retry). */
  private writeFailing = false;
  /** Scavenges this thread as export pages and JSON summaries arrive from the worker (gc.ts). */
  private readonly arrivals = new ArrivalCollector();

  constructor(
    private readonly opts: Required<Omit<StoreOptions, 'workerLocation' | 'sqlWasm' | 'onStep'>>,
    private readonly journal: Journal,
    private readonly worker: WorkerClient,
    readonly notes: HealthNotes,
  ) {}

  health(): StoreHealth {
    const pending = this.journal.pendingLines();
    return {
      kind: 'sqlite',
      workerUp: this.worker.up,
      journalWritable: pending === 0 && !this.closing,
      pendingRecords: pending,
      diskErrors: this.notes.diskErrors,
      damaged: [...this.notes.damaged],
      journalGap: this.notes.journalGap,
      standby: null,
      lastError: this.notes.lastError,
    };
  }

  start(): void {
    const snap = setInterval(() => {
      if (this.changes > 0) this.snapshot().catch(() => undefined); // logged in doSnapshot
    }, this.opts.snapshotIntervalMs);
    const prune = setInterval(() => {
      this.pruneOld().catch((err: Error) => this.opts.log('error', `store: retention failed: ${err.message}`));
    }, this.opts.retentionIntervalMs);
    snap.unref();
    prune.unref();
    this.timers.push(snap, prune);
  }

  /** Test hook: kills the store worker thread (see crashStoreWorkerForTest). */
  crashWorkerForTest(how: 'exit' | 'throw'): void {
    this.worker.crashForTest(how);
  }

  /** Records when the snapshot on disk was written (used when open() finds nothing to fold in). */
  noteSnapshot(at: number): void {
    this.lastSnapshotAt = Math.round(at);
  }

  add(record: RequestRecord): string | null {
    if (this.closing) {
      this.dropped++;
      this.opts.log('error', `store: add after close, record ${String(record?.id)} dropped`);
      return null;
    }
    let line: string;
    try {
      line = JSON.stringify(record);
    } catch (err) {
      this.dropped++;
      this.opts.log('error', `store: record ${String(record?.id)} cannot be serialised: ${(err as Error).message}`);
      return null;
    }
    // The journal writes the line with the others of this turn and hands the same bytes to the worker
    // (journalBytes below). A failed write is reported and counted by the journal; the record still reaches
    // the worker, and the next snapshot unless the process dies first.
    try {
      this.journal.append(line);
      this.changes++;
    } catch (err) {
      this.dropped++;
      this.opts.log('error', `store: journal append failed for ${String(record?.id)}: ${(err as Error).message}`);
      return null;
    }
    return line;
  }

  /** The journal's written bytes, on their way to the worker. */
  journalBytes(bytes: Uint8Array): void {
    try {
      this.worker.addBytes(bytes);
    } catch (err) {
      this.opts.log('error', `store: records not posted to the worker: ${(err as Error).message}`);
    }
  }

  /** A worker call, after this turn's queued records are written and handed over (so it sees them). */
  private ask<K extends keyof WorkerCalls>(type: K, args: WorkerCalls[K]['args']): Promise<WorkerCalls[K]['result']> {
    this.journal.writeQueued();
    return this.worker.call(type, args);
  }

  whenWritten(done: () => void): void {
    this.journal.whenWritten(done);
  }

  async addBulk(records: readonly RequestRecord[]): Promise<BulkResult> {
    if (this.closing) throw new Error('store closed');
    const valid = records.filter((r) => isRequestRecord(r));
    const stored = new Set(await this.ask('existingIds', { keys: valid.map((r) => ({ id: r.id, startedAt: r.startedAt })) }));
    let inserted = 0;
    for (let i = 0; i < valid.length; i += BULK_CHUNK) {
      if (this.closing) throw new Error('store closed');
      for (const r of valid.slice(i, i + BULK_CHUNK)) {
        if (stored.has(r.id)) continue;
        stored.add(r.id);
        this.journal.append(JSON.stringify(r));
        this.changes++;
        inserted++;
      }
      this.journal.writeQueued();
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    await this.flush();
    // Records of past months wait in memory (in their month databases, or in cco.sqlite for the fold) until a
    // snapshot writes them to their month files.
    if (inserted > 0) {
      const p = await this.ask('pressure', { now: this.opts.now() });
      // A month short of MAX_DIRECT_MONTHS: a time-ordered import always finds room for its next month.
      this.bulkSinceSnapshot += inserted;
      const slotsShort = p.directMonths >= MAX_DIRECT_MONTHS - 1 && this.bulkSinceSnapshot >= DIRECT_SNAPSHOT_MIN_ROWS;
      if (p.unfolded + p.direct >= FOLD_AT_ROWS || slotsShort) await this.snapshot();
    }
    return { inserted, skipped: valid.length - inserted, invalid: records.length - valid.length };
  }

  findByUpstreamRequestIds(ids: readonly string[], range: { from?: number; to?: number } = {}): Promise<RequestRecord[]> {
    return this.ask('findByUpstream', {
      ids: [...ids],
      ...(range.from !== undefined && { from: range.from }),
      ...(range.to !== undefined && { to: range.to }),
    });
  }

  /** A grouped journal write failed: its records wait for a retry (the journal keeps them). */
  noteWriteError(err: Error, lines: number): void {
    const msg = `journal write failed (${err.message}); ${lines} record(s) wait until it can be written`;
    this.notes.error(msg, err);
    if (!this.writeFailing) this.opts.log('error', `store: ${msg} (retried every second)`);
    this.writeFailing = lines > 0;
  }

  noteWriteRecovered(lines: number): void {
    this.writeFailing = false;
    this.opts.log('info', `store: journal writable again; ${lines} waiting record(s) written`);
  }

  noteDropped(lines: number): void {
    this.dropped += lines;
    this.notes.error(`${lines} record(s) dropped: the journal could not be written`);
    this.opts.log('error', `store: ${lines} record(s) dropped: the journal could not be written`);
  }

  noteSyncError(err: Error): void {
    this.notes.error(`journal fsync failed: ${err.message}`, err);
    this.opts.log('error', `store: journal fsync failed: ${err.message}`);
  }

  async flush(): Promise<void> {
    await this.journal.sync();
    await this.ask('flush', {});
  }

  summary(q: SummaryQuery): Promise<Summary> {
    return this.ask('summary', { query: q });
  }

  async summaryJson(q: SummaryQuery): Promise<Uint8Array> {
    const bytes = await this.ask('summaryJson', { query: q });
    this.arrivals.add(bytes.byteLength);
    return bytes;
  }

  listRequests(q: RequestQuery): Promise<RequestPage> {
    return this.ask('list', { query: q });
  }

  async exportPage(q: RequestQuery, format: ExportFormat, first: boolean): Promise<ExportChunk> {
    const chunk = await this.ask('exportPage', { query: q, format, first });
    this.arrivals.add(chunk.bytes.byteLength); // written pages' buffers freed as the export goes (gc.ts)
    return chunk;
  }

  getRequest(id: string): Promise<RequestRecord | null> {
    return this.ask('get', { requestId: id });
  }

  scanForReprice(q: { since?: number; cursor?: string; limit: number }): Promise<{ rows: RequestRecord[]; nextCursor: string | null }> {
    return this.ask('scanReprice', { query: q });
  }

  async applyReprice(updates: RepriceUpdate[]): Promise<void> {
    // Not journaled: repricing is recomputable. Marked as a change so the next snapshot persists it.
    const { changed, dirty } = await this.ask('applyReprice', { updates });
    if (changed > 0) this.changes++;
    // Repriced sealed months stay in memory until the next snapshot re-seals them: keep that to ~2.
    if (dirty >= MAX_DIRTY_MONTHS) await this.snapshot();
  }

  async stats(): Promise<StoreStats> {
    const { requests, months, openMonths, memory } = await this.ask('stats', {});
    return {
      requests,
      months,
      openMonths,
      journalBytes: journalBytes(this.opts.dataDir),
      lastSnapshotAt: this.lastSnapshotAt,
      droppedWrites: this.dropped,
      workerRestarts: this.worker.restarts,
      worker: memory,
    };
  }

  snapshot(): Promise<void> {
    const run = this.snapshotChain.then(() => this.doSnapshot());
    this.snapshotChain = run.catch(() => undefined);
    return run;
  }

  private async doSnapshot(): Promise<void> {
    const changesBefore = this.changes;
    const bulkBefore = this.bulkSinceSnapshot;
    const { oldSeq, retired } = this.journal.rotate();
    try {
      const res = await this.ask('snapshot', { upToSeq: oldSeq, now: this.opts.now() });
      await retired;
      this.journal.deleteUpTo(oldSeq);
      this.lastSnapshotAt = res.at;
      this.changes -= changesBefore;
      this.bulkSinceSnapshot -= bulkBefore;
    } catch (err) {
      this.notes.error(`snapshot failed: ${(err as Error).message}`, err);
      this.opts.log('error', `store: snapshot failed: ${(err as Error).message}`);
      throw err;
    }
  }

  async pruneOld(now = Date.now()): Promise<number> {
    const n = await this.ask('retention', { cutoff: now - this.opts.retentionDays * DAY_MS });
    if (n > 0) {
      this.changes++;
      this.opts.log('info', `store: retention removed ${n} request rows older than ${this.opts.retentionDays} days`);
    }
    return n;
  }

  close(): Promise<void> {
    this.closing ??= this.doClose();
    return this.closing;
  }

  private async doClose(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    let first: unknown = null;
    const attempt = async (what: string, f: () => Promise<unknown>): Promise<void> => {
      try {
        await f();
      } catch (err) {
        first ??= err;
        this.opts.log('error', `store: close: ${what} failed: ${(err as Error).message}`);
      }
    };
    await attempt('flush', () => this.flush());
    let snapshotted = false;
    if (this.worker.alive) await attempt('final snapshot', async () => {
      await this.snapshot();
      snapshotted = true;
    });
    // Records still waiting for the journal (full disk) are in that snapshot: not dropped.
    await attempt('journal close', () => this.journal.close(snapshotted));
    if (this.worker.alive) await attempt('worker close', () => this.worker.call('close', {}));
    await this.worker.terminate();
    if (first) throw first;
  }
}

export async function openStore(options: StoreOptions): Promise<Store> {
  const opts = {
    dataDir: options.dataDir,
    retentionDays: options.retentionDays ?? DEFAULT_RETENTION_DAYS,
    snapshotIntervalMs: options.snapshotIntervalMs ?? 5 * 60_000,
    fsyncIntervalMs: options.fsyncIntervalMs ?? 200,
    retentionIntervalMs: options.retentionIntervalMs ?? 60 * 60_000,
    log: options.log ?? defaultLog,
    now: options.now ?? Date.now,
  };
  fs.mkdirSync(opts.dataDir, { recursive: true, mode: 0o700 });
  fs.chmodSync(opts.dataDir, 0o700);
  const notes = new HealthNotes();
  const worker = new WorkerClient({
    log: opts.log,
    onDamaged: (d) => {
      notes.noteDamaged(d);
      notes.error(`${d.kind === 'snapshot' ? 'cco.sqlite' : `month ${d.month}`} was damaged (${d.reason}); moved to ${d.movedTo}`);
    },
    ...(options.onStep && { onStep: options.onStep }),
    // A worker started ahead (store/prestart.ts: `cco run`, the app's entry) is adopted when it runs this location's code.
    ...(options.workerLocation && { location: options.workerLocation }),
    prestarted: () => takePrestartedWorker(options.workerLocation),
    now: opts.now,
  });
  let journal: Journal | null = null;
  try {
    const init = await worker.start({ dataDir: opts.dataDir, ...(options.sqlWasm ? { sqlWasm: options.sqlWasm } : {}) });
    if (init.skippedLines > 0) opts.log('warn', `store: ${init.skippedLines} journal line(s) skipped during replay`);
    if (init.insertedOnReplay > 0) opts.log('info', `store: replayed ${init.insertedOnReplay} record(s) from the journal`);
    if (init.journalGap) {
      notes.journalGap = init.journalGap;
      opts.log('error', `store: ${init.journalGap}`);
    }
    const seq = Math.max(init.journalSeq, ...listSegments(opts.dataDir)) + 1;
    let store: DurableStore | null = null;
    journal = Journal.open(opts.dataDir, seq, {
      fsyncIntervalMs: opts.fsyncIntervalMs,
      onSyncError: (err) => store?.noteSyncError(err),
      onWriteError: (err, lines) => store?.noteWriteError(err, lines),
      onWriteRecovered: (lines) => store?.noteWriteRecovered(lines),
      onDropped: (lines) => store?.noteDropped(lines),
      onBytes: (bytes) => store?.journalBytes(bytes),
    });
    store = new DurableStore(opts, journal, worker, notes);
    const pruned = await store.pruneOld();
    const snapshotFile = path.join(opts.dataDir, SNAPSHOT_FILE);
    const written = fs.existsSync(snapshotFile);
    if (!written && init.requests === 0) {
      // A store never written that holds nothing (a first start, or starts that never recorded anything):
      // the next start builds the same empty database, so there is nothing to write. Writing it cost every
      // first start a full export in the worker (~150 ms of CPU: sql.js' export reopens the database, whose
      // first randomness loads node:crypto in that thread). The first snapshot after a record, or the one at
      // close, writes it. Segments of such a store hold no record (replay inserted none).
      journal.deleteUpTo(seq - 1);
    } else if (init.insertedOnReplay > 0 || init.schemaFrom !== init.schemaTo || pruned > 0 || init.needsFold || !written) {
      // Folds the replayed journal into cco.sqlite and deletes it. A failure (full disk) is not fatal: the
      // journal still holds every record, and the next snapshot tries again.
      options.onStep?.(init.schemaFrom !== init.schemaTo ? `writing cco.sqlite at schema ${init.schemaTo}` : 'writing cco.sqlite');
      await store.snapshot().catch(() => undefined);
    } else {
      // Nothing new since the last snapshot (the segments held only records it already contains, or
      // nothing): skip the export — it costs a full copy of the database in memory — and drop the segments.
      journal.deleteUpTo(seq - 1);
      store.noteSnapshot(fs.statSync(snapshotFile).mtimeMs);
    }
    store.start();
    return store;
  } catch (err) {
    await journal?.close().catch(() => undefined);
    await worker.terminate();
    throw err;
  }
}

/**
 * Test hook: makes the store worker thread die abruptly, as a crash would. The store restarts it (snapshot +
 * journal replay); calls wait for the new worker. Throws for stores not made by openStore.
 */
export function crashStoreWorkerForTest(store: Store, how: 'exit' | 'throw' = 'exit'): void {
  if (!(store instanceof DurableStore)) throw new TypeError('not a store from openStore()');
  store.crashWorkerForTest(how);
}

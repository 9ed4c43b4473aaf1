/**
 * Forwarding never waits for the store: `openStoreInBackground()` returns a Store at once and opens the real
 * one behind it. Until it is open — while it loads and migrates (a first start after an upgrade can take
 * seconds at a million rows: issue 14), or while it cannot be opened at all (a full disk, a journal segment
 * that is a directory, a folder that is not writable: "standby", retried every `retryMs`) — requests are
 * forwarded and their records are held:
 *
 * - in a held file, `<dataDir>/held/held-<ms>-<pid>.ndjson`, written exactly like the store's journal (the
 *   same `Journal`: one grouped write per event-loop turn before the client's response ends, grouped
 *   fdatasync ≤ 200 ms after it). So the durability promise holds while the store opens too. Once the real
 *   store is open, every held file (this run's and any a killed run left) is added to it with `addBulk`
 *   (idempotent by record id: a file read twice after a crash stores nothing twice), and deleted only once
 *   that resolved (fsynced in the store's journal and committed in its worker);
 * - in memory (up to MAX_HELD, then counted as dropped) only when no held file can be created; those are
 *   lost if the process stops before the store opens, and `health()` says so.
 *
 * Queries fail with StoreUnavailableError (the API answers 503) until the held records are stored; GET /ready
 * answers 503 and GET /api/status explains (`health().opening` / `standby`, `held`).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { RequestPage, RequestQuery, RequestRecord, Summary } from '../../shared/contract.ts';
import type { BulkResult, RepriceUpdate, Store, StoreHealth, StoreStats, SummaryQuery } from './index.ts';
import { Journal } from './journal.ts';
import type { LogLevel } from './messages.ts';
import { parseRecordLine, readSegment } from './replay.ts';
import { fsyncDir } from './segments.ts';

/** Records kept in memory while no held file can be written. */
export const MAX_HELD = 10_000;
/** Default period between attempts to open the real store after a failed open. */
export const STANDBY_RETRY_MS = 5_000;
/** Held records are added to the opened store in batches of this many. */
const STORE_BATCH = 5_000;

const HELD_RE = /^held-\d+-\d+\.ndjson$/;

/** The folder of the held files. */
export function heldDir(dataDir: string): string {
  return path.join(dataDir, 'held');
}

/** Held files present (full paths), oldest first. */
export function listHeldFiles(dataDir: string): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(heldDir(dataDir));
  } catch {
    return [];
  }
  return names
    .filter((n) => HELD_RE.test(n))
    .sort((a, b) => Number(a.split('-')[1]) - Number(b.split('-')[1]) || a.localeCompare(b))
    .map((n) => path.join(heldDir(dataDir), n));
}

/** A query while the store is not open. */
export class StoreUnavailableError extends Error {
  readonly code = 'ESTORE_UNAVAILABLE';
  constructor(reason: string) {
    super(`the request store is not available: ${reason}`);
    this.name = 'StoreUnavailableError';
  }
}

export interface BackgroundOptions {
  /** Opens the real store; `step` tells what it is doing (shown by /api/status while it opens). */
  open: (step: (what: string) => void) => Promise<Store>;
  /** The data folder (held files go to `held/` in it); null: records are held in memory only. */
  dataDir: string | null;
  log: (level: LogLevel, msg: string) => void;
  retryMs?: number;
  /** fdatasync of the held file at most this long after a write (default 200 ms, as the journal). */
  fsyncIntervalMs?: number;
  /** Called once the real store is open and the held records are stored in it. */
  onRecovered?: (held: number) => void;
}

type Phase = 'opening' | 'standby' | 'storing-held' | 'open';

/** The Store a daemon uses: the real one once open, holding records until then (see the header). */
export class BackgroundStore implements Store {
  private phase: Phase = 'opening';
  private real: Store | null = null;
  private readonly since = Date.now();
  private step = 'starting';
  private standbySince = 0;
  private reason = '';
  private lastError: { message: string; at: number } | null = null;
  private timer: NodeJS.Timeout | null = null;
  private attempt: Promise<void> | null = null;
  private closed = false;
  /** Held in memory (no held file could be written). */
  private memory: RequestRecord[] = [];
  private heldCount = 0;
  private dropped = 0;
  private heldFile: string | null = null;
  private held: Journal | null = null;
  /** The held file could not be created: hold in memory from now on. */
  private heldFileFailed = false;
  private diskErrors = 0;
  /** Callers waiting for the store to open (a summary asked before any held record is stored, see summaryAtOpen). */
  private atOpen: { run: (s: Store) => Promise<void>; fail: (e: Error) => void }[] = [];
  private openWaiters: { resolve: () => void; reject: (e: Error) => void }[] = [];
  /** A retry of storing the held records, after a failure once open. */
  private heldRetry: NodeJS.Timeout | null = null;
  private storing: Promise<unknown> | null = null;
  /** Held records in no held file that storeHeld is storing (this run's lines a failed write kept, memory). */
  private storingUnfiled: RequestRecord[] = [];
  /** The held records were add()ed to the open store ahead of a summary (see summaryAtOpen): once is enough. */
  private heldPushed = false;

  constructor(private readonly opts: BackgroundOptions) {
    this.attempt = this.tryOpen().finally(() => (this.attempt = null));
  }

  /** `opening` (first open in progress), `standby` (it failed; retrying), `storing-held`, or `open`. */
  get state(): Phase {
    return this.phase;
  }

  private schedule(): void {
    if (this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.attempt = this.tryOpen().finally(() => (this.attempt = null));
    }, this.opts.retryMs ?? STANDBY_RETRY_MS);
    this.timer.unref();
  }

  private async tryOpen(): Promise<void> {
    let store: Store;
    try {
      store = await this.opts.open((what) => (this.step = what));
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      if (this.phase === 'opening') {
        this.opts.log('error', `store: cannot open the request store (${msg}); forwarding, holding records ${this.heldWhere()}, retrying every ${Math.round((this.opts.retryMs ?? STANDBY_RETRY_MS) / 1000)} s`);
        this.phase = 'standby';
        this.standbySince = Date.now();
        const e = new StoreUnavailableError(msg);
        for (const w of this.atOpen.splice(0)) w.fail(e);
        for (const w of this.openWaiters.splice(0)) w.reject(e);
      } else if (msg !== this.reason) this.opts.log('error', `store: still not recording: ${msg}`);
      this.reason = msg;
      this.lastError = { message: msg, at: Date.now() };
      this.schedule();
      return;
    }
    if (this.closed) {
      await store.close().catch(() => undefined);
      return;
    }
    // Summaries asked while it opened (budgets' start-up spend) are answered before any record reaches the store
    // (records are still held until they are): they hold none of the records added meanwhile, which their
    // callers count themselves.
    while (this.atOpen.length > 0) await Promise.allSettled(this.atOpen.splice(0).map((w) => w.run(store)));
    if (this.closed) {
      await store.close().catch(() => undefined);
      return;
    }
    this.real = store;
    this.phase = 'storing-held';
    this.step = 'storing the records held while it opened';
    const stored = await this.storeHeld(store);
    if (this.closed) return;
    this.phase = 'open';
    for (const w of this.openWaiters.splice(0)) w.resolve();
    const was = this.standbySince > 0 ? 'open again; recording resumed' : 'open';
    this.opts.log('info', `store: the request store is ${was} (${Math.round((Date.now() - this.since) / 100) / 10} s after start; ${stored} record(s) held meanwhile stored${this.dropped ? `, ${this.dropped} dropped` : ''})`);
    this.opts.onRecovered?.(stored);
  }

  /**
   * Adds every held record (held files, this run's lines a failed write kept, records in memory) to the opened
   * store, then deletes the held files. A failure leaves the files for the next start. Returns how many were new.
   */
  private async storeHeld(store: Store): Promise<number> {
    const journal = this.held;
    this.held = null;
    let lines: string[] = [];
    if (journal) {
      lines = journal.drainPending();
      await journal.close().catch(() => undefined);
    }
    const memory = this.memory;
    this.memory = [];
    const files = this.opts.dataDir ? listHeldFiles(this.opts.dataDir) : [];
    let inserted = 0;
    // records that are in no held file: kept for the retry if storing fails
    const unfiled: RequestRecord[] = [];
    for (const line of lines) {
      try {
        unfiled.push(JSON.parse(line) as RequestRecord);
      } catch {
        // a line this run wrote: it parses
      }
    }
    unfiled.push(...memory);
    this.storingUnfiled = unfiled;
    try {
      let batch: RequestRecord[] = [];
      const flush = async (): Promise<void> => {
        if (batch.length === 0) return;
        const b = batch;
        batch = [];
        inserted += (await store.addBulk(b)).inserted;
      };
      for (const file of files) {
        const pending: RequestRecord[] = [];
        await readSegment(file, (r) => pending.push(r), (msg) => this.opts.log('warn', `store: ${msg}`));
        for (const r of pending) {
          batch.push(r);
          if (batch.length >= STORE_BATCH) await flush();
        }
      }
      batch.push(...unfiled);
      await flush();
    } catch (err) {
      // Stored again (by id: nothing twice) every retryMs, and at the next start from the held files.
      this.memory = unfiled;
      const msg = `the records held while the store opened could not all be stored yet (${(err as Error).message}); ${files.length} held file(s) and ${unfiled.length} record(s) in memory kept, retried every ${Math.round((this.opts.retryMs ?? STANDBY_RETRY_MS) / 1000)} s`;
      this.lastError = { message: msg, at: Date.now() };
      this.opts.log('error', `store: ${msg}`);
      if (!this.closed) {
        this.heldRetry = setTimeout(() => {
          this.heldRetry = null;
          this.storing = this.storeHeld(store)
            .then((n) => n > 0 && this.opts.log('info', `store: ${n} held record(s) stored`))
            .finally(() => (this.storing = null));
        }, this.opts.retryMs ?? STANDBY_RETRY_MS);
        this.heldRetry.unref();
      }
      return inserted;
    }
    this.storingUnfiled = [];
    for (const file of files) fs.rmSync(file, { force: true });
    if (files.length > 0 && this.opts.dataDir) {
      try {
        fsyncDir(heldDir(this.opts.dataDir));
      } catch {
        // the records are in the store: a held file that comes back is stored again as nothing
      }
    }
    this.heldCount = 0;
    return inserted;
  }

  /** Held records wait for a retry of storeHeld (the store is open, storing them failed). */
  private get heldWaiting(): boolean {
    return this.heldRetry !== null || this.storing !== null;
  }

  private heldWhere(): string {
    if (this.heldFile) return `in ${this.heldFile}`;
    return this.opts.dataDir && !this.heldFileFailed ? `in ${heldDir(this.opts.dataDir)}` : 'in memory';
  }

  /** The held file's journal, created at the first held record; null when it cannot be (then memory). */
  private heldJournal(): Journal | null {
    if (this.held || this.heldFileFailed || !this.opts.dataDir) return this.held;
    const dir = heldDir(this.opts.dataDir);
    const file = path.join(dir, `held-${this.since}-${process.pid}.ndjson`);
    try {
      fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
      this.held = Journal.openFile(file, {
        fsyncIntervalMs: this.opts.fsyncIntervalMs ?? 200,
        onSyncError: (err) => this.noteDiskError(`held file fsync failed: ${err.message}`),
        onWriteError: (err, lines) => this.noteDiskError(`held file write failed (${err.message}); ${lines} record(s) wait in memory`),
        onDropped: (lines) => (this.dropped += lines),
      });
      // the file's name must survive a power loss as its lines do
      fsyncDir(dir);
      fsyncDir(this.opts.dataDir);
      this.heldFile = file;
    } catch (err) {
      this.heldFileFailed = true;
      this.noteDiskError(`cannot create ${file} (${(err as Error).message}); records are held in memory`);
      this.opts.log('error', `store: cannot create ${file} (${(err as Error).message}); holding records in memory until the store opens`);
    }
    return this.held;
  }

  private noteDiskError(message: string): void {
    this.diskErrors++;
    this.lastError = { message, at: Date.now() };
  }

  add(record: RequestRecord): string | null {
    if (this.real) return this.real.add(record);
    if (this.closed) return null;
    let line: string;
    try {
      line = JSON.stringify(record);
    } catch {
      this.dropped++;
      return null;
    }
    const journal = this.heldJournal();
    if (journal) {
      journal.append(line);
      this.heldCount++;
      return line;
    }
    if (this.memory.length >= MAX_HELD) {
      this.dropped++;
      return line; // forwarded and shown live, but not kept
    }
    this.memory.push(record);
    this.heldCount++;
    return line;
  }

  whenWritten(done: () => void): void {
    const held = this.held;
    if (this.real) {
      const real = this.real;
      // a record held in this turn, just before the store opened, is written to the held file first
      if (held) held.whenWritten(() => real.whenWritten(done));
      else real.whenWritten(done);
    } else if (held) held.whenWritten(done);
    else done(); // held in memory: never hold a client's response on a disk that is not there
  }

  /** Resolves once the store is open and its held records are in it; rejects if it cannot be opened now. */
  whenOpen(): Promise<void> {
    if (this.phase === 'open') return Promise.resolve();
    if (this.phase === 'standby' || this.closed) return Promise.reject(new StoreUnavailableError(this.unavailableReason()));
    return new Promise((resolve, reject) => this.openWaiters.push({ resolve, reject }));
  }

  /**
   * `summary(q)` of the store as it opens, before any record held meanwhile is added to it (budgets read their
   * start-up spend by it, and count the records they see from now on themselves; the held ones by heldRecords).
   * Asked once the store is open but its held records are not all stored yet, it holds all of them. Rejects on
   * standby.
   */
  summaryAtOpen(q: SummaryQuery): Promise<Summary> {
    if (this.real) {
      // Open, but held records may not all be stored yet (storing-held, or a retry after a failure): they are
      // add()ed now, ahead of the summary, so it holds them all (heldRecords is [] from now on).
      if (this.phase === 'storing-held' || this.heldWaiting) this.pushHeld(this.real);
      return this.real.summary(q);
    }
    if (this.phase === 'standby' || this.closed) return Promise.reject(new StoreUnavailableError(this.unavailableReason()));
    return new Promise((resolve, reject) => this.atOpen.push({ run: (s) => s.summary(q).then(resolve, reject), fail: reject }));
  }

  /**
   * The records held now (every held file: this run's and any a killed run left; this run's lines a failed write
   * kept; records held in memory) while the store is not open yet: the ones a summary asked now by summaryAtOpen
   * does not hold (it is answered before they are stored). Budgets book them beside the summaries their spend is
   * read from, so a rule added while the store opens, or held files of a killed run, count them (they were booked
   * by no one). [] once the store is open, also while it stores them (`storing-held`, or a retry after a failure):
   * summaryAtOpen then adds them all to the store ahead of the summary (`pushHeld`). Taken synchronously (call it
   * in the turn the summaries are asked); resolves as the store opens, with the summaries: a killed run's held
   * file may hold records that run stored before it was killed (between storing and deleting the file), which the
   * summaries hold — those are left out (looked up by id in the opened store). Rejects as summaryAtOpen does.
   */
  heldRecords(): Promise<RequestRecord[]> {
    if (this.real || this.closed) return Promise.resolve([]);
    const lines = this.held?.unwrittenLines() ?? []; // this turn's lines are in the file after this
    const own = this.heldFile ? this.readHeldFiles((f) => f === this.heldFile) : [];
    for (const line of lines) {
      const r = parseRecordLine(line);
      if (r) own.push(r);
    }
    own.push(...this.memory);
    const others = this.readHeldFiles((f) => f !== this.heldFile);
    if (others.length === 0) return Promise.resolve(own);
    if (this.phase === 'standby') return Promise.reject(new StoreUnavailableError(this.unavailableReason()));
    return new Promise((resolve, reject) =>
      this.atOpen.push({
        run: async (s) => {
          try {
            const stored = await Promise.all(others.map((r) => s.getRequest(r.id)));
            resolve([...others.filter((_, i) => stored[i] === null), ...own]);
          } catch (err) {
            reject(err as Error);
          }
        },
        fail: reject,
      }),
    );
  }

  /** The records of the held files now that `which` selects (read synchronously; an unreadable file is left to storeHeld). */
  private readHeldFiles(which: (file: string) => boolean = () => true): RequestRecord[] {
    const records: RequestRecord[] = [];
    for (const file of this.opts.dataDir ? listHeldFiles(this.opts.dataDir).filter(which) : []) {
      let text: string;
      try {
        text = fs.readFileSync(file, 'utf8');
      } catch {
        continue;
      }
      for (const line of text.split('\n')) {
        const r = line === '' ? null : parseRecordLine(line);
        if (r) records.push(r);
      }
    }
    return records;
  }

  /**
   * Adds every held record not yet stored to the open store now, synchronously (`add`: journaled and handed to the
   * worker in order, so a summary asked after it holds them; one storeHeld or its retry stored already, or stores
   * after this, is skipped by id in the worker, as at replay). The held files are still deleted by storeHeld only.
   */
  private pushHeld(store: Store): void {
    if (this.heldPushed) return;
    this.heldPushed = true;
    const seen = new Set<string>();
    for (const r of [...this.readHeldFiles(), ...this.storingUnfiled, ...this.memory]) {
      if (seen.has(r.id)) continue;
      seen.add(r.id);
      store.add(r);
    }
  }

  private unavailableReason(): string {
    if (this.phase === 'standby') return this.reason;
    if (this.phase === 'storing-held') return `it is storing the ${this.heldCount} record(s) held while it opened`;
    return `it is opening (${this.step})`;
  }

  private need(): Store {
    if (this.phase !== 'open' || !this.real) throw new StoreUnavailableError(this.unavailableReason());
    return this.real;
  }

  addBulk(records: readonly RequestRecord[]): Promise<BulkResult> {
    return this.phase === 'open' && this.real ? this.real.addBulk(records) : Promise.reject(new StoreUnavailableError(this.unavailableReason()));
  }

  async findByUpstreamRequestIds(ids: readonly string[], range?: { from?: number; to?: number }): Promise<RequestRecord[]> {
    return this.need().findByUpstreamRequestIds(ids, range);
  }

  async flush(): Promise<void> {
    if (this.real) await this.real.flush();
    else await this.held?.sync().catch(() => undefined);
  }

  async summary(q: SummaryQuery): Promise<Summary> {
    return this.need().summary(q);
  }

  /**
   * The real store's JSON summaries once it is open; undefined before (GET /api/summary then asks `summary`,
   * which answers StoreUnavailableError) and for a store without them, as `exportPage`.
   */
  get summaryJson(): Store['summaryJson'] {
    return this.phase === 'open' ? this.real?.summaryJson?.bind(this.real) : undefined;
  }

  async listRequests(q: RequestQuery): Promise<RequestPage> {
    return this.need().listRequests(q);
  }

  /**
   * The real store's page encoder once it is open (the embedded store's, in its worker), so an export keeps its
   * records off the HTTP thread; undefined before (the export then pages listRequests, which answers
   * StoreUnavailableError) and for a store without one.
   */
  get exportPage(): Store['exportPage'] {
    return this.phase === 'open' ? this.real?.exportPage?.bind(this.real) : undefined;
  }

  async getRequest(id: string): Promise<RequestRecord | null> {
    return this.need().getRequest(id);
  }

  async scanForReprice(q: { since?: number; cursor?: string; limit: number }): Promise<{ rows: RequestRecord[]; nextCursor: string | null }> {
    return this.need().scanForReprice(q);
  }

  async applyReprice(updates: RepriceUpdate[]): Promise<void> {
    return this.need().applyReprice(updates);
  }

  async stats(): Promise<StoreStats> {
    if (this.real && this.phase === 'open') {
      const s = await this.real.stats();
      return { ...s, droppedWrites: s.droppedWrites + this.dropped };
    }
    return {
      requests: 0,
      journalBytes: 0,
      lastSnapshotAt: null,
      droppedWrites: this.dropped,
      workerRestarts: 0,
      worker: { heapTotal: 0, heapUsed: 0, external: 0, arrayBuffers: 0 },
    };
  }

  health(): StoreHealth {
    if (this.real && this.phase === 'open') {
      const h = this.real.health();
      if (this.heldWaiting) {
        // reported as records waiting for a write (journal-unwritable), with why
        return { ...h, journalWritable: false, pendingRecords: h.pendingRecords + this.memory.length, diskErrors: h.diskErrors + this.diskErrors, lastError: this.lastError };
      }
      return this.dropped > 0 || this.diskErrors > 0 ? { ...h, diskErrors: h.diskErrors + this.diskErrors, lastError: h.lastError ?? this.lastError } : h;
    }
    const held = { records: this.heldCount, file: this.heldFile, inMemory: this.memory.length, dropped: this.dropped };
    const standby = this.phase === 'standby';
    return {
      kind: standby ? 'standby' : 'sqlite',
      workerUp: false,
      journalWritable: false,
      pendingRecords: this.heldCount,
      diskErrors: this.diskErrors,
      damaged: [],
      journalGap: null,
      standby: standby ? { reason: this.reason, since: this.standbySince } : null,
      opening: standby ? null : { since: this.since, step: this.step },
      held,
      lastError: this.lastError,
    };
  }

  async snapshot(): Promise<void> {
    if (this.phase === 'open') await this.real?.snapshot();
  }

  async pruneOld(now?: number): Promise<number> {
    return this.phase === 'open' && this.real ? this.real.pruneOld(now) : 0;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.heldRetry) clearTimeout(this.heldRetry);
    this.heldRetry = null;
    await this.storing;
    const e = new StoreUnavailableError('the daemon is stopping');
    for (const w of this.atOpen.splice(0)) w.fail(e);
    for (const w of this.openWaiters.splice(0)) w.reject(e);
    // Held records are on disk before waiting for an open that may take long (a migration): the next start stores them.
    if (this.held) {
      const lost = this.held.drainPending().length;
      await this.held.close().catch(() => undefined);
      this.held = null;
      if (lost > 0) this.opts.log('error', `store: ${lost} record(s) held while the store opened could not be written to ${this.heldFile} and were never stored`);
      else if (this.heldCount > 0) this.opts.log('info', `store: ${this.heldCount} record(s) held in ${this.heldFile}; the next start stores them`);
    }
    // open, but storing the held records failed: one last try before they are given up
    if (this.phase === 'open' && this.real && this.memory.length > 0) await this.storeHeld(this.real);
    if (this.memory.length > 0) this.opts.log('error', `store: ${this.memory.length} record(s) kept in memory were never stored`);
    await this.attempt;
    await this.real?.close();
  }
}

/**
 * Starts opening the real store in the background and returns at once (see the header). Never throws.
 */
export function openStoreInBackground(opts: BackgroundOptions): BackgroundStore {
  return new BackgroundStore(opts);
}

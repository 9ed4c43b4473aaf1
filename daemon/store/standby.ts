/**
 * Forwarding never depends on the disk: `openStoreOrStandby()` returns a Store even when the real one
 * cannot be opened (a full disk, a journal segment that is a directory, a folder that is not writable).
 * Until it can, the daemon is on standby: requests are forwarded, their records are kept in memory (up to
 * MAX_HELD, then counted as dropped) and queries fail with StoreUnavailableError (the API answers 503);
 * the real store is tried again every `retryMs`, and once it opens the held records are added to it and
 * every call goes to it. `health()` says so all along (GET /ready answers 503, GET /api/status explains).
 */
import type { RequestPage, RequestQuery, RequestRecord, Summary } from '../../shared/contract.ts';
import type { BulkResult, RepriceUpdate, Store, StoreHealth, StoreStats, SummaryQuery } from './index.ts';
import type { LogLevel } from './messages.ts';

/** Records kept in memory while on standby. */
export const MAX_HELD = 10_000;
/** Default period between attempts to open the real store. */
export const STANDBY_RETRY_MS = 5_000;

/** A query while the store cannot be opened. */
export class StoreUnavailableError extends Error {
  readonly code = 'ESTORE_UNAVAILABLE';
  constructor(reason: string) {
    super(`the request store is not available: ${reason}`);
    this.name = 'StoreUnavailableError';
  }
}

export interface StandbyOptions {
  open: () => Promise<Store>;
  log: (level: LogLevel, msg: string) => void;
  retryMs?: number;
  /** Called once the real store is open after a standby (e.g. to say so on stdout). */
  onRecovered?: (held: number) => void;
}

class StandbyStore implements Store {
  private real: Store | null = null;
  private held: RequestRecord[] = [];
  private dropped = 0;
  private reason: string;
  private readonly since = Date.now();
  private timer: NodeJS.Timeout | null = null;
  private attempt: Promise<void> | null = null;
  private closed = false;
  private lastError: { message: string; at: number };

  constructor(
    private readonly opts: StandbyOptions,
    firstError: Error,
  ) {
    this.reason = firstError.message;
    this.lastError = { message: firstError.message, at: this.since };
    this.schedule();
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
      store = await this.opts.open();
    } catch (err) {
      const msg = (err as Error).message;
      if (msg !== this.reason) this.opts.log('error', `store: still not recording: ${msg}`);
      this.reason = msg;
      this.lastError = { message: msg, at: Date.now() };
      this.schedule();
      return;
    }
    if (this.closed) {
      await store.close().catch(() => undefined);
      return;
    }
    this.real = store;
    const held = this.held;
    this.held = [];
    for (const r of held) store.add(r);
    this.opts.log('info', `store: the request store is open again; recording resumed (${held.length} record(s) kept in memory stored${this.dropped ? `, ${this.dropped} dropped` : ''})`);
    this.opts.onRecovered?.(held.length);
  }

  private need(): Store {
    if (!this.real) throw new StoreUnavailableError(this.reason);
    return this.real;
  }

  /** True while the real store is not open. */
  get onStandby(): boolean {
    return this.real === null;
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
    if (this.held.length >= MAX_HELD) {
      this.dropped++;
      return line; // forwarded and shown live, but not kept
    }
    this.held.push(record);
    return line;
  }

  whenWritten(done: () => void): void {
    if (this.real) this.real.whenWritten(done);
    else done(); // never hold a client's response on a store that is not there
  }

  addBulk(records: readonly RequestRecord[]): Promise<BulkResult> {
    return this.real ? this.real.addBulk(records) : Promise.reject(new StoreUnavailableError(this.reason));
  }

  async findByUpstreamRequestIds(ids: readonly string[], range?: { from?: number; to?: number }): Promise<RequestRecord[]> {
    return this.need().findByUpstreamRequestIds(ids, range);
  }

  async flush(): Promise<void> {
    await this.real?.flush();
  }

  async summary(q: SummaryQuery): Promise<Summary> {
    return this.need().summary(q);
  }

  async summaryJson(q: SummaryQuery): Promise<Uint8Array> {
    const real = this.need();
    return real.summaryJson ? real.summaryJson(q) : new TextEncoder().encode(JSON.stringify(await real.summary(q)));
  }

  async listRequests(q: RequestQuery): Promise<RequestPage> {
    return this.need().listRequests(q);
  }

  /**
   * The real store's page encoder once it is open (the embedded store's, in its worker), so an export after a
   * standby keeps its records off the HTTP thread; undefined before (the export then pages listRequests,
   * which answers StoreUnavailableError) and for a store without one.
   */
  get exportPage(): Store['exportPage'] {
    return this.real?.exportPage?.bind(this.real);
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
    if (this.real) {
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
    if (this.real) return this.real.health();
    return {
      kind: 'standby',
      workerUp: false,
      journalWritable: false,
      pendingRecords: this.held.length,
      diskErrors: 0,
      damaged: [],
      journalGap: null,
      standby: { reason: this.reason, since: this.since },
      lastError: this.lastError,
    };
  }

  async snapshot(): Promise<void> {
    await this.real?.snapshot();
  }

  async pruneOld(now?: number): Promise<number> {
    return this.real ? this.real.pruneOld(now) : 0;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.attempt;
    if (!this.real && this.held.length > 0) this.opts.log('error', `store: ${this.held.length} record(s) kept in memory were never stored (the store did not open)`);
    await this.real?.close();
  }
}

/**
 * Opens the real store, or — when that fails — a standby store that forwards without recording and keeps
 * trying (see the header). Never throws. `standby` is the reason when it started on standby.
 */
export async function openStoreOrStandby(opts: StandbyOptions): Promise<{ store: Store; standby: string | null }> {
  try {
    return { store: await opts.open(), standby: null };
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    opts.log('error', `store: cannot open the request store (${e.message}); forwarding WITHOUT recording, retrying every ${Math.round((opts.retryMs ?? STANDBY_RETRY_MS) / 1000)} s`);
    return { store: new StandbyStore(opts, e), standby: e.message };
  }
}

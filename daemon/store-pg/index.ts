/**
 * The PostgreSQL store: the same `Store` as the embedded one (daemon/store/index.ts), for a team ledger
 * (`CCO_DATABASE_URL=postgres://…` or `[database] url`).
 *
 * Write path: `add()` puts the record's JSON line in a local durable outbox (outbox.ts: the journal's
 * grouped write, so the proxy's `whenWritten` contract is unchanged and never waits on the network); the
 * outbox ships batches to PostgreSQL (rows.ts insertBatch: idempotent by record id and upstream
 * request-id, rollups in the same transaction). When the database is down, records wait on disk and are
 * written when it is back; the proxy never notices. Reads first drain the outbox, so they see every record
 * added before them (and fail with the database's error while it is unreachable).
 *
 * Start: a bad URL, an unreachable database or a failed migration is one `DatabaseError` line.
 *
 * Schema: every write checks, under the migrations' lock, that the database's schema is the one this daemon
 * knows (schema-guard.ts). When a newer CCO migrated it meanwhile, records wait in the outbox, reads are refused
 * with the same error (they would miss them), `health()` says so, until a restart with a CCO that knows it.
 */
import { TEAM_STORE } from './brand.ts';
import path from 'node:path';
import type pg from 'pg';
import type { RequestPage, RequestQuery, RequestRecord, Summary } from '../../shared/contract.ts';
import type { RepriceUpdate } from '../store/queries.ts';
import type { Store, StoreHealth, StoreStats } from '../store/index.ts';
import type { LogLevel } from '../store/messages.ts';
import { isRequestRecord } from '../store/rows.ts';
import { VERSION } from '../version.ts';
import { Outbox } from './outbox.ts';
import { listPartitions } from './partitions.ts';
import { DatabaseError, checkConnection, createPool, describeUrl, isRefusal } from './pool.ts';
import { applyReprice, deleteOlderThan, findByUpstreamRequestIds, getRequest, listRequests, scanForReprice } from './queries.ts';
import { insertBatch } from './rows.ts';
import { PG_MIGRATIONS, migratePg } from './schema.ts';
import { SchemaGuard, newerSchemaLine } from './schema-guard.ts';
import { buildSummary, type PgSummaryQuery } from './summary.ts';

export { DatabaseError } from './pool.ts';
export type { PgSummaryQuery } from './summary.ts';

const DAY_MS = 86_400_000;

export interface PgStoreOptions {
  /** postgres://user[:password]@host[:port]/database */
  url: string;
  /** Where the outbox lives (`<dataDir>/pg-outbox`). */
  dataDir: string;
  /** Detail rows older than this are deleted (rollups stay). Default 396 (13 months). */
  retentionDays?: number;
  retentionIntervalMs?: number;
  fsyncIntervalMs?: number;
  /** User given to records that carry none (a federated daemon's `[team] user`). */
  defaultUser?: string | null;
  /** Pool size (default 8). */
  poolMax?: number;
  connectTimeoutMs?: number;
  /** Outbox retry backoff (tests shorten it). */
  retryMinMs?: number;
  retryMaxMs?: number;
  log?: (level: LogLevel, msg: string) => void;
  /** The migrations this store knows (default PG_MIGRATIONS; tests give a prefix to play an older CCO). */
  migrations?: readonly string[];
}

export interface PgStoreStats extends StoreStats {
  /** Records in the outbox not yet committed in PostgreSQL. */
  outboxWaiting: number;
  /** The database error while records wait, else null. */
  outboxError: string | null;
}

export class PgStore implements Store {
  readonly [TEAM_STORE] = true;
  private dropped = 0;
  private closing: Promise<void> | null = null;
  private timers: NodeJS.Timeout[] = [];
  outbox!: Outbox;

  constructor(
    readonly pool: pg.Pool,
    private readonly months: Set<number>,
    private readonly opts: { retentionDays: number; defaultUser: string | null; log: (level: LogLevel, msg: string) => void },
    /** Refuses writes (and then reads) once the database's schema is newer than this store's. */
    readonly guard: SchemaGuard = new SchemaGuard(),
  ) {}

  /**
   * Ships records, isolating one the database refuses (a data error PostgreSQL sent: pool.ts isRefusal) so it
   * cannot block the outbox forever; any other error (a lost connection, a newer schema, a pool already ended)
   * throws, and the outbox keeps them.
   */
  async ship(records: RequestRecord[]): Promise<void> {
    try {
      await insertBatch(this.pool, records, this.opts.defaultUser, this.months, this.guard);
    } catch (err) {
      if (!isRefusal(err)) throw err;
      if (records.length > 1) {
        for (const r of records) await this.ship([r]);
        return;
      }
      this.dropped++;
      this.opts.log('error', `store: PostgreSQL refused record ${records[0]?.id}: ${(err as Error).message}; dropped`);
    }
  }

  startTimers(intervalMs: number): void {
    const t = setInterval(() => {
      this.pruneOld().catch((err: Error) => this.opts.log('error', `store: retention failed: ${err.message}`));
    }, intervalMs);
    t.unref();
    this.timers.push(t);
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
      this.outbox.append(line);
    } catch (err) {
      this.dropped++;
      this.opts.log('error', `store: record ${String(record?.id)} not taken: ${(err as Error).message}`);
      return null;
    }
    return line;
  }

  whenWritten(done: () => void): void {
    this.outbox.whenWritten(done);
  }

  async flush(): Promise<void> {
    await this.outbox.sync();
    await this.outbox.drain();
  }

  async addBulk(records: readonly RequestRecord[]): Promise<{ inserted: number; skipped: number; invalid: number }> {
    if (this.closing) throw new Error('store closed');
    this.guard.check();
    const valid = records.filter((r) => isRequestRecord(r));
    await this.outbox.drain();
    const { rows } = await this.pool.query<{ id: string }>('SELECT id FROM request_keys WHERE id = ANY($1::text[])', [valid.map((r) => r.id)]);
    const stored = new Set(rows.map((r) => r.id));
    let inserted = 0;
    for (const r of valid) {
      if (stored.has(r.id)) continue;
      stored.add(r.id);
      this.outbox.append(JSON.stringify(r));
      inserted++;
    }
    await this.flush();
    return { inserted, skipped: valid.length - inserted, invalid: records.length - valid.length };
  }

  async findByUpstreamRequestIds(ids: readonly string[], range: { from?: number; to?: number } = {}): Promise<RequestRecord[]> {
    await this.drained();
    return findByUpstreamRequestIds(this.pool, ids, range);
  }

  async summary(q: PgSummaryQuery): Promise<Summary> {
    await this.drained();
    return buildSummary(this.pool, q);
  }

  async listRequests(q: RequestQuery): Promise<RequestPage> {
    await this.drained();
    return listRequests(this.pool, q);
  }

  async getRequest(id: string): Promise<RequestRecord | null> {
    await this.drained();
    return getRequest(this.pool, id);
  }

  async scanForReprice(q: { since?: number; cursor?: string; limit: number }): Promise<{ rows: RequestRecord[]; nextCursor: string | null }> {
    await this.drained();
    return scanForReprice(this.pool, q);
  }

  async applyReprice(updates: RepriceUpdate[]): Promise<void> {
    await applyReprice(this.pool, updates, this.guard);
  }

  /** Before a read: every record added so far is in the database, and its schema is still this store's. */
  private async drained(): Promise<void> {
    this.guard.check();
    await this.outbox.drain();
  }

  /**
   * Ready while the outbox (on disk) takes records, even with the database unreachable or migrated by a newer
   * CCO (lastError and newerSchema say so).
   */
  health(): StoreHealth {
    const newer = this.guard.newer;
    const err = this.outbox.error;
    return {
      kind: 'postgres',
      workerUp: true,
      journalWritable: true,
      pendingRecords: 0,
      diskErrors: 0,
      damaged: [],
      journalGap: null,
      standby: null,
      lastError: err === null ? null : { message: newer ? err : `database unreachable: ${err}`, at: Date.now() },
      newerSchema: newer,
    };
  }

  async stats(): Promise<PgStoreStats> {
    const { rows } = await this.pool.query<{ n: number }>('SELECT count(*) AS n FROM requests');
    return {
      requests: Number(rows[0]?.n ?? 0),
      journalBytes: this.outbox.bytes(),
      lastSnapshotAt: null,
      droppedWrites: this.dropped,
      workerRestarts: 0,
      // no store worker: the database runs elsewhere
      worker: { heapTotal: 0, heapUsed: 0, external: 0, arrayBuffers: 0 },
      outboxWaiting: this.outbox.waiting(),
      outboxError: this.outbox.error,
    };
  }

  /** Nothing to snapshot (PostgreSQL is durable); ships what waits in the outbox. */
  async snapshot(): Promise<void> {
    await this.outbox.drain();
  }

  async pruneOld(now = Date.now()): Promise<number> {
    const n = await deleteOlderThan(this.pool, now - this.opts.retentionDays * DAY_MS, this.months, this.guard);
    if (n > 0) this.opts.log('info', `store: retention removed ${n} request rows older than ${this.opts.retentionDays} days`);
    return n;
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      for (const t of this.timers) clearInterval(t);
      try {
        await this.outbox.close();
      } finally {
        await this.pool.end();
      }
    })();
    return this.closing;
  }
}

/** True for the PostgreSQL store (it knows users: `byUser`, `user` filters). */
export { isTeamStore } from './brand.ts';

function defaultLog(level: LogLevel, msg: string): void {
  process.stderr.write(`[store-pg] ${level}: ${msg}\n`);
}

/** Opens the PostgreSQL store: checks the URL, connects, migrates, opens the outbox. Throws DatabaseError. */
export async function openPgStore(options: PgStoreOptions): Promise<PgStore> {
  const log = options.log ?? defaultLog;
  const pool = createPool(options.url, {
    max: options.poolMax,
    connectTimeoutMs: options.connectTimeoutMs,
    onError: (err) => log('warn', `store: PostgreSQL connection lost: ${err.message}`),
  });
  try {
    await checkConnection(pool, options.url);
    const migrations = options.migrations ?? PG_MIGRATIONS;
    try {
      await migratePg(pool, VERSION, migrations);
    } catch (err) {
      throw new DatabaseError(`PostgreSQL at ${describeUrl(options.url)}: ${(err as Error).message}`, { cause: err });
    }
    const months = new Set((await listPartitions(pool)).keys());
    const guard = new SchemaGuard(migrations.length, (e) => log('error', `store: ${newerSchemaLine(e, VERSION)}`));
    const s = new PgStore(pool, months, { retentionDays: options.retentionDays ?? 396, defaultUser: options.defaultUser ?? null, log }, guard);
    s.outbox = await Outbox.open({
      dir: path.join(options.dataDir, 'pg-outbox'),
      ship: (records) => s.ship(records),
      log,
      fsyncIntervalMs: options.fsyncIntervalMs,
      retryMinMs: options.retryMinMs,
      retryMaxMs: options.retryMaxMs,
    });
    await s.pruneOld();
    s.startTimers(options.retentionIntervalMs ?? 60 * 60_000);
    return s;
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw err;
  }
}

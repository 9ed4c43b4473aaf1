/**
 * Federated team mode (`[team] url`, `user`): the daemon keeps its embedded store and ALSO ships every record
 * to the team's PostgreSQL.
 *
 * - Durable: `add()` appends the record's JSON line to an outbox on disk (`<data>/team-outbox/`, the same
 *   journal as the PostgreSQL store's outbox: one write per event-loop turn, grouped fdatasync), so a
 *   kill -9 loses nothing that was written; the proxy's `whenRecorded` waits for that write, never for the
 *   network.
 * - Retries: a failed shipping cycle is retried with exponential backoff (250 ms doubling to 30 s; timers,
 *   so the monotonic clock, not the wall clock) while new records keep being appended on disk.
 * - Exactly once: the server side is idempotent (store-pg/rows.ts insertBatch claims the record id and the
 *   upstream request-id in `request_keys`), so a segment re-sent after a crash or a restart is skipped.
 * - A database that is down (or not there at start) never stops the daemon: it connects and migrates lazily,
 *   on the first shipping cycle that reaches it.
 * - A database a newer CCO migrated (at connect, or while this daemon runs: each shipping transaction checks,
 *   store-pg/schema-guard.ts) gets nothing more from this daemon: records wait in the outbox, `status()` says so
 *   (`newerSchema`), until the daemon is restarted with a CCO that knows the schema.
 */
import os from 'node:os';
import path from 'node:path';
import type pg from 'pg';
import type { RequestRecord, TeamStatus } from '../../shared/contract.ts';
import type { LogLevel } from '../store/messages.ts';
import { VERSION } from '../version.ts';
import { Outbox } from '../store-pg/outbox.ts';
import { listPartitions } from '../store-pg/partitions.ts';
import { checkDatabaseUrl, createPool, describeUrl, isRefusal } from '../store-pg/pool.ts';
import { insertBatch } from '../store-pg/rows.ts';
import { PG_MIGRATIONS, migratePg } from '../store-pg/schema.ts';
import { SchemaGuard, newerSchemaLine } from '../store-pg/schema-guard.ts';

export interface TeamShipperOptions {
  /** postgres://user[:password]@host[:port]/database */
  url: string;
  /** The name records are filed under ('' or absent: the login name). */
  user?: string;
  /** The outbox lives in `<dataDir>/team-outbox`. */
  dataDir: string;
  log: (level: LogLevel, msg: string) => void;
  retryMinMs?: number;
  retryMaxMs?: number;
  batchSize?: number;
  fsyncIntervalMs?: number;
  /** How long `close()` keeps shipping before leaving the rest on disk for the next start (default 2 s). */
  closeTimeoutMs?: number;
  /** The migrations this daemon knows (default PG_MIGRATIONS; tests give a prefix to play an older CCO). */
  migrations?: readonly string[];
}

export interface TeamShipper {
  readonly user: string;
  /** Queues a record (durably, this event-loop turn); never throws, never waits on the network. */
  add(record: RequestRecord): void;
  /** Calls `done` once every record added so far is written to the outbox file. */
  whenWritten(done: () => void): void;
  /** Ships everything added before the call; rejects with the database error when it cannot. */
  drain(): Promise<void>;
  status(): TeamStatus;
  close(): Promise<void>;
}

/** The team name of this machine's user when `[team] user` is empty. */
export function defaultTeamUser(): string {
  try {
    return os.userInfo().username || 'unknown';
  } catch {
    return process.env.USER || process.env.USERNAME || 'unknown';
  }
}

/** Throws (a DatabaseError) for a malformed URL; never connects. */
export async function openTeamShipper(o: TeamShipperOptions): Promise<TeamShipper> {
  checkDatabaseUrl(o.url);
  const user = o.user?.trim() || defaultTeamUser();
  const pool: pg.Pool = createPool(o.url, { max: 2, onError: (err) => o.log('warn', `team: PostgreSQL connection lost: ${err.message}`) });
  let months: Set<number> | null = null;
  let shipped = 0;
  let duplicates = 0;
  let refused = 0;
  let lastShippedAt: number | null = null;
  /** When the current run of failed shipments began (reset by the next commit). */
  let failingSince: string | null = null;
  const migrations = o.migrations ?? PG_MIGRATIONS;
  const guard = new SchemaGuard(migrations.length, (e) => o.log('error', `team: ${newerSchemaLine(e, VERSION)}`));

  /** Migrates once per run, on the first cycle that reaches the database (several daemons: advisory lock). */
  const ready = async (): Promise<Set<number>> => {
    if (months) return months;
    await migratePg(pool, VERSION, migrations).catch((err: unknown) => {
      guard.note(err);
      throw err;
    });
    months = new Set((await listPartitions(pool)).keys());
    o.log('info', `team: shipping records to ${describeUrl(o.url)} as ${user}`);
    return months;
  };

  const ship = async (records: RequestRecord[]): Promise<void> => {
    guard.check();
    const known = await ready();
    try {
      const fresh = await insertBatch(pool, records, user, known, guard);
      shipped += fresh.length;
      duplicates += records.length - fresh.length;
      lastShippedAt = Date.now();
      failingSince = null;
    } catch (err) {
      if (!isRefusal(err)) throw err; // connection, newer schema, pool ended: the outbox keeps them
      // a record the database refuses (a data error) must not block the outbox: isolate it, log it, drop it
      if (records.length === 1) {
        refused++;
        o.log('error', `team: PostgreSQL refused record ${records[0]?.id}: ${(err as Error).message}; not shipped`);
        return;
      }
      for (const r of records) await ship([r]);
    }
  };

  const outbox = await Outbox.open({
    dir: path.join(o.dataDir, 'team-outbox'),
    ship: (records) =>
      ship(records).catch((err: unknown) => {
        failingSince ??= new Date().toISOString();
        throw err;
      }),
    log: (level, msg) => o.log(level, `team ${msg}`),
    batchSize: o.batchSize,
    fsyncIntervalMs: o.fsyncIntervalMs,
    retryMinMs: o.retryMinMs,
    retryMaxMs: o.retryMaxMs,
  });

  let closed = false;
  return {
    user,
    add(record) {
      if (closed) return;
      try {
        outbox.append(JSON.stringify(record));
      } catch (err) {
        refused++;
        o.log('error', `team: record ${String(record?.id)} not queued: ${(err as Error).message}`);
      }
    },
    whenWritten: (done) => outbox.whenWritten(done),
    drain: () => outbox.drain(),
    status: (): TeamStatus => ({
      enabled: true,
      target: describeUrl(o.url),
      user,
      waiting: outbox.waiting(),
      outboxBytes: outbox.bytes(),
      shipped,
      duplicates,
      lastShippedAt: lastShippedAt === null ? null : new Date(lastShippedAt).toISOString(),
      lastError: outbox.error,
      failures: outbox.failureCount,
      failingSince: outbox.error === null ? null : failingSince,
      refused,
      newerSchema: guard.newer,
    }),
    async close() {
      if (closed) return;
      closed = true;
      try {
        await outbox.close(o.closeTimeoutMs ?? 2000);
      } finally {
        await pool.end().catch(() => undefined);
      }
    },
  };
}

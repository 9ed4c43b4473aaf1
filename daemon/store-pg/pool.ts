/**
 * The `pg` connection pool: URL checks, bigint/numeric as JS numbers (every stored number is an integer
 * well below 2^53: nano-USD sums of a team's year stay under 1e16), and one clear error when the database
 * cannot be reached at start. The password never appears in a message.
 */
import pg from 'pg';
import { SchemaNewerError } from './schema-newer.ts';

export { SchemaNewerError } from './schema-newer.ts';

/** A start-up problem with the database, worded for the user (one line). */
export class DatabaseError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DatabaseError';
  }
}

const INT8 = 20;
const NUMERIC = 1700;

const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === INT8 || oid === NUMERIC) return (v: string) => Number(v);
    return pg.types.getTypeParser(oid, format);
  },
} as pg.CustomTypesConfig;

/** Where a URL points, without its password: `user@host:port/db`. */
export function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    const host = u.hostname || u.searchParams.get('host') || 'localhost';
    return `${u.username ? `${decodeURIComponent(u.username)}@` : ''}${host}:${u.port || 5432}${u.pathname || '/'}`;
  } catch {
    return '(unparseable URL)';
  }
}

/** Throws DatabaseError unless `url` is a postgres:// or postgresql:// URL naming a database. */
export function checkDatabaseUrl(url: string): void {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new DatabaseError('database URL is not a URL: use postgres://user[:password]@host[:port]/database');
  }
  if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:') {
    throw new DatabaseError(`database URL must start with postgres:// or postgresql://, not ${u.protocol}//`);
  }
  if (u.pathname.replace(/^\//, '') === '') {
    throw new DatabaseError(`database URL ${describeUrl(url)} names no database: use postgres://user@host:port/database`);
  }
}

export interface PoolOptions {
  max?: number;
  connectTimeoutMs?: number;
  onError?: (err: Error) => void;
}

export function createPool(url: string, opts: PoolOptions = {}): pg.Pool {
  checkDatabaseUrl(url);
  const pool = new pg.Pool({
    connectionString: url,
    max: opts.max ?? 8,
    connectionTimeoutMillis: opts.connectTimeoutMs ?? 5000,
    idleTimeoutMillis: 30_000,
    keepAlive: true,
    types,
    application_name: 'cco',
  });
  // An idle client whose server went away emits 'error' on the pool: without a listener that would throw
  // and take the daemon (and its proxy) down. The next query reconnects.
  pool.on('error', (err) => opts.onError?.(err));
  return pool;
}

/** Connects once (`SELECT 1`); a failure becomes one DatabaseError line naming the target, not the password. */
export async function checkConnection(pool: pg.Pool, url: string): Promise<void> {
  try {
    await pool.query('SELECT 1');
  } catch (err) {
    const e = err as Error & { code?: string };
    const why = e.code && !e.message.includes(e.code) ? `${e.message} (${e.code})` : e.message;
    throw new DatabaseError(`cannot use PostgreSQL at ${describeUrl(url)}: ${why || 'connection failed'}`, { cause: err });
  }
}

/** True for errors after which records must wait in the outbox and be sent again (never dropped as refused). */
export function mustWait(err: unknown): boolean {
  return err instanceof SchemaNewerError || isTransient(err);
}

/**
 * True only for an error PostgreSQL itself sent about the statement (a data error: bad value, constraint) that
 * will not go away by waiting: the one case where a record is isolated and dropped so it cannot block the
 * outbox. Anything else (connection lost, server down, a newer schema, an error of the client such as a pool
 * already ended) keeps the records in the outbox: a ship after the pool ended once dropped a whole segment.
 */
export function isRefusal(err: unknown): boolean {
  return err instanceof pg.DatabaseError && !mustWait(err);
}

/** True for errors after which the same statement may work later (connection lost, server down, deadlock). */
export function isTransient(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  const code = e?.code ?? '';
  if (/^(08|53|57P|58)/.test(code)) return true; // connection, resources, operator intervention (shutdown), system
  if (code === '40001' || code === '40P01') return true; // serialization failure, deadlock
  if (['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH'].includes(code)) return true;
  const msg = e?.message ?? '';
  return /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Connection ended|not queryable/i.test(msg);
}

/**
 * The schema guard: a daemon writes to the team's PostgreSQL only while its schema is one the daemon knows.
 *
 * Several daemons share one database (federated laptops, a central gateway). A newer CCO migrates it when it
 * connects; an older daemon still running would go on writing records with the summary layers of ITS schema
 * only (migrations 5–8 each add layers written in the same transaction as the hours), and the team's summaries
 * would silently miss them. So every write transaction begins with
 *
 *   BEGIN; SELECT pg_advisory_xact_lock_shared(MIGRATION_LOCK); SELECT version … FROM cco_schema_version …
 *
 * (one round trip: three statements in one simple query) and is rolled back before it writes anything when
 * the version is newer than the daemon knows. A migration holds the same lock exclusively in its transaction
 * (schema.ts migratePg), so:
 * - a write that began first holds the shared lock until it commits: the migration waits for it, and its
 *   backfill (a later statement, so a later snapshot: READ COMMITTED) takes the write's hours in;
 * - a write that begins while the migration runs waits for the lock; the version is read by the NEXT
 *   statement, whose snapshot is taken after the lock was granted, so it sees the migration committed.
 * No write of an older daemon commits after a newer migration. Writes do not wait for one another (shared).
 *
 * Once it saw a newer schema the guard stays shut (`newer`): every later write and read of this daemon throws
 * the same SchemaNewerError without asking the database, the outbox keeps the records (pool.ts mustWait: never
 * dropped as refused), the status says so, until the daemon is restarted with a CCO that knows the schema.
 */
import type pg from 'pg';
import type { NewerSchema } from '../../shared/contract.ts';
import { SchemaNewerError } from './schema-newer.ts';
import { MIGRATION_LOCK, PG_SCHEMA_VERSION } from './schema.ts';

const BEGIN_SQL = `BEGIN; SELECT pg_advisory_xact_lock_shared(${MIGRATION_LOCK});
  SELECT version, cco_version FROM cco_schema_version ORDER BY version DESC LIMIT 1`;

export class SchemaGuard {
  private refused: SchemaNewerError | null = null;
  private refusedAt = 0;

  /**
   * `known`: the schema this daemon writes (its migrations; tests play an older CCO with fewer). `onNewer`:
   * called once, when a newer schema is first seen.
   */
  constructor(
    readonly known: number = PG_SCHEMA_VERSION,
    private readonly onNewer: (err: SchemaNewerError) => void = () => undefined,
  ) {}

  /** The newer schema seen (this daemon writes nothing more), else null. */
  get newer(): NewerSchema | null {
    const e = this.refused;
    return e && { database: e.database, supported: e.supported, migratedBy: e.migratedBy, since: new Date(this.refusedAt).toISOString() };
  }

  /** Throws the SchemaNewerError seen, if any. */
  check(): void {
    if (this.refused) throw this.refused;
  }

  /** Remembers a newer schema found elsewhere (migratePg at connect); other errors are ignored. */
  note(err: unknown): void {
    if (!(err instanceof SchemaNewerError) || this.refused) return;
    this.refused = err;
    this.refusedAt = Date.now();
    this.onNewer(err);
  }

  /**
   * Begins a write transaction on `client` (the caller commits or rolls back): waits for a migration that
   * runs, then throws SchemaNewerError (the transaction still open: the caller's ROLLBACK ends it) when the
   * database's schema is newer than `known`.
   */
  async begin(client: pg.PoolClient): Promise<void> {
    this.check();
    const results = (await client.query(BEGIN_SQL)) as unknown as pg.QueryResult<{ version: number; cco_version: string }>[];
    const top = results[2]?.rows[0];
    if (top && Number(top.version) > this.known) {
      this.note(new SchemaNewerError(Number(top.version), this.known, top.cco_version ?? null));
      this.check();
    }
  }
}

/** The log line when a write finds the database migrated by a newer CCO (the caller prefixes it). */
export function newerSchemaLine(e: SchemaNewerError, version: string): string {
  return (
    `the PostgreSQL schema is now version ${e.database}${e.migratedBy ? ` (migrated by CCO ${e.migratedBy})` : ''}, newer than ` +
    `this CCO ${version} knows (${e.supported}): nothing more is written there; records wait on disk and are written ` +
    `once this daemon is restarted with ${e.migratedBy ? `CCO ${e.migratedBy} or newer` : 'a newer CCO'}`
  );
}

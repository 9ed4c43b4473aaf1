/**
 * SchemaNewerError apart from pool.ts, without `pg`: the API tells it from other errors (a 503 with its
 * message) and must not load the PostgreSQL client on a daemon that does not use it.
 */
/**
 * The database's schema is newer than this CCO knows: a newer CCO migrated it (before this one connected, or
 * while it ran: schema-guard.ts). Nothing is written to it by this CCO; records wait in the outbox.
 */
export class SchemaNewerError extends Error {
  readonly code = 'ESCHEMA_NEWER';
  constructor(
    /** The database's schema version. */
    readonly database: number,
    /** The newest version this CCO knows. */
    readonly supported: number,
    /** The CCO that applied the database's newest migration (its `cco_schema_version` row). */
    readonly migratedBy: string | null,
  ) {
    super(`database schema version ${database} is newer than this CCO supports (${supported})${migratedBy ? `: migrated by CCO ${migratedBy}` : ''}`);
    this.name = 'SchemaNewerError';
  }
}

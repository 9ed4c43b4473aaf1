/**
 * Errors that mean "the store cannot answer now", not "the daemon failed": the store is on standby (it cannot
 * be opened yet) or a newer CCO migrated the team's PostgreSQL database. The API answers them 503 with their
 * message (app.ts' error handler); a handler that catches its own errors rethrows these (export.ts).
 */
import { SchemaNewerError } from '../store-pg/schema-newer.ts';
import { StoreUnavailableError } from '../store/standby.ts';

export function isStoreUnavailable(err: unknown): err is StoreUnavailableError | SchemaNewerError {
  return err instanceof StoreUnavailableError || err instanceof SchemaNewerError;
}

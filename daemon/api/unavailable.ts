/**
 * Errors that mean "the store cannot answer now", not "the daemon failed": the store is on standby (it cannot
 * be opened yet), a newer CCO migrated the team's PostgreSQL database, or a month file of the embedded store
 * failed a read (store/disk-file.ts: truncated under CCO, EIO; the month is opened again at the next query). The
 * API answers them 503 with their message (app.ts' error handler); a handler that catches its own errors rethrows
 * these (export.ts).
 */
import { SchemaNewerError } from '../store-pg/schema-newer.ts';
import { DISK_READ_ERROR } from '../store/disk-file.ts';
import { StoreUnavailableError } from '../store/standby.ts';

export function isStoreUnavailable(err: unknown): err is Error {
  return err instanceof StoreUnavailableError || err instanceof SchemaNewerError || (err instanceof Error && err.name === DISK_READ_ERROR);
}

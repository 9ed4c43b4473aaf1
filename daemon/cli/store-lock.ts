/**
 * The data folder's lock (data-lock.ts) for CLI commands that open the store directly because no daemon
 * answered: a held lock becomes one CliError line naming the holder.
 */
import { acquireDataLock, DataLockHeldError, type DataLock } from '../data-lock.ts';
import { CliError } from './common.ts';

/** Takes `<dataDir>/cco.lock` for `command` (e.g. `cco import`) or throws a CliError naming the holder. */
export function lockDataFolder(dataDir: string, command: string): DataLock {
  try {
    return acquireDataLock(dataDir, command);
  } catch (err) {
    if (err instanceof DataLockHeldError) {
      const h = err.holder;
      const hint = h.role === 'daemon' && h.port !== null ? ` Ask it instead: ${command} --port ${h.port}` : ' Try again when it has finished.';
      throw new CliError(`${command}: ${err.message}.${hint}`);
    }
    throw err;
  }
}

/**
 * CLI commands that open the store directly because no daemon runs (`cco import`, `cco reconcile`, `cco coach`,
 * `cco reprice`): they hold the data folder's lock (data-lock.ts) for their run, so a daemon cannot open the
 * store meanwhile and they never open it while a daemon (or another such command) has it. A held lock becomes
 * one CliError line naming the holder.
 */
import { platformDirs } from '../config/paths.ts';
import { acquireDataLock, DataLockHeldError, type DataLock } from '../data-lock.ts';
import { createPricer, loadPriceOverrides, type Pricer } from '../pricing/index.ts';
import type { Store } from '../store/index.ts';
import { CliError, type Io } from './common.ts';

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

/** Opens the data folder's store for `work`, holding the data folder's lock, then closes it. */
export async function withStore<T>(io: Io, command: string, work: (store: Store, dataDir: string) => Promise<T>): Promise<T> {
  const { dataDir } = platformDirs(io.env);
  const lock = lockDataFolder(dataDir, command);
  try {
    const { openStore } = await import('../store/index.ts');
    const store = await openStore({ dataDir, log: (level, msg) => level !== 'info' && io.err(`cco: ${msg}\n`) });
    try {
      return await work(store, dataDir);
    } finally {
      await store.close();
    }
  } finally {
    lock.release();
  }
}

/** The price table with the user's overrides (config folder), as the daemon would load it. */
export async function loadPricer(configDir: string): Promise<Pricer> {
  try {
    return createPricer((await loadPriceOverrides(configDir))?.overrides ?? null);
  } catch (err) {
    throw new CliError((err as Error).message, 2);
  }
}

/**
 * Test helpers (not used by production code): the two store backends behind one `open()`, and records with
 * unique upstream request-ids (as the real upstream gives; the PostgreSQL store dedupes on them).
 */
import { ulid } from 'ulid';
import type { RequestRecord } from '../../shared/contract.ts';
import { openStore, type Store } from '../store/index.ts';
import { makeRecord, tempDir } from '../store/test-fixtures.ts';
import { openPgStore } from './index.ts';
import type { PgCluster } from '../../test/pg/cluster.ts';

export interface Backend {
  name: 'sql.js' | 'postgres';
  open(opts?: { retentionDays?: number; dataDir?: string }): Promise<Store>;
}

const quiet = (): void => undefined;

export function sqljsBackend(): Backend {
  return {
    name: 'sql.js',
    open: (o = {}) => openStore({ dataDir: o.dataDir ?? tempDir(), retentionDays: o.retentionDays ?? 36_500, log: quiet }),
  };
}

/** Each open() gets a fresh database in the cluster (given lazily: the cluster starts in beforeAll). */
export function pgBackend(cluster: () => PgCluster): Backend {
  return {
    name: 'postgres',
    open: async (o = {}) =>
      openPgStore({
        url: await cluster().createDatabase(),
        dataDir: o.dataDir ?? tempDir('cco-pgstore-'),
        retentionDays: o.retentionDays ?? 36_500,
        log: quiet,
      }),
  };
}

/** makeRecord with a unique upstream request-id. */
export function rec(over: Partial<RequestRecord> = {}): RequestRecord {
  return makeRecord({ upstreamRequestId: `req_${ulid()}`, ...over });
}

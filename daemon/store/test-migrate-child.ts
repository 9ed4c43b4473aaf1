/**
 * Child process for the migration kill -9 tests (migrate-v4.test.ts, migrate-v8.test.ts, through
 * test-fixtures' runMigrateChild): opens the store in argv[2] (which migrates it at start), prints "ready"
 * and closes.
 */
import { openStore } from './index.ts';

const dataDir = process.argv[2];
if (!dataDir) throw new Error('usage: test-migrate-child.ts <dataDir>');
const store = await openStore({ dataDir, retentionDays: 36_500, log: (level, msg) => process.stderr.write(`${level}: ${msg}\n`) });
process.stdout.write('ready\n');
await store.close();

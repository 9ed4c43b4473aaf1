/**
 * Child process for the kill -9 test (import-crash.test.ts): imports `<root>` into the store in `<dataDir>`
 * with small batches, printing a line after each progress report that stored something, until killed.
 */
import { createPricer } from '../../pricing/index.ts';
import { openStore } from '../../store/index.ts';
import { HistoryImporter } from '../importer.ts';

const [dataDir, root] = process.argv.slice(2);
if (!dataDir || !root) throw new Error('usage: import-child.ts <dataDir> <root>');
const store = await openStore({ dataDir, retentionDays: 36_500, log: () => undefined });
const pricer = createPricer(null);
const imp = new HistoryImporter({ dataDir, sink: store, pricer: () => pricer, roots: [root], batchSize: 50, settleMs: 0 });
await imp.run({ progress: (p) => p.imported > 0 && process.stdout.write(`imported ${p.imported}\n`) });
process.stdout.write('done\n');
await store.close();

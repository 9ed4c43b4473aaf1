/**
 * Child process for bulk-crash.test.ts: opens a store in argv[2] and bulk-adds argv[3] records in batches of
 * argv[4] (ids `<argv[5]>-<n>`, spread evenly over three past months, so every batch writes rows straight into
 * three month databases — through their working copies on disk, disk-file.ts — and a snapshot stages them
 * every few batches).
 * Prints `ready`, then each batch's ids once `addBulk` resolved (its records are in the fsynced journal), then
 * `done`, and closes the store (final snapshot) and exits 0.
 */
import { openStore } from './index.ts';
import { makeRecord } from './test-fixtures.ts';

/** The three months the records fall in (UTC), long past. */
const MONTHS = [Date.UTC(2025, 2, 1), Date.UTC(2025, 3, 1), Date.UTC(2025, 4, 1)];

/** Record n: month n % 3, one a minute within it. */
const startedAt = (n: number): number => MONTHS[n % 3]! + Math.floor(n / 3) * 60_000;

const dataDir = process.argv[2];
const ROWS = Number(process.argv[3]);
const BATCH = Number(process.argv[4]);
const tag = process.argv[5];
if (!dataDir || !(ROWS > 0) || !(BATCH > 0) || !tag) throw new Error('usage: test-bulk-crash-child.ts <dataDir> <rows> <batch> <tag>');
{
  const store = await openStore({ dataDir, retentionDays: 36_500, log: (level, msg) => process.stderr.write(`${level}: ${msg}\n`) });
  process.stdout.write('ready\n');
  for (let i = 0; i < ROWS; i += BATCH) {
    const batch = [];
    for (let n = i; n < Math.min(ROWS, i + BATCH); n++) batch.push(makeRecord({ id: `${tag}-${n}`, startedAt: startedAt(n) }));
    await store.addBulk(batch);
    process.stdout.write(batch.map((r) => `${r.id}\n`).join(''));
  }
  process.stdout.write('done\n');
  await store.close();
  process.exit(0);
}

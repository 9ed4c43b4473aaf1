/**
 * Child process for the fault-injection test (fault.test.ts): opens a store in argv[2] on a fast virtual
 * clock (argv[3] = its start, epoch ms; one day per 50 ms, so a month boundary every ~1.5 s and each
 * snapshot folds and seals the month that just ended), then adds records forever — mostly "now", some
 * late ones of earlier months — printing each id once `whenWritten` says its journal line is written (when
 * the proxy would end a client's response). Snapshots every 30 ms. SIGTERM closes the store (final
 * snapshot) and exits 0. Prints `opening`, `ready`, `closing` so the parent can aim its kill -9.
 */
import { openStore } from './index.ts';
import { makeRecord } from './test-fixtures.ts';

const dataDir = process.argv[2];
const start = Number(process.argv[3]);
const tag = process.argv[4] ?? 'r';
if (!dataDir || !Number.isFinite(start)) throw new Error('usage: test-fault-child.ts <dataDir> <virtualStartMs> <tag>');

const SPEED = 86_400_000 / 50;
const t0 = performance.now();
const now = (): number => Math.round(start + (performance.now() - t0) * SPEED);

process.stdout.write('opening\n');
const store = await openStore({
  dataDir,
  snapshotIntervalMs: 30,
  retentionDays: 36_500,
  now,
  log: (level, msg) => process.stderr.write(`${level}: ${msg}\n`),
});
process.stdout.write(`ready ${now()}\n`);
let n = 0;
let stopped = false;
const tick = (): void => {
  if (stopped) return;
  let out = '';
  const t = now();
  for (let i = 0; i < 20; i++) {
    const late = n % 7 === 0; // a late record of up to ~60 virtual days ago: written into a sealed month
    const r = makeRecord({ id: `${tag}-${n++}`, startedAt: late ? t - ((n * 7919) % 60) * 86_400_000 : t });
    store.add(r);
    out += `${r.id}\n`;
  }
  store.whenWritten(() => process.stdout.write(out));
  setTimeout(tick, 5);
};
tick();

process.once('SIGTERM', () => {
  stopped = true;
  process.stdout.write('closing\n');
  void store.close().then(
    () => process.exit(0),
    (err: Error) => {
      process.stderr.write(`error: close failed: ${err.message}\n`);
      process.exit(1);
    },
  );
});

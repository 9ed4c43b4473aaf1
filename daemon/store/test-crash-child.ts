/**
 * Child process for the kill -9 test (crash.test.ts): opens a store in argv[2], prints "ready", then adds
 * records forever, printing each id only once `whenWritten` says its journal line is written (when the
 * proxy would end the client's response). Snapshots run every 25 ms so the kill
 * also lands during rotations and exports.
 */
import { openStore } from './index.ts';
import { makeRecord } from './test-fixtures.ts';

const dataDir = process.argv[2];
if (!dataDir) throw new Error('usage: test-crash-child.ts <dataDir>');

const store = await openStore({
  dataDir,
  snapshotIntervalMs: 25,
  retentionDays: 36_500,
  log: (level, msg) => process.stderr.write(`${level}: ${msg}\n`),
});
process.stdout.write('ready\n');
let t = Date.UTC(2026, 0, 1);
const tick = (): void => {
  let out = '';
  for (let i = 0; i < 25; i++) {
    const r = makeRecord({ startedAt: (t += 1000) });
    store.add(r);
    out += `${r.id}\n`;
  }
  store.whenWritten(() => process.stdout.write(out));
  setImmediate(tick);
};
tick();

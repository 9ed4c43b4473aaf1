/**
 * Test child for data-lock.test.ts: waits for `<dir>/go` (so several children race), takes the data
 * folder's lock, prints `won` or `held <pid>`, keeps it a moment, releases it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { acquireDataLock, DataLockHeldError } from './data-lock.ts';

const dir = process.argv[2]!;
while (!fs.existsSync(path.join(dir, 'go'))) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2);
try {
  const lock = acquireDataLock(dir, 'test');
  process.stdout.write('won\n');
  setTimeout(() => lock.release(), 1500);
} catch (err) {
  if (err instanceof DataLockHeldError) process.stdout.write(`held ${err.holder.pid}\n`);
  else throw err;
}

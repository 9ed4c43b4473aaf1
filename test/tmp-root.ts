/**
 * Vitest global setup: one temp folder per test run. Tests make thousands of stores, homes and clusters
 * under `os.tmpdir()` (and the daemons, CLIs and PostgreSQL servers they start inherit TMPDIR), and many
 * leave them behind on purpose or when a test fails halfway. Pointing TMPDIR at a folder of the run's own
 * keeps a developer's /tmp clean: it is removed when the run ends, unless CCO_KEEP_TEST_TMP=1 (to look
 * at what a failing test left). CCO_TEST_SHARED_TMP keeps the outer temp folder for what is deliberately
 * shared between runs (the PostgreSQL initdb template, test/pg/cluster.ts).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const ROOT_ENV = 'CCO_TEST_TMP_ROOT';
export const SHARED_ENV = 'CCO_TEST_SHARED_TMP';

export default function setup(): (() => void) | undefined {
  // Vitest runs a global setup once per project; the first one makes the folder, the others share it.
  if (process.env[ROOT_ENV]) return undefined;
  const outer = os.tmpdir();
  const root = fs.mkdtempSync(path.join(outer, 'cco-test-run-'));
  // Other users must be able to pass through: the PostgreSQL server runs as `postgres` under root.
  fs.chmodSync(root, 0o711);
  process.env[ROOT_ENV] = root;
  process.env[SHARED_ENV] = outer;
  process.env.TMPDIR = root;
  return () => {
    process.env.TMPDIR = outer;
    if (process.env.CCO_KEEP_TEST_TMP === '1') {
      console.log(`test temp files kept in ${root}`);
      return;
    }
    try {
      fs.rmSync(root, { recursive: true, force: true, maxRetries: 3 });
    } catch (err) {
      // e.g. a tmpfs a failed test left mounted: say so, the run's result stands
      console.warn(`could not remove ${root}: ${(err as Error).message}`);
    }
  };
}

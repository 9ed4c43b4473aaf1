/**
 * npm run bench:parse-threads [-- ROUNDS [DIR]]: would a second parse thread pay? Reads, parses and prices the
 * bench corpus (default the 1 GB one `npm run bench:import -- 1024` leaves in the temp dir) on one thread and
 * on two worker threads, alternating (bench-parse-threads-child.ts), printing wall and CPU time with the load
 * average. Run it on a quiet machine: with no idle core two threads cannot show what they would give.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const rounds = process.argv[2] ?? '2';
const corpus = path.resolve(process.argv[3] ?? path.join(os.tmpdir(), 'cco-bench-import-1024-v3', 'projects'));
if (!fs.existsSync(corpus)) throw new Error(`${corpus}: no corpus (npm run bench:import -- 1024 makes one)`);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cco-bench-parse-threads-'));
const child = path.join(dir, 'child.mjs');
await build({
  entryPoints: [fileURLToPath(new URL('./bench-parse-threads-child.ts', import.meta.url))], outfile: child, bundle: true, platform: 'node',
  format: 'esm', target: 'node20', logLevel: 'warning',
  banner: { js: "import { createRequire as __ccoRequire } from 'node:module'; const require = __ccoRequire(import.meta.url);" },
});
console.log(`corpus ${corpus}, node ${process.version}, ${os.availableParallelism()} cores`);
const r = spawnSync(process.execPath, [child, corpus, rounds], { stdio: 'inherit' });
fs.rmSync(dir, { recursive: true, force: true });
process.exit(r.status ?? 1);

/**
 * npm run bench:rescan [-- [--corpus DIR] [--rounds N] [--rescans K] [repo…]]: the unchanged rescan
 * (`HistoryImporter.run()` when every file's offset is its size) of each checkout given (default: this one),
 * alternating the checkouts round by round in the same minutes, plus the floor: a bare `fs.statSync` of every
 * path the walk stats.
 *
 * Each checkout's `daemon/history/importer.ts` is bundled by esbuild and run under plain node in a child
 * process: it saves a state holding every file at its size (no import: the same for every build), runs one
 * rescan (it lists every folder), then K more, each timed (wall and CPU). Prints per build and round the
 * median and best CPU and wall ms, with the load average beside them. Corpus: `npm run bench:import -- 1024`
 * leaves one in the temp dir (`cco-bench-import-1024-v3`).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';

const args = process.argv.slice(2);
const opt = (name: string, dflt: string): string => {
  const i = args.indexOf(name);
  if (i < 0) return dflt;
  const v = args[i + 1]!;
  args.splice(i, 2);
  return v;
};
const corpus = path.resolve(opt('--corpus', path.join(os.tmpdir(), 'cco-bench-import-1024-v3', 'projects')));
const rounds = Number(opt('--rounds', '3'));
const rescans = Number(opt('--rescans', '15'));
const repos = (args.length ? args : [path.resolve(import.meta.dirname, '..')]).map((r) => path.resolve(r));
if (!fs.existsSync(corpus)) throw new Error(`${corpus}: no corpus (npm run bench:import -- 1024 makes one)`);

/** The child, run from each checkout's sources: mode 'rescan' (its importer) or 'floor' (bare statSync). */
const CHILD = `
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { HistoryImporter } from './daemon/history/importer.ts';
import { HistoryState } from './daemon/history/state.ts';
import { walkTranscripts } from './daemon/history/sources.ts';
const [mode, root, n] = process.argv.slice(2);
const cpu = () => { const c = process.cpuUsage(); return (c.user + c.system) / 1000; };
const out = { cpu: [], wall: [] };
const time = async (fn) => { const c0 = cpu(); const t0 = performance.now(); await fn(); out.wall.push(performance.now() - t0); out.cpu.push(cpu() - c0); };
if (mode === 'floor') {
  // Every folder and file the walk stats (listed once here, outside the timing).
  const paths = [];
  const stack = [root];
  while (stack.length) {
    const d = stack.pop();
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) { paths.push(p); stack.push(p); } else if (e.name.endsWith('.jsonl')) paths.push(p);
    }
  }
  for (let i = 0; i <= Number(n); i++) await time(() => { for (const p of paths) fs.statSync(p); });
  out.paths = paths.length;
} else {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cco-bench-rescan-'));
  const state = new HistoryState(dataDir);
  for (const f of (await walkTranscripts([root])).files) state.set({ path: f.path, dev: f.dev, ino: f.ino, size: f.size, offset: f.size, mtimeMs: f.mtimeMs });
  state.save();
  const sink = { addBulk: () => { throw new Error('an unchanged rescan stored something'); }, findByUpstreamRequestIds: () => { throw new Error('an unchanged rescan looked something up'); } };
  const imp = new HistoryImporter({ dataDir, sink, pricer: () => ({}), roots: [root], state });
  for (let i = 0; i <= Number(n); i++) {
    let r;
    await time(async () => { r = await imp.run(); });
    if (r.bytesRead !== 0 || r.filesUnchanged !== r.files) throw new Error('not an unchanged rescan: ' + JSON.stringify(r).slice(0, 300));
    out.files = r.files;
  }
  fs.rmSync(dataDir, { recursive: true, force: true });
}
out.cpu.shift(); out.wall.shift(); // the first lists every folder (or warms up)
process.stdout.write(JSON.stringify(out));
`;

const buildDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cco-bench-rescan-build-'));
const children = await Promise.all(repos.map(async (repo, i) => {
  const outfile = path.join(buildDir, `child-${i}.mjs`);
  await build({
    stdin: { contents: CHILD, resolveDir: repo, loader: 'ts', sourcefile: 'bench-rescan-child.ts' }, outfile, bundle: true, platform: 'node',
    format: 'esm', target: 'node20', logLevel: 'warning',
    banner: { js: "import { createRequire as __ccoRequire } from 'node:module'; const require = __ccoRequire(import.meta.url);" },
  });
  return { repo, outfile };
}));

const load = (): string => os.loadavg()[0]!.toFixed(2);
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const fmt = (r: { cpu: number[]; wall: number[] }): string =>
  `CPU median ${median(r.cpu).toFixed(1)} best ${Math.min(...r.cpu).toFixed(1)} ms, wall median ${median(r.wall).toFixed(1)} best ${Math.min(...r.wall).toFixed(1)} ms`;
const runChild = (file: string, mode: string): { cpu: number[]; wall: number[]; files?: number; paths?: number } => {
  const r = spawnSync(process.execPath, [file, mode, corpus, String(rescans)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${file} ${mode}: ${r.stderr}`);
  return JSON.parse(r.stdout) as { cpu: number[]; wall: number[] };
};

console.log(`corpus ${corpus}, ${rounds} rounds × ${rescans} rescans per build, node ${process.version}`);
for (let round = 0; round < rounds; round++) {
  const order = round % 2 ? [...children].reverse() : children;
  for (const c of order) {
    const l0 = load();
    const r = runChild(c.outfile, 'rescan');
    console.log(`round ${round + 1} ${c.repo}: ${r.files} files, ${fmt(r)} (load ${l0} → ${load()})`);
  }
  const l0 = load();
  const f = runChild(children[0]!.outfile, 'floor');
  console.log(`round ${round + 1} floor (bare statSync of ${f.paths} paths): ${fmt(f)} (load ${l0} → ${load()})`);
}
fs.rmSync(buildDir, { recursive: true, force: true });

/**
 * npm run bench:import [-- MB [bundle…]]: the history import on a generated corpus of MB megabytes (default
 * 1024) of Claude Code transcripts, against ccusage (`daily --json --offline`, the npm package's native
 * binary) on the same corpus, in the same run. Everything CCO runs is built and runs under plain node, as a
 * user runs it:
 *  - the import pipeline alone (read, parse, de-duplicate, price; records summed, not stored): this
 *    checkout's sources bundled by esbuild (bench-import-child.ts), then three unchanged rescans;
 *  - `cco import --path <corpus> --json` of each release bundle given (default dist/cco-daemon.cjs, from
 *    `npm run build:daemon`; give an older build too for an A/B in the same run), into a fresh data folder.
 * Prints MB/s, CPU time and peak RSS (VmHWM, all threads), the unchanged rescan (wall and CPU), ccusage's
 * time and RSS, both token totals (must be equal, and equal to the generator's ground truth) and the cost
 * difference explained by category. The corpus is cached in the temp dir (`cco-bench-import-<MB>-v3`; v3: each
 * file's mtime is its last line's time, as Claude Code leaves it).
 * Not a test: numbers against targets (≥ 2× ccusage's throughput, RSS ≤ 150 MB, rescan < 100 ms).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { ImportReport } from '../shared/contract.ts';
import { writeCorpus, type TruthTotals } from '../daemon/history/testkit/corpus.ts';
import { cpuMs, statusKb } from './bench-kit.ts';

const sizeMB = Number(process.argv[2] ?? 1024);
const repo = path.resolve(import.meta.dirname, '..');
const bundles = (process.argv.length > 3 ? process.argv.slice(3) : [path.join(repo, 'dist', 'cco-daemon.cjs')]).map((b) => path.resolve(b));
for (const b of bundles) if (!fs.existsSync(b)) throw new Error(`${b}: not found (npm run build:daemon)`);
const require = createRequire(import.meta.url);
const MB = 1024 * 1024;

// The pipeline child, bundled so that it runs under plain node (tsx would add its own ~90 MB and compile time).
const buildDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cco-bench-import-build-'));
const CHILD = path.join(buildDir, 'bench-import-child.mjs');
await build({
  entryPoints: [fileURLToPath(new URL('./bench-import-child.ts', import.meta.url))], outfile: CHILD, bundle: true, platform: 'node',
  format: 'esm', target: 'node20', logLevel: 'warning',
  banner: { js: "import { createRequire as __ccoRequire } from 'node:module'; const require = __ccoRequire(import.meta.url);" },
});

const corpusDir = path.join(os.tmpdir(), `cco-bench-import-${sizeMB}-v3`);
const root = path.join(corpusDir, 'projects');
const truthFile = path.join(corpusDir, 'truth.json');
let truth: { totals: TruthTotals; bytes: number; files: number };
if (fs.existsSync(truthFile)) {
  truth = JSON.parse(fs.readFileSync(truthFile, 'utf8')) as typeof truth;
  console.log(`corpus: ${corpusDir} (cached) ${(truth.bytes / MB).toFixed(0)} MB, ${truth.files} files, ${truth.totals.requests} requests`);
} else {
  fs.rmSync(corpusDir, { recursive: true, force: true });
  const t0 = performance.now();
  const t = writeCorpus({
    root, seed: 2026, projects: 12, sessionsPerProject: 40, requestsPerSession: 60, days: 120, start: Date.UTC(2026, 5, 1),
    toolResultBytes: 2500, malformedPerFile: 1, keepRequests: false, targetBytes: sizeMB * MB, longContextShare: 0.02, fileTimes: true,
  });
  truth = { totals: t.totals, bytes: t.bytes, files: t.files.length };
  fs.writeFileSync(truthFile, JSON.stringify(truth));
  console.log(`corpus: wrote ${corpusDir}: ${(t.bytes / MB).toFixed(0)} MB, ${t.files.length} files, ${t.totals.requests} requests in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

/** Runs a command, timing it and sampling its VmHWM (peak RSS) and CPU time from /proc until it exits. */
function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ ms: number; out: string; hwmMB: number; cpuMs: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let hwm = 0;
    let cpu = 0;
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const poll = setInterval(() => {
      hwm = Math.max(hwm, statusKb(child.pid!, 'VmHWM') / 1024);
      try {
        cpu = cpuMs(child.pid!);
      } catch {
        // exited
      }
    }, 20);
    child.on('close', (code) => {
      clearInterval(poll);
      if (code !== 0) reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${err.slice(-2000)}`));
      else resolve({ ms: performance.now() - t0, out, hwmMB: hwm, cpuMs: cpu });
    });
  });
}

interface ChildResult {
  ms: number; cpuMs: number; processMs: number; processCpuMs: number; sinkMs: number; sinkCpuMs: number; bytes: number; files: number; imported: number; hwmMB: number; peakSampledMB: number; rescanMs: number; rescanCpuMs: number; rescanRead: number;
  sums: { requests: number; cost: number; input: number; cacheWrite5m: number; cacheWrite1h: number; cacheRead: number; output: number; webSearch: number; unpriced: number };
  cat: { cacheWrite1h: number; cacheWrite1hAs5m: number; longContext: number; longContextAtBase: number; webSearch: number };
  report: { malformedLines: number; syntheticLines: number; problems: unknown[] };
}
const child = async (mode: string): Promise<ChildResult> => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `cco-bench-import-data-`));
  try {
    const r = await run(process.execPath, [CHILD, mode, dataDir, root]);
    return JSON.parse(r.out.trim().split('\n').pop()!) as ChildResult;
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
};

/** `node <bundle> import --path <corpus> --json` in a throwaway HOME (its own data folder, no daemon). */
const ccoImport = async (bundle: string) => {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'cco-bench-import-home-'));
  try {
    const env = { PATH: process.env.PATH, HOME: home, XDG_DATA_HOME: path.join(home, '.local', 'share'), XDG_CONFIG_HOME: path.join(home, '.config'), CCO_CONFIG_DIR: path.join(home, 'config') };
    const r = await run(process.execPath, [bundle, 'import', '--path', root, '--json'], env);
    return { ...r, report: JSON.parse(r.out) as ImportReport };
  } finally {
    fs.rmSync(home, { recursive: true, force: true });
  }
};

const ccusageBin = path.join(path.dirname(require.resolve('@ccusage/ccusage-linux-x64/package.json')), 'bin', 'ccusage');
// npm ci leaves the native binary of ccusage's platform package without its execute bit (0644; ccusage's own
// launcher sets it at first run): set it here, or the spawn fails with EACCES on a clean checkout.
try {
  fs.accessSync(ccusageBin, fs.constants.X_OK);
} catch {
  fs.chmodSync(ccusageBin, 0o755);
}
const ccHome = fs.mkdtempSync(path.join(os.tmpdir(), 'cco-bench-ccusage-home-'));
const ccusage = async () => {
  const r = await run(ccusageBin, ['daily', '--json', '--offline'], { PATH: process.env.PATH, HOME: ccHome, CLAUDE_CONFIG_DIR: corpusDir, NO_COLOR: '1', TZ: 'UTC' });
  const j = JSON.parse(r.out) as { totals: { inputTokens: number; outputTokens: number; cacheCreationTokens: number; cacheReadTokens: number; totalCost: number } };
  return { ...r, totals: j.totals };
};

// Warm the page cache for everyone (every transcript read once, so ccusage, which runs first, does not pay the
// disk alone), then alternate: ccusage, CCO pipeline, each `cco import` bundle.
await run('sh', ['-c', 'find "$0" -type f -name "*.jsonl" -exec cat {} + > /dev/null', root]);
const idle = JSON.parse((await run(process.execPath, [CHILD, 'idle', '', ''])).out) as { rssMB: number; hwmMB: number };
const cc = [await ccusage()];
const pipelines = [await child('pipeline')];
const imports = new Map<string, Awaited<ReturnType<typeof ccoImport>>[]>(bundles.map((b) => [b, []]));
for (let round = 0; round < 2; round++) {
  if (round) {
    cc.push(await ccusage());
    pipelines.push(await child('pipeline'));
  }
  for (const b of bundles) imports.get(b)!.push(await ccoImport(b));
}
const ccBest = cc.reduce((a, b) => (a.ms < b.ms ? a : b));
const pipeline = pipelines.reduce((a, b) => (a.processMs < b.processMs ? a : b));
/** From process start to the import's end without the bench's own sink (the sums and re-pricing standing in for the store). */
const ownMs = (p: ChildResult): number => p.processMs - p.sinkMs;
const pipelineOwn = pipelines.reduce((a, b) => (ownMs(a) < ownMs(b) ? a : b));
fs.rmSync(ccHome, { recursive: true, force: true });
fs.rmSync(buildDir, { recursive: true, force: true });

const mbps = (bytes: number, ms: number): string => `${(bytes / MB / (ms / 1000)).toFixed(1)} MB/s`;
const usd = (nano: number): string => `$${(nano / 1e9).toFixed(2)}`;
const s = pipeline.sums;
const ours = { input: s.input, output: s.output, cacheCreation: s.cacheWrite5m + s.cacheWrite1h, cacheRead: s.cacheRead };
const theirs = { input: ccBest.totals.inputTokens, output: ccBest.totals.outputTokens, cacheCreation: ccBest.totals.cacheCreationTokens, cacheRead: ccBest.totals.cacheReadTokens };
const equal = JSON.stringify(ours) === JSON.stringify(theirs);
const t = truth.totals;
const truthTokens = { input: t.input, output: t.output, cacheCreation: t.cacheWrite5m + t.cacheWrite1h, cacheRead: t.cacheRead };
const secs = (ms: number): string => (ms / 1000).toFixed(2);

console.log(`\nbench:import — ${(truth.bytes / MB).toFixed(0)} MB, ${truth.files} files, ${t.requests} requests (node ${process.version}, ${os.cpus().length} cores, load ${os.loadavg()[0]!.toFixed(1)})`);
console.log(`ccusage ${path.basename(path.dirname(path.dirname(ccusageBin)))} daily --json --offline: ${cc.map((c) => secs(c.ms)).join(' / ')} s (CPU ${cc.map((c) => secs(c.cpuMs)).join(' / ')} s) → best ${mbps(truth.bytes, ccBest.ms)}, peak RSS ${ccBest.hwmMB.toFixed(0)} MB`);
console.log(`CCO import pipeline (read, parse, de-duplicate, price; no store; plain node): ${pipelines.map((p) => secs(p.processMs)).join(' / ')} s from process start (CPU ${pipelines.map((p) => secs(p.processCpuMs)).join(' / ')} s; the import alone ${pipelines.map((p) => secs(p.ms)).join(' / ')} s, CPU ${pipelines.map((p) => secs(p.cpuMs)).join(' / ')} s) → best ${mbps(pipeline.bytes, pipeline.processMs)}, ${(ccBest.ms / pipeline.processMs).toFixed(2)}× ccusage; peak RSS ${pipeline.hwmMB.toFixed(0)} MB (the bundle idle under node ${idle.hwmMB.toFixed(0)} MB)`);
console.log(`  of that, the bench's own sink (id table, sums, re-pricing per category; the store's stand-in): ${pipelines.map((p) => secs(p.sinkMs)).join(' / ')} s (CPU ${pipelines.map((p) => secs(p.sinkCpuMs)).join(' / ')} s); without it ${pipelines.map((p) => secs(ownMs(p))).join(' / ')} s (CPU ${pipelines.map((p) => secs(p.processCpuMs - p.sinkCpuMs)).join(' / ')} s) → best ${mbps(pipelineOwn.bytes, ownMs(pipelineOwn))}, ${(ccBest.ms / ownMs(pipelineOwn)).toFixed(2)}× ccusage`);
for (const [b, rs] of imports) {
  const best = rs.reduce((a, x) => (a.ms < x.ms ? a : x));
  const ok = best.report.imported === t.requests ? 'all stored' : `STORED ${best.report.imported} OF ${t.requests}`;
  console.log(`cco import (${path.relative(process.cwd(), b) || b}): ${rs.map((r) => secs(r.ms)).join(' / ')} s wall incl. start-up (CPU ${rs.map((r) => secs(r.cpuMs)).join(' / ')} s, import itself ${rs.map((r) => secs(r.report.durationMs)).join(' / ')} s) → best ${mbps(truth.bytes, best.ms)}, ${(ccBest.ms / best.ms).toFixed(2)}× ccusage; peak RSS ${Math.max(...rs.map((r) => r.hwmMB)).toFixed(0)} MB; ${ok}`);
}
console.log(`  targets: ≥ 2× ccusage's throughput, RSS ≤ 150 MB while importing`);
console.log(`  unchanged rescan (best of 3, pipeline process): ${pipeline.rescanMs.toFixed(1)} ms wall, ${pipeline.rescanCpuMs.toFixed(1)} ms CPU (${pipeline.rescanRead} bytes read; target < 100 ms)`);
console.log(`tokens: CCO ${JSON.stringify(ours)}\n        ccusage ${JSON.stringify(theirs)} → ${equal ? 'EQUAL' : 'DIFFERENT'}; ground truth ${JSON.stringify(truthTokens) === JSON.stringify(ours) ? 'matches CCO' : `differs: ${JSON.stringify(truthTokens)}`}`);
const ccCost = Math.round(ccBest.totals.totalCost * 1e9);
const delta = s.cost - ccCost;
const c = pipeline.cat;

// How ccusage prices each category: one-request probe corpora, its cost against the price table's.
const { createPricer } = await import('../daemon/pricing/index.ts');
const pricer = createPricer(null);
const probe = async (usage: Record<string, unknown>): Promise<{ theirs: number; ours: number }> => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cco-bench-probe-'));
  try {
    const at = Date.UTC(2026, 9, 1, 12);
    const model = 'claude-sonnet-4-5-20250929';
    fs.mkdirSync(path.join(dir, 'projects', 'p'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'projects', 'p', 's.jsonl'), JSON.stringify({ type: 'assistant', sessionId: 's', cwd: '/p', timestamp: new Date(at).toISOString(), requestId: 'req_1', message: { id: 'msg_1', model, usage } }) + '\n');
    const r = await run(ccusageBin, ['daily', '--json', '--offline'], { PATH: process.env.PATH, HOME: dir, CLAUDE_CONFIG_DIR: dir, TZ: 'UTC' });
    const theirs = Math.round((JSON.parse(r.out) as { totals: { totalCost: number } }).totals.totalCost * 1e9);
    const prompt = Number(usage.input_tokens ?? 0) + Number(usage.cache_read_input_tokens ?? 0) + Number(usage.cache_creation_input_tokens ?? 0);
    const ours = pricer.cost(usage, model, at, { context1m: prompt > 200_000 });
    return { theirs, ours: ours.priced ? ours.nanoUsd : NaN };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
};
const p1h = await probe({ input_tokens: 0, output_tokens: 0, cache_creation_input_tokens: 100_000, cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 100_000 } });
const pWeb = await probe({ input_tokens: 0, output_tokens: 0, server_tool_use: { web_search_requests: 100 } });
const pLong = await probe({ input_tokens: 10, output_tokens: 1000, cache_read_input_tokens: 250_000, cache_creation_input_tokens: 0 });
const d1h = p1h.ours === p1h.theirs ? 0 : (c.cacheWrite1h - c.cacheWrite1hAs5m) * (1 - p1h.theirs / p1h.ours);
const dWeb = pWeb.theirs === 0 ? c.webSearch : c.webSearch * (1 - pWeb.theirs / pWeb.ours);
const dLong = delta - d1h - dWeb;
console.log(`cost: CCO ${usd(s.cost)}, ccusage ${usd(ccCost)}, difference ${usd(delta)}, by category (each measured on a one-request probe):`);
console.log(`  1h cache writes (2× input): ${p1h.ours === p1h.theirs ? 'priced alike (ccusage reads the 5m/1h split)' : `ccusage ${usd(p1h.theirs)} vs CCO ${usd(p1h.ours)} per 100k → ${usd(d1h)}`}`);
console.log(`  web search ($10 / 1,000; ${s.webSearch} searches): ccusage ${pWeb.theirs === 0 ? 'charges nothing' : usd(pWeb.theirs) + ' per 100'} → ${usd(dWeb)}`);
console.log(`  long-context tier (prompt > 200k: the API re-prices the WHOLE request; probe 250k: CCO ${usd(pLong.ours)}, ccusage ${usd(pLong.theirs)}): CCO's tier adds ${usd(c.longContext - c.longContextAtBase)} over base prices; ccusage's smaller premium leaves ${usd(dLong)} of the difference`);
console.log(`bad input: ${pipeline.report.malformedLines} malformed lines, ${pipeline.report.syntheticLines} <synthetic> lines, ${pipeline.report.problems.length} unreadable`);

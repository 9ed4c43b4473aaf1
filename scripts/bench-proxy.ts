/**
 * npm run bench:proxy [-- --baseline-bundle PATH | --baseline-rev REV | --no-baseline]
 *
 * CCO against a bare node:http pipe proxy and a direct connection, in one run, on the fake upstream. Both
 * proxies run as built JavaScript under plain `node`: CCO as the release bundle (dist/cco-daemon.cjs, built
 * here by scripts/build-daemon.ts), the bare proxy (scripts/bare-proxy.ts) compiled by esbuild to one .cjs.
 * A fourth target, CCO with recording paused (`cco run --paused`), forwards and observes but books nothing:
 * the gap between it and CCO is the bookkeeping's share of the overhead.
 *
 * Figures, per cell (JSON / SSE answers at 1 and 16 connections, and a ~1 MB Claude Code request body):
 * - CPU per request of each proxy process (user + system, all threads, from /proc/<pid>/stat): the overhead
 *   itself. On a 2-core machine shared with the load generator and the upstream, rps only restates it;
 * - latency p50/p99 in µs, from each request's own hrtime duration (autocannon's per-response `responseTime`,
 *   fractional ms, not its 1 ms histogram buckets), pooled over the rounds;
 * - rps, printed beside the ratios.
 * Targets (issues #3, #14): CCO's CPU per JSON request ≤ the bare proxy's + 70 µs; SSE rps ≥ 95 % of the bare
 * proxy's; added latency = CCO's p50/p99 minus the bare proxy's (c=1 cells: no queueing), and CCO's p50 over
 * direct ≤ 1.2× the bare proxy's p50 over direct; RSS after 10,000 streamed requests within 20 MB of its value
 * after 1,000.
 *
 * Cache-off A/B (issue #20, "bench:proxy is unchanged when the cache is off"): CCO (response cache off, its
 * default) against CCO built from the last commit before the response cache (default: the parent of the first
 * commit that touched daemon/cache, built from a temporary `git worktree` with this checkout's node_modules;
 * or a bundle given with --baseline-bundle), in BENCH_AB_ROUNDS (default 6) rounds of alternating order.
 * Printed: CPU/request and latency of both, and the per-round paired difference as mean ± 2 standard errors.
 *
 * After the same warm-up for every target (3 s of JSON and 3 s of SSE), each cell is measured in BENCH_ROUNDS
 * (default 5) rounds of BENCH_SECONDS (default 2) per target, in rotating order; rps and CPU are the medians
 * of the rounds.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { buildSync } from 'esbuild';
import { spawnFakeUpstream } from '../test/fake-upstream/process.ts';
import { claudeCodeBody } from './claude-code-body.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const seconds = Number(process.env.BENCH_SECONDS ?? 2);
const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
const abRounds = Number(process.env.BENCH_AB_ROUNDS ?? 6);
const { values: flags } = parseArgs({ options: { 'baseline-bundle': { type: 'string' }, 'baseline-rev': { type: 'string' }, 'no-baseline': { type: 'boolean' } } });

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}
const pct = (sorted: Float64Array, p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

/** Environment of a measured process: no CCO_* setting from the caller (CCO_CACHE=1 would turn the cache on). */
function childEnv(configDir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('CCO_')) env[k] = v;
  return { ...env, ANTHROPIC_API_KEY: '', NO_BROWSER: '1', CCO_CONFIG_DIR: configDir };
}

function start(args: string[], ready: RegExp, env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'], env });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      const m = ready.exec(out);
      if (m) resolve({ child, url: m[1]!.startsWith('http') ? m[1]! : `http://127.0.0.1:${m[1]}` });
    });
    child.on('exit', (code) => reject(new Error(`${args.join(' ')} exited ${code}`)));
  });
}

/** Linux USER_HZ (100 on every mainstream kernel configuration). */
const CLOCK_TICKS = 100;

/** CPU time (user + system, all threads) the process has used so far, in µs. */
function cpuMicros(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * (1_000_000 / CLOCK_TICKS);
}

function rssMb(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024;
}

const headers = { 'content-type': 'application/json', 'x-api-key': 'sk-ant-bench', 'anthropic-version': '2023-06-01' };
const smallBody = (stream: boolean) =>
  JSON.stringify({ model: 'claude-haiku-4-5', max_tokens: 200, stream, messages: [{ role: 'user', content: 'Benchmark request: tell me about proxies.' }] });
const bigBody = claudeCodeBody(1 << 20, { stream: true });

interface Cell {
  name: string;
  body: string;
  connections: number;
  stream: boolean;
}
const JSON1: Cell = { name: 'JSON c=1 ', body: smallBody(false), connections: 1, stream: false };
const JSON16: Cell = { name: 'JSON c=16', body: smallBody(false), connections: 16, stream: false };
const SSE1: Cell = { name: 'SSE  c=1 ', body: smallBody(true), connections: 1, stream: true };
const SSE16: Cell = { name: 'SSE  c=16', body: smallBody(true), connections: 16, stream: true };
const BIG: Cell = { name: '1 MB c=4 ', body: bigBody, connections: 4, stream: true };

interface Run {
  rps: number;
  total: number;
  failed: number;
  /** CPU µs per request of the proxy process (NaN for direct). */
  cpu: number;
  /** Every 2xx request's duration, µs. */
  lat: number[];
}

async function measure(url: string, cell: Cell, opts: { duration?: number; amount?: number; pid?: number } = {}): Promise<Run> {
  const cpuBefore = opts.pid === undefined ? 0 : cpuMicros(opts.pid);
  const lat: number[] = [];
  // Without a callback autocannon returns its tracker, an EventEmitter that is also a promise of the result.
  const instance = autocannon({
    url: url + '/v1/messages?beta=true',
    method: 'POST',
    headers,
    body: cell.body,
    connections: cell.connections,
    ...(opts.amount ? { amount: opts.amount } : { duration: opts.duration ?? seconds }),
  }) as unknown as Promise<autocannon.Result> & { on(event: 'response', fn: (client: unknown, status: number, bytes: number, ms: number) => void): void };
  // responseTime: the request's own hrtime duration in (fractional) ms.
  instance.on('response', (_client, status, _bytes, ms) => {
    if (status >= 200 && status < 300) lat.push(ms * 1000);
  });
  const result = await instance;
  const failed = result.non2xx + result.errors;
  // The bare baseline does not replay on a stale keep-alive socket, so it may show a rare 502; more than
  // 1 % failures means the measurement is void.
  const detail = `${result.non2xx} non-2xx, ${result.errors} errors (${result.timeouts} timeouts, ${result.resets} resets): ${JSON.stringify(result.statusCodeStats)}`;
  if (failed > result.requests.total * 0.01) throw new Error(`${url}: ${detail}`);
  if (failed > 0) console.error(`  (${url}, ${cell.name}: ${detail})`);
  const cpu = opts.pid === undefined ? Number.NaN : (cpuMicros(opts.pid) - cpuBefore) / Math.max(1, result.requests.total);
  return { rps: result.requests.average, total: result.requests.total, failed, cpu, lat };
}

interface Summary {
  rps: number;
  cpu: number;
  p50: number;
  p99: number;
  failed: number;
}
function summarize(runs: Run[]): Summary {
  const all = Float64Array.from(runs.flatMap((r) => r.lat)).sort();
  return { rps: median(runs.map((r) => r.rps)), cpu: median(runs.map((r) => r.cpu)), p50: pct(all, 50), p99: pct(all, 99), failed: runs.reduce((n, r) => n + r.failed, 0) };
}

type Targets = Record<string, { url: string; pid: number | undefined }>;

/** Rounds of every target in rotating order (drift on a shared machine hits each alike). */
async function cellRounds(targets: Targets, cell: Cell, n: number): Promise<Record<string, Run[]>> {
  const names = Object.keys(targets);
  const runs: Record<string, Run[]> = Object.fromEntries(names.map((k) => [k, []]));
  for (let round = 0; round < n; round++) {
    for (let i = 0; i < names.length; i++) {
      const name = names[(i + round) % names.length]!;
      runs[name]!.push(await measure(targets[name]!.url, cell, { pid: targets[name]!.pid }));
    }
  }
  return runs;
}

const us = (x: number) => `${x.toFixed(0).padStart(6)} µs`;
const signed = (x: number) => `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(0)}`;
const ok = (pass: boolean) => (pass ? 'OK' : 'MISS');

/** The bare proxy compiled to one CommonJS file, run by plain `node` like CCO's bundle. */
function buildBare(dir: string): string {
  const outfile = path.join(dir, 'bare-proxy.cjs');
  buildSync({ entryPoints: [path.join(root, 'scripts/bare-proxy.ts')], bundle: true, platform: 'node', format: 'cjs', target: 'node20', outfile, logLevel: 'error' });
  return outfile;
}

/** The commit before the response cache: the parent of the first commit that touched daemon/cache. */
function revBeforeCache(): string {
  const first = execFileSync('git', ['log', '--reverse', '--format=%H', '--', 'daemon/cache'], { cwd: root, encoding: 'utf8' }).split('\n')[0];
  if (!first) throw new Error('no commit touches daemon/cache: pass --baseline-bundle');
  return execFileSync('git', ['rev-parse', '--short', `${first}^`], { cwd: root, encoding: 'utf8' }).trim();
}

/** CCO's bundle at `rev`, built in a temporary git worktree that borrows this checkout's node_modules. */
function buildBaseline(rev: string, dir: string): string {
  const tree = path.join(dir, 'baseline-tree');
  execFileSync('git', ['worktree', 'add', '--detach', tree, rev], { cwd: root, stdio: 'ignore' });
  try {
    fs.symlinkSync(path.join(root, 'node_modules'), path.join(tree, 'node_modules'));
    execFileSync(process.execPath, ['--import', 'tsx', 'scripts/build-daemon.ts'], { cwd: tree, stdio: 'ignore' });
    // The whole dist folder: later bundles load files beside them (the store worker, chunks).
    const out = path.join(dir, `dist-${rev}`);
    fs.cpSync(path.join(tree, 'dist'), out, { recursive: true });
    return path.join(out, 'cco-daemon.cjs');
  } finally {
    execFileSync('git', ['worktree', 'remove', '--force', tree], { cwd: root, stdio: 'ignore' });
  }
}

async function main() {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'cco-bench-'));
  const env = childEnv(path.join(work, 'config'));
  const children: ChildProcess[] = [];
  const ccoArgs = (bundle: string, dataDir: string, extra: string[] = []) => [bundle, 'run', '--no-browser', ...extra, '--port', '0', '--upstream', fake.url, '--data-dir', path.join(work, dataDir)];
  const listening = /listening on (http:\/\/\S+)/;
  const launch = async (args: string[], ready: RegExp) => {
    const s = await start(args, ready, env);
    children.push(s.child);
    return s;
  };

  // Builds first (before any measured process runs): CCO as shipped, the bare proxy, the baseline.
  execFileSync(process.execPath, ['--import', 'tsx', 'scripts/build-daemon.ts'], { cwd: root, stdio: 'ignore' });
  const bundle = path.join(root, 'dist', 'cco-daemon.cjs');
  const bareJs = buildBare(work);
  let baseline: { bundle: string; label: string } | null = null;
  if (flags['baseline-bundle']) baseline = { bundle: path.resolve(flags['baseline-bundle']), label: path.basename(flags['baseline-bundle']) };
  else if (!flags['no-baseline']) {
    const rev = flags['baseline-rev'] ?? revBeforeCache();
    baseline = { bundle: buildBaseline(rev, work), label: `commit ${rev}` };
  }

  const fake = await spawnFakeUpstream({ seed: 1, pingIntervalMs: 60_000 });
  try {
    const bare = await launch([bareJs, fake.url], /"port":(\d+)/);
    const cco = await launch(ccoArgs(bundle, 'cco'), listening);
    // Recording paused: forwards and observes (usage read, request attributed) but books nothing. It splits
    // CCO's overhead into the proxy's own part and the bookkeeping's (record, price, journal, sql.js insert).
    const paused = await launch(ccoArgs(bundle, 'paused', ['--paused']), listening);
    const targets: Targets = { direct: { url: fake.url, pid: undefined }, bare: { url: bare.url, pid: bare.child.pid }, cco: { url: cco.url, pid: cco.child.pid }, paused: { url: paused.url, pid: paused.child.pid } };
    console.log(`bench:proxy — ${rounds} rounds × ${seconds} s per target and cell, node ${process.version}, ${os.cpus().length} cores, load ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
    console.log(`1 MB cell: a ${(bigBody.length / 1024).toFixed(0)} KB Claude Code body (system prompt, 20 tools, ${(JSON.parse(bigBody) as { messages: unknown[] }).messages.length} messages), SSE answer\n`);
    // Warm-up, the same for every target: a few seconds of each kind of request, so each measured cell sees
    // the process in its steady state (JIT tiers, and V8's young generation, which grows over the first
    // ~10,000 requests and costs throughput until it has).
    for (const t of Object.values(targets)) {
      await measure(t.url, JSON16, { duration: 3 });
      await measure(t.url, SSE16, { duration: 3 });
      await measure(t.url, BIG, { duration: 1 });
    }
    const rows: string[] = [];
    const verdicts: string[] = [];
    const cells = [JSON1, JSON16, SSE1, SSE16, BIG];
    const results = new Map<Cell, Record<string, Summary>>();
    for (const cell of cells) {
      const runs = await cellRounds(targets, cell, rounds);
      const r = Object.fromEntries(Object.entries(runs).map(([k, v]) => [k, summarize(v)]));
      results.set(cell, r);
      for (const [name, x] of Object.entries(r)) {
        const cpu = Number.isNaN(x.cpu) ? '' : `  CPU ${x.cpu.toFixed(0).padStart(5)} µs/request`;
        rows.push(`${cell.name}  ${name.padEnd(6)}  ${x.rps.toFixed(0).padStart(6)} rps  p50 ${us(x.p50)}  p99 ${us(x.p99)}${cpu}${x.failed ? `  (${x.failed} failed)` : ''}`);
      }
      const c = r.cco!;
      const b = r.bare!;
      const d = r.direct!;
      const p = r.paused!;
      const addedCpu = c.cpu - b.cpu;
      const rpsRatio = c.rps / b.rps;
      const parts = [`CPU ${signed(addedCpu)} µs/request over bare (${c.cpu.toFixed(0)} vs ${b.cpu.toFixed(0)})${cell.stream ? '' : ` target ≤ +70 ${ok(addedCpu <= 70)}`}`];
      parts.push(`latency ${signed(c.p50 - b.p50)} µs p50, ${signed(c.p99 - b.p99)} µs p99 over bare`);
      if (cell.connections === 1) {
        const ratio = (c.p50 - d.p50) / (b.p50 - d.p50);
        parts.push(`p50 over direct ${signed(c.p50 - d.p50)} vs bare ${signed(b.p50 - d.p50)} µs = ${ratio.toFixed(2)}× (target ≤ 1.2×) ${ok(ratio <= 1.2)}`);
      }
      parts.push(`rps ${(rpsRatio * 100).toFixed(1)} % of bare${cell === SSE16 ? ` (target ≥ 95 %) ${ok(rpsRatio >= 0.95)}` : ''}`);
      parts.push(`paused: CPU ${signed(p.cpu - b.cpu)} µs, rps ${((p.rps / b.rps) * 100).toFixed(1)} %`);
      verdicts.push(`${cell.name}: ${parts.join('; ')}`);
    }
    console.log(rows.join('\n') + '\n');
    console.log(verdicts.join('\n') + '\n');
    paused.child.kill('SIGTERM');
    bare.child.kill('SIGTERM');

    if (baseline) {
      // Cache off (its default) against the build before the response cache existed, alternating rounds.
      const base = await launch(ccoArgs(baseline.bundle, 'baseline'), listening);
      const ab: Targets = { cco: targets.cco!, base: { url: base.url, pid: base.child.pid } };
      await measure(base.url, JSON16, { duration: 3 });
      await measure(base.url, SSE16, { duration: 3 });
      await measure(base.url, BIG, { duration: 1 });
      console.log(`cache-off A/B: CCO (response cache off) vs CCO at ${baseline.label}, ${abRounds} alternating rounds × ${seconds} s; difference = CCO − before, mean ± 2 SE of the paired rounds`);
      const stat = (xs: number[]) => {
        const m = xs.reduce((a, x) => a + x, 0) / xs.length;
        const se = Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / Math.max(1, xs.length - 1) / xs.length);
        return `${signed(m)} ± ${(2 * se).toFixed(0)}`;
      };
      for (const cell of [JSON1, JSON16, SSE16, BIG]) {
        const runs = await cellRounds(ab, cell, abRounds);
        const a = summarize(runs.cco!);
        const z = summarize(runs.base!);
        const p50 = (r: Run) => median(r.lat);
        const dCpu = runs.cco!.map((r, i) => r.cpu - runs.base![i]!.cpu);
        const dP50 = runs.cco!.map((r, i) => p50(r) - p50(runs.base![i]!));
        const dRps = runs.cco!.map((r, i) => ((r.rps - runs.base![i]!.rps) / runs.base![i]!.rps) * 100);
        console.log(
          `${cell.name}  now: CPU ${a.cpu.toFixed(0)} µs/req, p50 ${a.p50.toFixed(0)} µs, p99 ${a.p99.toFixed(0)} µs, ${a.rps.toFixed(0)} rps | before: CPU ${z.cpu.toFixed(0)}, p50 ${z.p50.toFixed(0)}, p99 ${z.p99.toFixed(0)}, ${z.rps.toFixed(0)} rps` +
            ` | Δ CPU ${stat(dCpu)} µs/req, Δ p50 ${stat(dP50)} µs, Δ rps ${stat(dRps)} %`,
        );
      }
      console.log('');
      base.child.kill('SIGTERM');
    }

    // Memory: RSS after 1,000 and after 10,000 streamed requests through a fresh CCO (its first requests;
    // RSS read after 1 s of quiet).
    const settle = () => new Promise((r) => setTimeout(r, 1000));
    cco.child.kill('SIGTERM');
    const fresh = await launch(ccoArgs(bundle, 'fresh'), listening);
    await measure(fresh.url, SSE16, { amount: 1000 });
    await settle();
    const rss1k = rssMb(fresh.child.pid!);
    await measure(fresh.url, SSE16, { amount: 9000 });
    await settle();
    const rss10k = rssMb(fresh.child.pid!);
    const growth = rss10k - rss1k;
    console.log(`CCO RSS after 1,000 streamed requests: ${rss1k.toFixed(1)} MB; after 10,000: ${rss10k.toFixed(1)} MB; growth ${growth.toFixed(1)} MB (target ≤ 20 MB) ${ok(growth <= 20)}`);
  } finally {
    const exits = children.filter((c) => c.exitCode === null && c.signalCode === null).map((c) => new Promise((r) => c.once('exit', r)));
    for (const c of children) c.kill('SIGTERM');
    await fake.close();
    await Promise.all(exits);
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

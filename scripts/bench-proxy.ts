/**
 * npm run bench:proxy — CCO against a bare node:http pipe proxy and a direct connection, in one run, on the
 * fake upstream. Prints rps and p50/p99 latency per target, CCO's ratios to the bare proxy, and CCO's RSS
 * growth between 1,000 and 10,000 streamed requests.
 *
 * Targets (issue #3): rps ≥ 85 % of the bare proxy's; added p50 ≤ 1.2× the bare proxy's added p50;
 * RSS after 10,000 streamed requests within 20 MB of its value after 1,000. Also printed: each proxy
 * process's CPU time per request (all its threads), the overhead itself — steadier than rps when the load
 * generator and the upstream share the machine's cores with the proxy.
 * A fourth target, CCO with recording paused (`cco run --paused`), forwards and observes but books nothing:
 * the gap between it and CCO is the bookkeeping's share of the overhead.
 * After the same warm-up for every target (3 s of JSON and 3 s of SSE), each cell is measured in
 * BENCH_ROUNDS (default 5) rounds of BENCH_SECONDS (default 2) per target, in rotating order; the medians
 * are reported (latency resolution: autocannon's 1 ms).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { spawnFakeUpstream } from '../test/fake-upstream/process.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const seconds = Number(process.env.BENCH_SECONDS ?? 2);
const rounds = Number(process.env.BENCH_ROUNDS ?? 5);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function start(args: string[], ready: RegExp, tsx = true): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [...(tsx ? ['--import', 'tsx'] : []), ...args], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, ANTHROPIC_API_KEY: '', NO_BROWSER: '1', CCO_CONFIG_DIR: path.join(os.tmpdir(), 'cco-bench-config') },
  });
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
const body = (stream: boolean) =>
  JSON.stringify({ model: 'claude-haiku-4-5', max_tokens: 200, stream, messages: [{ role: 'user', content: 'Benchmark request: tell me about proxies.' }] });

async function measure(url: string, stream: boolean, connections: number, duration = seconds, amount?: number, pid?: number) {
  const cpuBefore = pid === undefined ? 0 : cpuMicros(pid);
  const result = await autocannon({
    url: url + '/v1/messages?beta=true',
    method: 'POST',
    headers,
    body: body(stream),
    connections,
    ...(amount ? { amount } : { duration }),
  });
  const failed = result.non2xx + result.errors;
  // The bare baseline does not replay on a stale keep-alive socket, so it may show a rare 502; more than
  // 1 % failures means the measurement is void.
  const detail = `${result.non2xx} non-2xx, ${result.errors} errors (${result.timeouts} timeouts, ${result.resets} resets): ${JSON.stringify(result.statusCodeStats)}`;
  if (failed > result.requests.total * 0.01) throw new Error(`${url}: ${detail}`);
  if (failed > 0) console.error(`  (${url}, ${stream ? 'SSE' : 'JSON'} c=${connections}: ${detail})`);
  // CPU the proxy process spent per request (its threads' user + system time): the overhead itself, far
  // steadier than rps on a machine whose cores the load generator and the upstream share.
  const cpu = pid === undefined ? Number.NaN : (cpuMicros(pid) - cpuBefore) / Math.max(1, result.requests.total);
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, total: result.requests.total, failed, cpu };
}

async function main() {
  const fake = await spawnFakeUpstream({ seed: 1, pingIntervalMs: 60_000 });
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cco-bench-'));
  const bare = await start(['scripts/bare-proxy.ts', fake.url], /"port":(\d+)/);
  // CCO as shipped: the standalone bundle (no tsx loader in the measured process).
  execFileSync(process.execPath, ['--import', 'tsx', 'scripts/build-daemon.ts'], { cwd: root, stdio: 'ignore' });
  let cco = await start(['dist/cco-daemon.cjs', 'run', '--no-browser', '--port', '0', '--upstream', fake.url, '--data-dir', dataDir], /listening on (http:\/\/\S+)/, false);
  // The same bundle with recording paused: forwards and observes (usage read, request attributed) but
  // books nothing. It splits CCO's overhead into the proxy's own part and the bookkeeping's (record,
  // price, journal, sql.js insert).
  const paused = await start(['dist/cco-daemon.cjs', 'run', '--no-browser', '--paused', '--port', '0', '--upstream', fake.url, '--data-dir', path.join(dataDir, 'paused')], /listening on (http:\/\/\S+)/, false);
  const targets = { direct: fake.url, bare: bare.url, cco: cco.url, paused: paused.url };
  const pids: Record<string, number | undefined> = { direct: undefined, bare: bare.child.pid, cco: cco.child.pid, paused: paused.child.pid };
  try {
    console.log(`bench:proxy — medians of ${rounds} rounds × ${seconds} s per target and cell, node ${process.version}, ${os.cpus().length} cores, load ${os.loadavg()[0]!.toFixed(1)}\n`);
    // Warm-up, the same for every target: a few seconds of each kind of request, so each measured cell sees
    // the process in its steady state (JIT tiers, and V8's young generation, which grows over the first
    // ~10,000 requests and costs throughput until it has: CCO's rps rose 6.7k → 8.0k over 4 s rounds).
    for (const t of Object.values(targets)) {
      await measure(t, false, 16, 3);
      await measure(t, true, 16, 3);
    }
    const rows: string[] = [];
    const verdicts: string[] = [];
    for (const stream of [false, true]) {
      for (const connections of [16, 32]) {
        // Rounds with the targets in rotating order; the median per target damps drift on a shared machine.
        const runs: Record<string, Awaited<ReturnType<typeof measure>>[]> = { direct: [], bare: [], cco: [], paused: [] };
        const names = Object.keys(targets) as (keyof typeof targets)[];
        for (let round = 0; round < rounds; round++) {
          for (let i = 0; i < names.length; i++) {
            const name = names[(i + round) % names.length]!;
            runs[name]!.push(await measure(targets[name], stream, connections, seconds, undefined, pids[name]));
          }
        }
        const r: Record<string, Awaited<ReturnType<typeof measure>>> = {};
        for (const name of names) {
          const xs = runs[name]!;
          r[name] = { rps: median(xs.map((x) => x.rps)), p50: median(xs.map((x) => x.p50)), p99: median(xs.map((x) => x.p99)), total: xs.reduce((n, x) => n + x.total, 0), failed: xs.reduce((n, x) => n + x.failed, 0), cpu: median(xs.map((x) => x.cpu)) };
        }
        const kind = stream ? 'SSE ' : 'JSON';
        for (const name of Object.keys(targets)) {
          const x = r[name]!;
          const cpu = Number.isNaN(x.cpu) ? '' : `  CPU ${x.cpu.toFixed(0).padStart(4)} µs/request`;
          rows.push(`${kind} c=${connections}  ${name.padEnd(6)}  ${x.rps.toFixed(0).padStart(6)} rps  p50 ${String(x.p50).padStart(4)} ms  p99 ${String(x.p99).padStart(4)} ms${cpu}${x.failed ? `  (${x.failed} failed)` : ''}`);
        }
        const rpsRatio = r.cco!.rps / r.bare!.rps;
        const addedBare = Math.max(r.bare!.p50 - r.direct!.p50, 1);
        const addedCco = Math.max(r.cco!.p50 - r.direct!.p50, 0);
        const p50Ratio = addedCco / addedBare;
        verdicts.push(
          `${kind} c=${connections}: CCO rps = ${(rpsRatio * 100).toFixed(1)} % of bare (target ≥ 85 %) ${rpsRatio >= 0.85 ? 'OK' : 'MISS'}; ` +
            `added p50 ${addedCco} ms vs bare ${addedBare} ms = ${p50Ratio.toFixed(2)}× (target ≤ 1.2×) ${p50Ratio <= 1.2 ? 'OK' : 'MISS'}; ` +
            `CPU per request ${(r.cco!.cpu / r.bare!.cpu).toFixed(2)}× bare's (+${(r.cco!.cpu - r.bare!.cpu).toFixed(0)} µs)` +
            ` — recording paused: rps ${((r.paused!.rps / r.bare!.rps) * 100).toFixed(1)} % of bare, +${(r.paused!.cpu - r.bare!.cpu).toFixed(0)} µs`,
        );
      }
    }
    console.log(rows.join('\n') + '\n');
    console.log(verdicts.join('\n') + '\n');

    // Memory: RSS after 1,000 and after 10,000 streamed requests through CCO.
    // (a fresh daemon, so the first 1,000 are its first requests; RSS read after 1 s of quiet)
    const settle = () => new Promise((r) => setTimeout(r, 1000));
    paused.child.kill('SIGTERM');
    const stopped = new Promise((r) => cco.child.once('exit', r));
    cco.child.kill('SIGTERM');
    await stopped;
    const freshDir = path.join(dataDir, 'fresh');
    const fresh = await start(['dist/cco-daemon.cjs', 'run', '--no-browser', '--port', '0', '--upstream', fake.url, '--data-dir', freshDir], /listening on (http:\/\/\S+)/, false);
    cco = fresh;
    await measure(fresh.url, true, 16, undefined, 1000);
    await settle();
    const rss1k = rssMb(fresh.child.pid!);
    await measure(fresh.url, true, 16, undefined, 9000);
    await settle();
    const rss10k = rssMb(fresh.child.pid!);
    const growth = rss10k - rss1k;
    console.log(`CCO RSS after 1,000 streamed requests: ${rss1k.toFixed(1)} MB; after 10,000: ${rss10k.toFixed(1)} MB; growth ${growth.toFixed(1)} MB (target ≤ 20 MB) ${growth <= 20 ? 'OK' : 'MISS'}`);
  } finally {
    const exited = cco.child.exitCode === null ? new Promise((r) => cco.child.once('exit', r)) : Promise.resolve();
    cco.child.kill('SIGTERM');
    bare.child.kill('SIGTERM');
    paused.child.kill('SIGTERM');
    await fake.close();
    await exited;
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

/**
 * `npm run bench:sumheap -- <bundle> <dataDir> [label]` (not a test; Linux): where a daemon's memory goes while it
 * answers bench:store-scale's calls. Starts the built bundle on `dataDir` in place (a copied cco.sqlite has a new
 * inode, so the start would run quick_check and grow sql.js' memory), replays 21 × /api/summary per range
 * (Europe/Paris) and 21 first pages, then three pages in months not yet open; prints after each phase the RSS,
 * `/proc/<pid>/smaps` summed by kind of mapping, p50 and CPU per call of the whole process, the HTTP thread and
 * the busiest other thread (/proc/<pid>/task), and with PROBE_PRINT=1 both isolates' heap spaces (heap-probe.cjs,
 * preloaded through NODE_OPTIONS, which Node runs in workers too). The daemon runs with CCO_HISTORY=off (bench:store-scale's
 * has the history service on, with an empty HOME: its pages carry `seenBy`). `npm run bench:sumheap -- --make <rows> <dir>`
 * writes a store with bench:store-scale's record generator first.
 *
 * Environment: NODE_FLAGS (node options before the bundle), CHILD_ENV (JSON, extra environment; PROBE_GC=main|all
 * makes the probe collect every second), RANGES (comma list), N (calls per range), COLD (months back of the cold pages; 4,7,10), WARM=1 (one call first, not
 * counted), EACH=1 (a report after each range), NOCOLD=1, EXPORT=1 (a CSV export's peak, then the final
 * snapshot's), TRACE=1 (the export's RSS per second and a breakdown at its peak), DIFF=1 (mappings that grew), BIG=1 (mappings ≥ 1 MB), SETTLE (ms before each report; 1500).
 * Compare builds alternately in one run and print the load with every number (docs/design.md, h14-sumheap).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RequestRecord } from '../shared/contract.ts';
import { openStore } from '../daemon/store/index.ts';
import { freePort, statusKb, cpuMs } from './bench-kit.ts';
import { benchRecord } from './bench-records.ts';

if (process.argv[2] === '--make') {
  const rows = Number(process.argv[3]);
  const dir = process.argv[4]!;
  fs.mkdirSync(dir, { recursive: true });
  const now = Date.now();
  const made = await openStore({ dataDir: dir, log: () => undefined });
  for (let i = 0; i < rows; i += 10_000) {
    const batch: RequestRecord[] = [];
    for (let j = i; j < Math.min(rows, i + 10_000); j++) batch.push(benchRecord(j, rows, now));
    await made.addBulk(batch);
  }
  await made.close();
  console.log(`${rows} records written to ${dir}`);
  process.exit(0);
}

const [bundleArg, store, label = 'x'] = process.argv.slice(2) as [string, string, string?];
const bundle = path.resolve(bundleArg);
const extraNode = (process.env.NODE_FLAGS ?? '').split(' ').filter(Boolean);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const MONTH_MS = 30.4 * 86_400_000;

function smaps(pid: number): Map<string, { rss: number; anon: number; name: string; size: number }> {
  const m = new Map<string, { rss: number; anon: number; name: string; size: number }>();
  let cur: { rss: number; anon: number; name: string; size: number } | undefined;
  for (const line of fs.readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const h = /^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (h) { cur = { rss: 0, anon: 0, name: h[3] ?? '', size: (parseInt(h[2]!, 16) - parseInt(h[1]!, 16)) >> 10 }; m.set(h[1]!, cur); continue; }
    const r = /^Rss:\s+(\d+)/.exec(line); if (r && cur) cur.rss = Number(r[1]);
    const a = /^Anonymous:\s+(\d+)/.exec(line); if (a && cur) cur.anon = Number(a[1]);
  }
  return m;
}
function classify(s: ReturnType<typeof smaps>): Record<string, number> {
  const c: Record<string, number> = {};
  for (const v of s.values()) {
    let k: string;
    if (v.name.startsWith('/')) k = 'file';
    else if (v.name === '[heap]') k = 'brk';
    else if (v.name.startsWith('[')) k = v.name;
    else if (v.size >= 60 * 1024 && v.size <= 66 * 1024) k = 'arena64M';
    else if (v.size > 8 * 1024) k = 'anon>8M';
    else if (v.size >= 1024) k = 'anon1-8M';
    else k = 'anon<1M';
    c[k] = (c[k] ?? 0) + v.rss;
  }
  return c;
}
function probe(dir: string, pid: number): string {
  const out: string[] = [];
  for (const f of fs.readdirSync(dir).filter((f) => f.startsWith(`${pid}-`) && f.endsWith('.json')).sort()) {
    const j = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'));
    const sp = Object.entries(j.spaces as Record<string, number[]>).filter(([, v]) => v[0]! > 0).map(([k, v]) => `${k.replace('_space', '')} ${(v[0]! / 1024).toFixed(1)}/${(v[1]! / 1024).toFixed(1)}`).join(', ');
    out.push(`  t${j.thread}: heapTotal ${(j.heapTotal / 1024).toFixed(1)} used ${(j.heapUsed / 1024).toFixed(1)} ext ${(j.external / 1024).toFixed(1)} malloced ${(j.malloced / 1024).toFixed(1)} (peak ${(j.peakMalloced / 1024).toFixed(1)}) | ${sp}`);
  }
  return out.join('\n');
}

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'sumheap-'));
const dataDir = path.resolve(store); // in place: a copy changes cco.sqlite's inode and costs a quick_check
const probeDir = path.join(work, 'probe');
const port = await freePort();
const home = path.join(work, 'home'); fs.mkdirSync(home);
const child = spawn(process.execPath, [...extraNode, bundle, 'run', '--port', String(port), '--data-dir', dataDir, '--no-browser'], {
  env: { ...process.env, HOME: home, XDG_CONFIG_HOME: path.join(home, '.config'), XDG_DATA_HOME: path.join(home, '.local', 'share'), CCO_CONFIG_DIR: path.join(home, 'config'), NO_BROWSER: '1', ANTHROPIC_API_KEY: '', CCO_HISTORY: 'off', NODE_OPTIONS: `--require ${path.join(import.meta.dirname, 'heap-probe.cjs')}`, PROBE_DIR: probeDir, ...(process.env.CHILD_ENV ? JSON.parse(process.env.CHILD_ENV) : {}) },
  stdio: ['ignore', 'ignore', process.env.QUIET ? 'ignore' : 'inherit'],
  cwd: work,
});
process.on('exit', () => { if (child.exitCode === null) child.kill('SIGKILL'); });
process.on('uncaughtException', (e) => { console.error(e); process.exit(1); });
process.on('unhandledRejection', (e) => { console.error(e); process.exit(1); });
for (;;) { if (child.exitCode !== null) throw new Error('exited'); if (await fetch(`http://127.0.0.1:${port}/ready`).then((r) => r.ok, () => false)) break; await sleep(5); }
const token = fs.readFileSync(path.join(dataDir, 'token'), 'utf8').trim();
const pid = child.pid!;
await sleep(5000);
const report = (what: string): ReturnType<typeof smaps> => {
  const s = smaps(pid);
  console.log(`[${label}] ${what}: RSS ${(statusKb(pid, 'VmRSS') / 1024).toFixed(1)} MB anon ${(statusKb(pid, 'RssAnon') / 1024).toFixed(1)} cpu ${cpuMs(pid)} ms load ${os.loadavg()[0]!.toFixed(1)} | ${Object.entries(classify(s)).map(([k, v]) => `${k} ${(v / 1024).toFixed(1)}`).join(', ')}`);
  if (process.env.PROBE_PRINT) console.log(probe(probeDir, pid));
  if (process.env.BIG) console.log('  big: ' + [...s.entries()].filter(([, v]) => v.size >= 1024 && !v.name.startsWith('/') && v.rss > 0).map(([k, v]) => `${k}:${(v.size / 1024).toFixed(0)}M/${(v.rss / 1024).toFixed(1)}`).join(' '));
  return s;
};
const s0 = report('steady');
const get = async (p: string): Promise<number> => {
  const r = await fetch(`http://127.0.0.1:${port}${p}`, { headers: { authorization: `Bearer ${token}` } });
  if (!r.ok) throw new Error(`${p}: ${r.status}`);
  return (await r.text()).length;
};
function threads(): Map<string, number> {
  const m = new Map<string, number>();
  for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
    try {
      const st = fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
      m.set(tid, (Number(f[11]) + Number(f[12])) * 10);
    } catch { /* gone */ }
  }
  return m;
}
async function p50(n: number, f: () => Promise<unknown>): Promise<{ p50: number; cpu: number; main: number; other: number }> {
  const ts: number[] = []; const c0 = cpuMs(pid); const t0 = threads();
  for (let i = 0; i < n; i++) { const t = performance.now(); await f(); ts.push(performance.now() - t); }
  const t1 = threads(); let main = 0; let other = 0;
  for (const [tid, v] of t1) { const d = v - (t0.get(tid) ?? 0); if (tid === String(pid)) main = d; else other = Math.max(other, d); }
  return { p50: ts.sort((a, b) => a - b)[Math.floor(n / 2)]!, cpu: (cpuMs(pid) - c0) / n, main: main / n, other: other / n };
}
const lat: string[] = [];
const ranges = (process.env.RANGES ?? 'today,7d,30d,month,all').split(',').filter(Boolean);
for (const range of ranges) {
  if (process.env.WARM) await get(`/api/summary?range=${range}&tz=Europe/Paris`);
  const r = await p50(Number(process.env.N ?? 21), () => get(`/api/summary?range=${range}&tz=Europe/Paris`));
  lat.push(`${range} ${r.p50.toFixed(1)} (cpu ${r.cpu.toFixed(1)} main ${r.main.toFixed(1)} worker ${r.other.toFixed(1)})`);
  if (process.env.EACH) { await sleep(Number(process.env.SETTLE ?? 1500)); report(`after ${range}`); }
}
const fp = await p50(Number(process.env.N ?? 21), () => get('/api/requests?limit=50'));
lat.push(`page ${fp.p50.toFixed(1)} (cpu ${fp.cpu.toFixed(1)} main ${fp.main.toFixed(1)} worker ${fp.other.toFixed(1)})`);
console.log(`[${label}] p50 ms: ${lat.join(' / ')}`);
await sleep(Number(process.env.SETTLE ?? 1500));
const s1 = report('after summaries+pages');
if (!process.env.NOCOLD) {
  const now = Date.now();
  const coldMs: number[] = [];
  const c0 = cpuMs(pid);
  for (const back of (process.env.COLD ?? '4,7,10').split(',').map(Number)) {
    const m = new Date(now - back * MONTH_MS);
    const t = performance.now();
    await get(`/api/requests?limit=50&from=${Date.UTC(m.getUTCFullYear(), m.getUTCMonth(), 1)}&to=${Date.UTC(m.getUTCFullYear(), m.getUTCMonth() + 1, 1)}`);
    coldMs.push(performance.now() - t);
  }
  const sorted = [...coldMs].sort((a, b) => a - b);
  console.log(`[${label}] pages in months not yet open: ${coldMs.map((x) => x.toFixed(0)).join(' / ')} ms (median ${sorted[Math.floor(sorted.length / 2)]!.toFixed(0)}), process CPU ${((cpuMs(pid) - c0) / coldMs.length).toFixed(0)} ms a page, load ${os.loadavg()[0]!.toFixed(1)}`);
  await sleep(Number(process.env.SETTLE ?? 1500));
  report('after cold pages');
}
if (process.env.DIFF) {
  const rows: [string, number, number, string][] = [];
  for (const [k, v] of s1) { const b = s0.get(k); const d = v.rss - (b?.rss ?? 0); if (Math.abs(d) >= 256) rows.push([k, v.size, d, v.name]); }
  rows.sort((a, b) => b[2] - a[2]);
  for (const r of rows.slice(0, 40)) console.log(`  ${r[0]} size ${r[1]} kB  dRss ${r[2]} kB ${r[3]}`);
  const buck: Record<string, [number, number]> = {};
  for (const r of rows) { const k = `${r[1]}kB`; buck[k] ??= [0, 0]; buck[k][0]++; buck[k][1] += r[2]; }
  console.log('  by size:', Object.entries(buck).sort((a, b) => b[1][1] - a[1][1]).slice(0, 12).map(([k, v]) => `${k} x${v[0]} ${(v[1] / 1024).toFixed(1)}MB`).join(', '));
}
/**
 * RSS max every 10 ms. With `trace`, also the RSS max of each second (printed as a timeline) and, at most every
 * 300 ms when RSS passed the last breakdown's by 1 MB, the smaps breakdown and the heap probe at that moment:
 * the last one taken is the breakdown at the peak (TRACE=1).
 */
function sampler(trace = false): { stop: () => number } {
  let max = statusKb(pid, 'VmRSS');
  const t0 = performance.now(); const perSec: number[] = []; let atPeak = ''; let peakKb = 0; let lastTake = 0;
  const t = setInterval(() => {
    const kb = statusKb(pid, 'VmRSS'); max = Math.max(max, kb);
    if (!trace) return;
    const sec = Math.floor((performance.now() - t0) / 1000); perSec[sec] = Math.max(perSec[sec] ?? 0, kb);
    if (kb > peakKb + 1024 && performance.now() - lastTake > 300) {
      lastTake = performance.now(); peakKb = kb;
      atPeak = `  at ${(kb / 1024).toFixed(1)} MB (${sec} s): ${Object.entries(classify(smaps(pid))).map(([k, v]) => `${k} ${(v / 1024).toFixed(1)}`).join(', ')}\n${probe(probeDir, pid)}`;
    }
  }, 10);
  return {
    stop: () => {
      clearInterval(t);
      if (trace) console.log(`  RSS max per second (MB): ${perSec.map((v) => (v / 1024).toFixed(0)).join(' ')}\n${atPeak}`);
      return Math.max(max, statusKb(pid, 'VmRSS'));
    },
  };
}
if (process.env.EXPORT) {
  const s = sampler(!!process.env.TRACE); const t1 = performance.now(); const c0 = cpuMs(pid);
  const res = await fetch(`http://127.0.0.1:${port}/api/export.csv`, { headers: { authorization: `Bearer ${token}` } });
  let bytes = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) bytes += chunk.byteLength;
  console.log(`[${label}] export peak ${(s.stop() / 1024).toFixed(1)} MB, ${(bytes / 1e6).toFixed(0)} MB in ${((performance.now() - t1) / 1000).toFixed(1)} s, cpu ${((cpuMs(pid) - c0) / 1000).toFixed(1)} s, load ${os.loadavg()[0]!.toFixed(1)}`);
  await sleep(1000);
  report('1 s after export');
}
const fin = sampler();
const exited = new Promise((r) => child.once('exit', r));
child.kill('SIGTERM'); await exited;
console.log(`[${label}] final snapshot peak ${(fin.stop() / 1024).toFixed(1)} MB`);
fs.rmSync(work, { recursive: true, force: true });

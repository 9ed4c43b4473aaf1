/**
 * `npm run bench:store-scale [rows=1000000]` (not a test): the store at scale, against the release bundle.
 *
 * Builds dist/cco-daemon.cjs from this checkout (`npm run build:daemon`; BENCH_NO_BUILD=1 reuses an existing one), then prints each figure beside its target
 * (issue 14): idle RSS of an empty daemon (and its ratio to a bare node:http server measured in the same
 * run), cold start to /ready, bulk ingest through Store.addBulk (this process, sources; `rows` records over
 * 12 months, current month included), restart to /ready on that store, steady RSS, /api/summary p50 for
 * every range, /api/requests first page p50, a page in a month not yet open, a full CSV export's peak RSS,
 * and the RSS peak during a snapshot (the final one at SIGTERM; the current month holds 1/12 of the rows).
 * RSS is the daemon process's (main thread + store worker), sampled from /proc every 10 ms (Linux).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RequestRecord } from '../shared/contract.ts';
import { openStore } from '../daemon/store/index.ts';
import { buildDaemonBundle, freePort, statusKb, untilReady } from './bench-kit.ts';
import { benchRecord } from './bench-records.ts';

const rows = Number(process.argv[2] ?? 1_000_000);
const root = path.resolve(import.meta.dirname, '..');
const bundle = path.join(root, 'dist', 'cco-daemon.cjs');
const MONTH_MS = 30.4 * 86_400_000;

const mb = (kb: number): string => `${(kb / 1024).toFixed(0)} MB`;
const row = (figure: string, value: string, target: string): void => console.log(`${figure.padEnd(44)} ${value.padEnd(26)} target ${target}`);


/** Samples the RSS of `pid` every 10 ms until stopped; returns the maximum seen. */
function sampleRss(pid: number): { stop: () => number } {
  let max = statusKb(pid, 'VmRSS');
  const t = setInterval(() => (max = Math.max(max, statusKb(pid, 'VmRSS'))), 10);
  return { stop: () => (clearInterval(t), Math.max(max, statusKb(pid, 'VmRSS'))) };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Each daemon's throwaway HOME, removed with the data folders at the end. */
const homes: string[] = [];

async function startDaemon(dataDir: string): Promise<{ child: ChildProcess; port: number; readyMs: number; token: string }> {
  const port = await freePort();
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'cco-scale-home-'));
  homes.push(home);
  const t0 = performance.now();
  const child = spawn(process.execPath, [bundle, 'run', '--port', String(port), '--data-dir', dataDir, '--no-browser'], {
    env: { ...process.env, HOME: home, XDG_CONFIG_HOME: path.join(home, '.config'), XDG_DATA_HOME: path.join(home, '.local', 'share'), NO_BROWSER: '1', ANTHROPIC_API_KEY: '' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  // by its banner, not by asking /ready every few ms while it starts (bench-kit.ts, untilReady)
  const { readyMs } = await untilReady(child, port, t0, 'cco-daemon.cjs');
  return { child, port, readyMs, token: fs.readFileSync(path.join(dataDir, 'token'), 'utf8').trim() };
}

async function stop(child: ChildProcess): Promise<number> {
  const s = sampleRss(child.pid!);
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
  return s.stop();
}

async function p50(n: number, f: () => Promise<unknown>): Promise<number> {
  const ts: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await f();
    ts.push(performance.now() - t);
  }
  return ts.sort((a, b) => a - b)[Math.floor(n / 2)]!;
}

const record = (i: number, now: number): RequestRecord => benchRecord(i, rows, now);

async function main(): Promise<void> {
  buildDaemonBundle(root, bundle);
  console.log(`bench:store-scale rows=${rows} node ${process.version} ${os.cpus().length} cpus, load ${os.loadavg()[0]!.toFixed(1)}`);

  // A bare node:http server: the floor any Node daemon pays.
  const bare = spawn(process.execPath, ['-e', "require('node:http').createServer((q, s) => s.end('ok')).listen(0, '127.0.0.1')"], { stdio: 'ignore' });
  await sleep(1500);
  const bareKb = statusKb(bare.pid!, 'VmRSS');
  bare.kill();

  // Empty store.
  const emptyDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cco-scale-empty-'));
  const empty = await startDaemon(emptyDir);
  await sleep(3000);
  const idleKb = statusKb(empty.child.pid!, 'VmRSS');
  const idleAnonKb = statusKb(empty.child.pid!, 'RssAnon');
  await stop(empty.child);
  row('idle RSS, empty store', `${mb(idleKb)} (anon ${mb(idleAnonKb)})`, '≤ 70 MB');
  row('  ratio to a bare node:http server', `${(idleKb / bareKb).toFixed(2)}× (bare ${mb(bareKb)})`, '');
  row('cold start to /ready, empty store', `${empty.readyMs.toFixed(0)} ms`, '≤ 250 ms');

  // Bulk ingest through the store API.
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cco-scale-'));
  const now = Date.now();
  const store = await openStore({ dataDir, log: () => undefined });
  const BATCH = 10_000;
  let ingestMs = 0; // addBulk only: making the records is not the store's cost
  for (let i = 0; i < rows; i += BATCH) {
    const batch: RequestRecord[] = [];
    for (let j = i; j < Math.min(rows, i + BATCH); j++) batch.push(record(j, now));
    const t = performance.now();
    await store.addBulk(batch);
    ingestMs += performance.now() - t;
  }
  const ingestS = ingestMs / 1000;
  await store.close();
  row('bulk ingest (addBulk, batches of 10k)', `${Math.round(rows / ingestS).toLocaleString('en')} rec/s`, '≥ 50,000 rec/s');

  // The daemon on that store.
  const d = await startDaemon(dataDir);
  row(`restart to /ready with ${rows.toLocaleString('en')} rows`, `${d.readyMs.toFixed(0)} ms`, '≤ 1 s');
  await sleep(5000);
  row(`steady RSS with ${rows.toLocaleString('en')} rows`, mb(statusKb(d.child.pid!, 'VmRSS')), '≤ 150 MB');
  const get = async (p: string): Promise<unknown> => {
    const r = await fetch(`http://127.0.0.1:${d.port}${p}`, { headers: { authorization: `Bearer ${d.token}` } });
    if (!r.ok) throw new Error(`${p}: ${r.status} ${await r.text()}`);
    return r.json();
  };
  for (const range of ['today', '7d', '30d', 'month', 'all']) {
    row(`/api/summary p50, ${range}`, `${(await p50(21, () => get(`/api/summary?range=${range}&tz=Europe/Paris`))).toFixed(1)} ms`, '≤ 20 ms');
  }
  row('/api/requests first page p50 (current month)', `${(await p50(21, () => get('/api/requests?limit=50'))).toFixed(1)} ms`, '≤ 5 ms');
  const cold: number[] = [];
  for (const back of [4, 7, 10]) {
    const m = new Date(now - back * MONTH_MS);
    const from = Date.UTC(m.getUTCFullYear(), m.getUTCMonth(), 1);
    const to = Date.UTC(m.getUTCFullYear(), m.getUTCMonth() + 1, 1);
    const t = performance.now();
    await get(`/api/requests?limit=50&from=${from}&to=${to}`);
    cold.push(performance.now() - t);
  }
  row('/api/requests page in a month not yet open', `${cold.map((x) => x.toFixed(0)).join(' / ')} ms`, '≤ 300 ms');

  const s = sampleRss(d.child.pid!);
  const t1 = performance.now();
  const res = await fetch(`http://127.0.0.1:${d.port}/api/export.csv`, { headers: { authorization: `Bearer ${d.token}` } });
  let bytes = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) bytes += chunk.byteLength;
  const exportKb = s.stop();
  row('full CSV export, RSS peak', `${mb(exportKb)} (load ${os.loadavg()[0]!.toFixed(1)}; ${(bytes / 1e6).toFixed(0)} MB in ${((performance.now() - t1) / 1000).toFixed(1)} s)`, '≤ 200 MB');

  // A snapshot: the final one at SIGTERM (after a record through the proxy path would also do). What the
  // export left in the process is part of that peak, so it is printed too.
  await sleep(1000);
  row('  RSS 1 s after the export', mb(statusKb(d.child.pid!, 'VmRSS')), '');
  const peakKb = await stop(d.child);
  row('RSS peak during a snapshot (final, at SIGTERM)', mb(peakKb), '≤ 220 MB');
  const files = fs.readdirSync(path.join(dataDir, 'months'));
  console.log(`data: cco.sqlite ${(fs.statSync(path.join(dataDir, 'cco.sqlite')).size / 1e6).toFixed(1)} MB, ${files.length} month files`);
  fs.rmSync(dataDir, { recursive: true, force: true });
  fs.rmSync(emptyDir, { recursive: true, force: true });
  for (const home of homes) fs.rmSync(home, { recursive: true, force: true });
}

await main();

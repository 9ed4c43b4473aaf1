/**
 * Store benchmark (not a test): `npx tsx scripts/bench-store.ts [rows=100000]`.
 * Inserts `rows` realistic records (scripts/bench-records.ts) spread over 90 days through the public Store API and prints:
 * add() cost on the calling thread, time until flushed, summary and list latencies, snapshot time and
 * size, reopen time, and process RSS (the worker thread shares the process, so RSS includes sql.js).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ulid } from 'ulid';
import type { RequestRecord, SummaryRange } from '../shared/contract.ts';
import { collectGarbage } from '../daemon/store/gc.ts';
import { openStore, type Store } from '../daemon/store/index.ts';
import { BENCH_PROJECTS, benchRecord } from './bench-records.ts';

const rows = Number(process.argv[2] ?? 100_000);
const DAY = 86_400_000;

const mb = (n: number): string => `${(n / 1024 / 1024).toFixed(0)} MB`;
const rss = (): string => mb(process.memoryUsage().rss);
/** RSS, and where it is: this (main) thread's V8 heap and ArrayBuffers, the store worker's. */
async function memory(store: Store): Promise<string> {
  const m = process.memoryUsage();
  const w = (await store.stats()).worker;
  return `rss ${mb(m.rss)} (main heap ${mb(m.heapUsed)}/${mb(m.heapTotal)}, buffers ${mb(m.arrayBuffers)}; worker heap ${mb(w.heapUsed)}/${mb(w.heapTotal)}, buffers ${mb(w.arrayBuffers)})`;
}

/** One store benchmark's records (scripts/bench-records.ts), spread over 89 days. */
const record = (i: number, now: number): RequestRecord => benchRecord(i, rows, now, 89 * DAY);

async function time<T>(f: () => Promise<T>): Promise<[T, number]> {
  const t = performance.now();
  const v = await f();
  return [v, performance.now() - t];
}

async function median(n: number, f: () => Promise<unknown>): Promise<string> {
  const ts: number[] = [];
  for (let i = 0; i < n; i++) ts.push((await time(f))[1]);
  ts.sort((a, b) => a - b);
  return `${(ts[Math.floor(n / 2)] ?? 0).toFixed(1)} ms`;
}

async function main(): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cco-bench-store-'));
  const now = Date.now();
  console.log(`rows=${rows} dataDir=${dataDir} rss at start ${rss()}`);
  let [store, ms] = await time(() => openStore({ dataDir, retentionDays: 90, log: () => undefined }));
  console.log(`open (empty): ${ms.toFixed(0)} ms`);

  const t0 = performance.now();
  let maxAdd = 0;
  let inAdd = 0;
  for (let i = 0; i < rows; i++) {
    const r = record(i, now);
    const a = performance.now();
    store.add(r);
    const d = performance.now() - a;
    inAdd += d;
    maxAdd = Math.max(maxAdd, d);
    if (i % 5000 === 4999) await new Promise((res) => setImmediate(res)); // let fsync/worker run
  }
  const addMs = performance.now() - t0;
  await store.flush();
  const flushedMs = performance.now() - t0;
  console.log(`add(): ${((inAdd * 1000) / rows).toFixed(1)} µs/record on the caller (max ${maxAdd.toFixed(2)} ms); loop incl. building records ${addMs.toFixed(0)} ms`);
  console.log(`all flushed+applied after ${flushedMs.toFixed(0)} ms → ${Math.round(rows / (flushedMs / 1000))} records/s; ${await memory(store)}`);

  // Burst: pre-built records added back to back → the worker's insert throughput.
  const burst = Array.from({ length: 20_000 }, (_, i) => ({ ...record(i, now), id: ulid() }));
  const b0 = performance.now();
  for (const r of burst) store.add(r);
  await store.flush();
  const burstMs = performance.now() - b0;
  console.log(`burst of ${burst.length}: stored in ${burstMs.toFixed(0)} ms → ${Math.round(burst.length / (burstMs / 1000))} records/s`);

  for (const range of ['today', '7d', '30d', 'month', 'all'] as SummaryRange[]) {
    console.log(`summary ${range}: ${await median(9, () => store.summary({ range, tz: 'Europe/Berlin' }))}`);
  }
  console.log(`listRequests (50, no filter): ${await median(9, () => store.listRequests({}))}`);
  console.log(`listRequests (50, project filter): ${await median(9, () => store.listRequests({ project: BENCH_PROJECTS[3] ?? '' }))}`);
  console.log(`listRequests (50, session filter): ${await median(9, () => store.listRequests({ session: record(rows / 2, now).sessionId ?? '' }))}`);

  collectGarbage(); // this script's own garbage (built records, the burst array): not the store's
  console.log(`before the snapshot (bench garbage collected): ${await memory(store)}`);
  // RSS around the first snapshot: before, peak while it runs (sampled every 10 ms), right after, and
  // after 5 s of quiet (what stays).
  const before = process.memoryUsage().rss;
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10);
  [, ms] = await time(() => store.snapshot());
  clearInterval(sampler);
  const after = process.memoryUsage().rss;
  peak = Math.max(peak, after);
  const size = fs.statSync(path.join(dataDir, 'cco.sqlite')).size;
  console.log(`snapshot: ${ms.toFixed(0)} ms, cco.sqlite ${mb(size)}`);
  console.log(`rss before the first snapshot ${mb(before)}, peak during ${mb(peak)}, right after ${mb(after)}`);
  await new Promise((res) => setTimeout(res, 5000));
  await store.summary({ range: 'today', tz: 'UTC' });
  console.log(`5 s after the snapshot: ${await memory(store)}`);
  await store.close();

  [store, ms] = await time(() => openStore({ dataDir, retentionDays: 90, log: () => undefined }));
  const st = await (store as Store).stats();
  console.log(`reopen: ${ms.toFixed(0)} ms (${st.requests} rows, incl. its snapshot); rss ${rss()}`);
  await store.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
}

await main();

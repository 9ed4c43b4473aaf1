/**
 * `npx tsx scripts/bench-bulk.ts [rows=100000]` (not a test): bulk ingest through Store.addBulk in this
 * process (sources), the record shape and spread of bench:store-scale (12 months, batches of 10 k). Prints
 * records/s of addBulk alone and with the closing snapshot, and the store's CPU a record (both threads; the
 * CPU of making the records is left out).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openStore } from '../daemon/store/index.ts';
import { benchRecord } from './bench-records.ts';

const rows = Number(process.argv[2] ?? 100_000);
const BATCH = 10_000;

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cco-bulk-'));
const now = Date.now();
const load0 = os.loadavg()[0]!;
const store = await openStore({ dataDir, log: () => undefined });
let ingestMs = 0;
let makeCpu = 0; // making the records (ulid is costly): not the store's
const cpu0 = process.cpuUsage();
for (let i = 0; i < rows; i += BATCH) {
  const batch = [];
  const c = process.cpuUsage();
  for (let j = i; j < Math.min(rows, i + BATCH); j++) batch.push(benchRecord(j, rows, now));
  const made = process.cpuUsage(c);
  makeCpu += made.user + made.system;
  const t = performance.now();
  await store.addBulk(batch);
  ingestMs += performance.now() - t;
}
const t = performance.now();
await store.close();
const closeMs = performance.now() - t;
const cpu = process.cpuUsage(cpu0);
const rate = (ms: number): string => `${Math.round(rows / (ms / 1000)).toLocaleString('en')} rec/s`;
console.log(
  `bench:bulk rows=${rows} addBulk ${rate(ingestMs)} (${(ingestMs / 1000).toFixed(1)} s), with close ${rate(ingestMs + closeMs)}; ` +
    `store CPU (both threads, close included) ${((cpu.user + cpu.system - makeCpu) / rows).toFixed(0)} µs a record; load ${load0.toFixed(1)} -> ${os.loadavg()[0]!.toFixed(1)}`,
);
fs.rmSync(dataDir, { recursive: true, force: true });

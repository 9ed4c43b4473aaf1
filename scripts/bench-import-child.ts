/**
 * Child of scripts/bench-import.ts (bundled by it, run by plain node): imports `<root>` and prints one JSON
 * line with its figures.
 *   mode `pipeline`: the importer's reader, parser, de-duplication and pricing, records summed (once per
 *                    record id, as the store keeps them) instead of stored: the import's own cost and memory,
 *                    apart from the store's (`cco import` of the release bundle is timed by the bench itself);
 *                    then three unchanged rescans;
 *   mode `idle`:    nothing (the RSS of this bundle under plain node, the baseline).
 * Peak RSS = VmHWM of this process.
 */
import fs from 'node:fs';
import type { RequestRecord } from '../shared/contract.ts';
import { createPricer } from '../daemon/pricing/index.ts';
import { HistoryImporter, type HistorySink } from '../daemon/history/importer.ts';

const [mode, dataDir, root] = process.argv.slice(2) as [string, string, string];
const pricer = createPricer(null);

function vmHwmMB(): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) / 1024 : process.resourceUsage().maxRSS / 1024;
}

interface Sums { requests: number; cost: number; input: number; cacheWrite5m: number; cacheWrite1h: number; cacheRead: number; output: number; webSearch: number; unpriced: number }
const sums: Sums = { requests: 0, cost: 0, input: 0, cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: 0, output: 0, webSearch: 0, unpriced: 0 };
/** Cost per category (nano-USD), and what it would be with every cache write priced as a 5m write / without the long-context tier. */
const cat = { cacheWrite1h: 0, cacheWrite1hAs5m: 0, longContext: 0, longContextAtBase: 0, webSearch: 0 };
function add(r: RequestRecord): void {
  sums.requests++;
  if (r.costNanoUsd === null) sums.unpriced++;
  else sums.cost += r.costNanoUsd;
  const t = r.tokens;
  sums.input += t.input;
  sums.cacheWrite5m += t.cacheWrite5m;
  sums.cacheWrite1h += t.cacheWrite1h;
  sums.cacheRead += t.cacheRead;
  sums.output += t.output;
  sums.webSearch += r.webSearchRequests;
  const usage = {
    input_tokens: t.input, cache_creation_input_tokens: t.cacheWrite5m + t.cacheWrite1h, cache_read_input_tokens: t.cacheRead, output_tokens: t.output,
    cache_creation: { ephemeral_5m_input_tokens: t.cacheWrite5m, ephemeral_1h_input_tokens: t.cacheWrite1h },
    server_tool_use: { web_search_requests: r.webSearchRequests },
  };
  const prompt = t.input + t.cacheWrite5m + t.cacheWrite1h + t.cacheRead;
  const c = pricer.cost(usage, r.model, r.startedAt, { context1m: prompt > 200_000 });
  if (!c.priced) return;
  cat.cacheWrite1h += c.breakdown.cacheWrite1h;
  cat.webSearch += c.breakdown.webSearch;
  if (t.cacheWrite1h) {
    const as5m = pricer.cost({ ...usage, cache_creation: { ephemeral_5m_input_tokens: t.cacheWrite5m + t.cacheWrite1h, ephemeral_1h_input_tokens: 0 } }, r.model, r.startedAt, { context1m: prompt > 200_000 });
    if (as5m.priced) cat.cacheWrite1hAs5m += as5m.breakdown.cacheWrite5m - c.breakdown.cacheWrite5m;
  }
  if (prompt > 200_000 && c.tier !== 'base') {
    const base = pricer.cost(usage, r.model, r.startedAt, { context1m: false });
    cat.longContext += c.nanoUsd;
    if (base.priced) cat.longContextAtBase += base.nanoUsd;
  }
}

if (mode === 'idle') {
  await new Promise((r) => setTimeout(r, 500));
  process.stdout.write(`${JSON.stringify({ rssMB: process.memoryUsage().rss / 1048576, hwmMB: vmHwmMB() })}\n`);
  process.exit(0);
}

if (mode !== 'pipeline') throw new Error(`unknown mode ${mode}`);
/** Open addressing over two Uint32Arrays: 30 + 30 bits of a ULID's random part (characters 10–21). */
class IdSet {
  private hi: Uint32Array;
  private lo: Uint32Array;
  private size = 0;
  constructor(private capacity: number) {
    this.hi = new Uint32Array(capacity);
    this.lo = new Uint32Array(capacity);
  }
  private static bits(id: string, from: number): number {
    let v = 0;
    for (let i = from; i < from + 6; i++) v = v * 32 + '0123456789ABCDEFGHJKMNPQRSTVWXYZ'.indexOf(id[i]!);
    return v + 1; // 0 marks an empty slot
  }
  has(id: string): boolean {
    return this.find(id, false);
  }
  add(id: string): void {
    this.find(id, true);
  }
  private find(id: string, insert: boolean): boolean {
    if (this.size * 2 > this.capacity) throw new Error('IdSet full');
    const hi = IdSet.bits(id, 10);
    const lo = IdSet.bits(id, 16);
    for (let i = (hi ^ lo) % this.capacity; ; i = (i + 1) % this.capacity) {
      if (this.hi[i] === 0) {
        if (insert) {
          this.hi[i] = hi;
          this.lo[i] = lo;
          this.size++;
        }
        return false;
      }
      if (this.hi[i] === hi && this.lo[i] === lo) return true;
    }
  }
}

let sink: HistorySink;
/**
 * Wall and CPU time spent in the sink below (the id table, the sums, re-pricing per category): the bench's own
 * work, standing in for the store that the pipeline figures leave out. It runs synchronously on this thread,
 * so the parent can take it out of the pipeline's times.
 */
const sinkTime = { ms: 0, cpuMs: 0 };
{
  // What the store does with a record id it holds already (a resumed session's copy of a response in another
  // file, in another batch): skip it. Without this the pipeline counted those copies twice. A Set of the id
  // strings cost this process ~90 MB of peak RSS on the 1 GB corpus (220k ids; the heap grows around them), so
  // the bench keeps 60 bits of each id's sha256-made part in a fixed 8 MB table instead (up to 524k ids) (a false "seen"
  // among 220k ids: ~2e-8).
  const ids = new IdSet(1 << 20);
  sink = {
    findByUpstreamRequestIds: async () => [],
    addBulk: async (records) => {
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      let skipped = 0;
      for (const r of records) {
        if (ids.has(r.id)) skipped++;
        else {
          ids.add(r.id);
          add(r);
        }
      }
      const c = process.cpuUsage(c0);
      sinkTime.cpuMs += (c.user + c.system) / 1000;
      sinkTime.ms += performance.now() - t0;
      return { inserted: records.length - skipped, skipped, invalid: 0 };
    },
  };
}
let peakSampled = 0;
const sampler = setInterval(() => (peakSampled = Math.max(peakSampled, process.memoryUsage().rss)), 100);
const imp = new HistoryImporter({ dataDir, sink, pricer: () => pricer, roots: [root], settleMs: 0 });
const t0 = performance.now();
const cpu0 = process.cpuUsage();
const report = await imp.run();
const ms = performance.now() - t0;
const cpu = process.cpuUsage(cpu0);
const cpuMs = (cpu.user + cpu.system) / 1000;
/** From the process's start to the import's end (node's start-up and module loading included, as for ccusage). */
const processMs = performance.now();
const processCpu = process.cpuUsage();
const processCpuMs = (processCpu.user + processCpu.system) / 1000;
clearInterval(sampler);
const hwmImport = vmHwmMB();
// The unchanged rescan, three times (wall and CPU time: on a loaded machine wall time is mostly waiting).
let rescanMs = Infinity;
let rescanCpuMs = Infinity;
let again = report;
for (let i = 0; i < 3; i++) {
  const r0 = performance.now();
  const c0 = process.cpuUsage();
  again = await imp.run();
  const c = process.cpuUsage(c0);
  rescanMs = Math.min(rescanMs, performance.now() - r0);
  rescanCpuMs = Math.min(rescanCpuMs, (c.user + c.system) / 1000);
}
process.stdout.write(`${JSON.stringify({ ms, cpuMs, processMs, processCpuMs, sinkMs: sinkTime.ms, sinkCpuMs: sinkTime.cpuMs, bytes: report.bytesRead, files: report.files, imported: report.imported, report, hwmMB: hwmImport, peakSampledMB: peakSampled / 1048576, rescanMs, rescanCpuMs, rescanRead: again.bytesRead, sums, cat })}\n`);
process.exit(0);

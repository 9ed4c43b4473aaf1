/* eslint-disable @typescript-eslint/no-require-imports -- a CommonJS preload (--require), which Node also runs in worker threads */
/**
 * Preloaded by scripts/bench-sumheap.ts into a daemon (NODE_OPTIONS=--require, so in its worker threads too):
 * every 200 ms each thread writes its process.memoryUsage(), V8 heap statistics and heap spaces (kB) to
 * $PROBE_DIR/<pid>-<threadId>.json. PROBE_GC=main|all: a full collection every second (PROBE_GC_FLAVOR: V8's).
 */
const v8 = require('v8'); const fs = require('fs'); const wt = require('worker_threads');
const out = process.env.PROBE_DIR || require('os').tmpdir() + '/cco-heap-probe';
fs.mkdirSync(out, { recursive: true });
const f = `${out}/${process.pid}-${wt.threadId}.json`;
function dump() {
  const m = process.memoryUsage();
  const spaces = {}; for (const s of v8.getHeapSpaceStatistics()) spaces[s.space_name] = [Math.round(s.space_size/1024), Math.round(s.space_used_size/1024), Math.round(s.physical_space_size/1024)];
  const h = v8.getHeapStatistics();
  fs.writeFileSync(f + ".tmp", JSON.stringify({ t: Date.now(), thread: wt.threadId, heapTotal: m.heapTotal>>10, heapUsed: m.heapUsed>>10, external: m.external>>10, ab: m.arrayBuffers>>10, rss: m.rss>>10, malloced: h.malloced_memory>>10, peakMalloced: h.peak_malloced_memory>>10, physical: h.total_physical_size>>10, spaces })); fs.renameSync(f + ".tmp", f);
}
setInterval(dump, 200).unref(); dump();
if (process.env.PROBE_GC && (process.env.PROBE_GC === 'all' || wt.isMainThread)) {
  v8.setFlagsFromString('--expose-gc');
  const gc = require('vm').runInNewContext('gc');
  const flavor = process.env.PROBE_GC_FLAVOR;
  setInterval(() => (flavor ? gc({ type: 'major', execution: 'sync', flavor }) : gc()), 1000).unref();
}

/**
 * Child of scripts/bench-parse-threads.ts (bundled by it, run by plain node; also each worker's code): the
 * import pipeline's read + parse + a file's de-duplication + the record (id, price) of every response, on
 * this thread alone against two worker threads taking alternate files, in one process, alternating:
 *   twoCount:   the workers make the records and keep only a sum (the upper bound of two threads);
 *   twoEntries: the workers post every entry back (structured clone) and this thread makes the records;
 *   twoRecords: the workers make the records and post them back.
 * A probe for whether a second parse thread is worth building (docs/design.md, h15-rescan); not the importer.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { readLines } from '../daemon/history/lines.ts';
import { parseTranscriptLine, entryKey, type TranscriptEntry } from '../daemon/history/transcript.ts';
import { historyRecord } from '../daemon/history/record.ts';
import { createPricer } from '../daemon/pricing/index.ts';

const pricer = createPricer(null);
async function readFile(p: string, out: (e: TranscriptEntry[]) => void): Promise<number> {
  const fd = fs.openSync(p, 'r');
  const pending = new Map<string, TranscriptEntry>();
  let chunk: TranscriptEntry[] = [];
  let n = 0;
  const emit = (e: TranscriptEntry) => { chunk.push(e); n++; };
  try {
    await readLines(fd, 0, {
      line: (bytes) => {
        const v = parseTranscriptLine(bytes);
        if (v.kind !== 'entry') return;
        const k = entryKey(v.entry);
        if (pending.has(k)) pending.delete(k);
        pending.set(k, v.entry);
        if (pending.size > 256) { const o = pending.keys().next().value!; emit(pending.get(o)!); pending.delete(o); }
      },
    }, { between: () => { if (chunk.length >= 500) { out(chunk); chunk = []; } } });
  } finally { fs.closeSync(fd); }
  for (const e of pending.values()) emit(e);
  out(chunk);
  return n;
}

if (!isMainThread) {
  const { files, mode } = workerData as { files: string[]; mode: string };
  let n = 0;
  let cost = 0;
  for (const f of files) {
    n += await readFile(f, (es) => {
      if (mode === 'entries') parentPort!.postMessage(es);
      else if (mode === 'records') parentPort!.postMessage(es.map((e) => historyRecord(e, pricer)));
      else for (const e of es) cost += historyRecord(e, pricer).costNanoUsd ?? 0;
    });
  }
  parentPort!.postMessage({ done: n, cost });
} else {
  const [root, rounds] = process.argv.slice(2) as [string, string];
  const files: string[] = [];
  let bytes = 0;
  const stack = [root];
  while (stack.length) {
    const d = stack.pop()!;
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) stack.push(p);
      else if (e.name.endsWith('.jsonl')) {
        files.push(p);
        bytes += fs.statSync(p).size;
      }
    }
  }
  const cpu = (): number => {
    const c = process.cpuUsage();
    return (c.user + c.system) / 1000;
  };
  const load = (): string => fs.readFileSync('/proc/loadavg', 'utf8').split(' ')[0]!;
  /** Entries read, and the sum of their cost where the variant makes it on one side (a check: equal). */
  type Result = { n: number; cost: number | null };
  const one = async (): Promise<Result> => {
    let n = 0;
    let cost = 0;
    for (const f of files) n += await readFile(f, (es) => {
      for (const e of es) cost += historyRecord(e, pricer).costNanoUsd ?? 0;
    });
    return { n, cost };
  };
  const two = (mode: string): Promise<Result> => new Promise((resolve, reject) => {
    const halves: string[][] = [[], []];
    files.forEach((f, i) => halves[i % 2]!.push(f));
    let done = 0;
    let n = 0;
    let cost = 0;
    for (const h of halves) {
      const w = new Worker(new URL(import.meta.url), { workerData: { files: h, mode } });
      w.on('message', (m: unknown) => {
        if (Array.isArray(m)) {
          if (mode === 'entries') for (const e of m as TranscriptEntry[]) historyRecord(e, pricer);
          return;
        }
        n += (m as { done: number }).done;
        cost += (m as { cost: number }).cost;
        if (++done === 2) resolve({ n, cost: mode === 'count' ? cost : null });
      });
      w.on('error', reject);
    }
  });
  const variants: Record<string, () => Promise<Result>> = { one, twoCount: () => two('count'), twoEntries: () => two('entries'), twoRecords: () => two('records') };
  const mb = bytes / 1048576;
  for (let r = 0; r < Number(rounds); r++) {
    for (const [k, fn] of Object.entries(variants)) {
      const l0 = load();
      const c0 = cpu();
      const t0 = performance.now();
      const { n, cost } = await fn();
      const s = (performance.now() - t0) / 1000;
      const c = (cpu() - c0) / 1000;
      const sum = cost === null ? '' : `, cost sum ${(cost / 1e9).toFixed(2)} USD`;
      console.log(`${k.padEnd(11)} ${n} entries${sum}: wall ${s.toFixed(2)} s (${(mb / s).toFixed(0)} MB/s), CPU ${c.toFixed(2)} s, load ${l0} → ${load()}`);
    }
  }
}

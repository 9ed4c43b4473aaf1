/**
 * `npm run bench:idle [variant…]` (not a test): idle footprint and cold start of built daemons, same run,
 * alternating starts (issue 14). A variant is a bundle path, optionally preceded by environment settings:
 * `dist/cco-daemon.cjs`, `MALLOC_ARENA_MAX=2:dist/cco-daemon.cjs`, `A=1,B=2:/tmp/old/cco-daemon.cjs`.
 * Default: dist/cco-daemon.cjs. Each start gets an empty data folder; /proc/<pid>/status is read 3 s after
 * /ready. Printed per variant: RSS, anonymous RSS, wall time to /ready and the process's CPU time by then
 * (user + system, all threads: less sensitive to the machine's load than the wall time), the main thread's part of
 * it, and the CPU time 3 s after /ready (all of the start's work, also what V8's helper threads do later, e.g.
 * tiering sql.js up: a worker started earlier moves some of that before /ready).
 * ROUNDS (default 4).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { cpuMs, startBundleDaemon, statusKb } from './bench-kit.ts';

const root = path.resolve(import.meta.dirname, '..');
const rounds = Number(process.env.ROUNDS ?? 4);

interface Variant {
  label: string;
  bundle: string;
  env: Record<string, string>;
}

function parseVariant(arg: string): Variant {
  const m = /^([A-Za-z_][A-Za-z0-9_]*=[^,:]*(?:,[A-Za-z_][A-Za-z0-9_]*=[^,:]*)*):(.+)$/.exec(arg);
  const env: Record<string, string> = {};
  if (m) for (const kv of m[1]!.split(',')) env[kv.slice(0, kv.indexOf('='))] = kv.slice(kv.indexOf('=') + 1);
  return { label: arg, bundle: path.resolve(m ? m[2]! : arg), env };
}

interface Sample {
  rss: number;
  anon: number;
  readyMs: number;
  cpuMs: number;
  mainCpuMs: number;
  cpuIdleMs: number;
}

async function once(v: Variant): Promise<Sample> {
  const d = await startBundleDaemon(v.bundle, { env: v.env, label: v.label });
  try {
    await sleep(3000);
    const pid = d.child.pid!;
    return { rss: statusKb(pid, 'VmRSS') / 1024, anon: statusKb(pid, 'RssAnon') / 1024, readyMs: d.readyMs, cpuMs: d.cpuAtReadyMs, mainCpuMs: d.mainCpuAtReadyMs, cpuIdleMs: cpuMs(pid) };
  } finally {
    await d.stop();
  }
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const variants = (args.length > 0 ? args : [path.join(root, 'dist', 'cco-daemon.cjs')]).map(parseVariant);
  for (const v of variants) if (!fs.existsSync(v.bundle)) throw new Error(`${v.bundle}: not found (npm run build:daemon)`);
  const samples = new Map<Variant, Sample[]>(variants.map((v) => [v, []]));
  for (let r = 0; r < rounds; r++) {
    // alternate the order each round, so neither variant always starts right after the other's exit
    for (const v of r % 2 === 0 ? variants : [...variants].reverse()) samples.get(v)!.push(await once(v));
  }
  console.log(`load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}, ${rounds} starts each (median; all starts)`);
  console.log('| variant | RSS MB | anon MB | /ready ms | CPU to /ready ms | main thread CPU ms | CPU 3 s after /ready ms |');
  console.log('| --- | --- | --- | --- | --- | --- | --- |');
  for (const v of variants) {
    const s = samples.get(v)!;
    const cell = (f: (x: Sample) => number, digits: number): string => `${median(s.map(f)).toFixed(digits)} (${s.map((x) => f(x).toFixed(digits)).join(' / ')})`;
    console.log(`| ${v.label} | ${cell((x) => x.rss, 1)} | ${cell((x) => x.anon, 1)} | ${cell((x) => x.readyMs, 0)} | ${cell((x) => x.cpuMs, 0)} | ${cell((x) => x.mainCpuMs, 0)} | ${cell((x) => x.cpuIdleMs, 0)} |`);
  }
}

main().catch((err: Error) => {
  console.error(err.message);
  process.exit(1);
});

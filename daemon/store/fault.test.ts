/**
 * Fault injection (issue 13): kill -9 at seeded random points of start-up (journal replay, startup
 * snapshot), of snapshots, of month seals (a virtual clock crosses a month boundary every ~1.5 s, and late
 * records land in sealed months), and of shutdown (after SIGTERM, during the final snapshot), round after
 * round on the same data folder. Then: every record the child reported written is stored exactly once,
 * and the rollups count each stored record once.
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { makeRng } from '../../test/fake-upstream/rng.ts';
import { describe, expect, it } from 'vitest';
import { openStore } from './index.ts';
import { memoryLog, storedOnce, tempDir } from './test-fixtures.ts';

const CHILD = fileURLToPath(new URL('./test-fault-child.ts', import.meta.url));
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const SEED = 1313;
const ROUNDS = 9;
type Phase = 'startup' | 'snapshot' | 'seal' | 'shutdown';


interface Round {
  ids: string[];
  openMs: number | null;
  closeMs: number | null;
  killedIn: string;
  lastVirtual: number;
}

/** One child: killed with SIGKILL at the phase's seeded moment. */
function round(dataDir: string, tag: string, virtualStart: number, phase: Phase, r: () => number, prevOpenMs: number): Promise<Round> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', TSX, CHILD, dataDir, String(virtualStart), tag], { stdio: ['ignore', 'pipe', 'pipe'] });
    const ids: string[] = [];
    let buf = '';
    let stderr = '';
    let openingAt = 0;
    let readyAt = 0;
    let closingAt = 0;
    let killedIn = 'running';
    let lastVirtual = virtualStart;
    const kill = (where: string) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      killedIn = where;
      child.kill('SIGKILL');
    };
    const later = (ms: number, f: () => void) => setTimeout(f, Math.max(0, Math.round(ms)));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      // A month being sealed: kill within the next few ms (the seal writes a file, then cco.sqlite again).
      if (phase === 'seal' && readyAt && killedIn === 'running' && /sealed in/.test(d.toString())) later(r() * 15, () => kill('seal'));
    });
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      const lines = buf.split('\n');
      buf = lines.pop() ?? ''; // an unterminated tail was not fully printed: ignore it
      for (const l of lines) {
        if (l === 'opening') {
          openingAt = performance.now();
          if (phase === 'startup') later(r() * prevOpenMs, () => kill('startup'));
        } else if (l.startsWith('ready ')) {
          readyAt = performance.now();
          lastVirtual = Number(l.slice(6));
          if (phase === 'snapshot') later(300 + r() * 1500, () => kill('snapshot'));
          if (phase === 'seal') later(4000, () => kill('seal (none seen)'));
          if (phase === 'shutdown' || phase === 'startup') later(600 + r() * 600, () => child.kill('SIGTERM'));
        } else if (l === 'closing') {
          closingAt = performance.now();
          if (phase === 'shutdown') later(r() * 400, () => kill('shutdown'));
        } else if (l) ids.push(l);
      }
    });
    child.on('exit', (code, signal) => {
      const n = Number(/-(\d+)$/.exec(ids.at(-1) ?? '')?.[1] ?? 0);
      const res = { ids, openMs: readyAt ? readyAt - openingAt : null, closeMs: closingAt ? performance.now() - closingAt : null, killedIn, lastVirtual: lastVirtual + n * 10_000 };
      if (signal === 'SIGKILL' || code === 0) resolve(res);
      else reject(new Error(`child exited ${code ?? signal}: ${stderr}`));
    });
  });
}

describe('fault injection: kill -9 at start-up, snapshot, seal and shutdown', () => {
  it(`${ROUNDS} seeded rounds on one data folder: nothing written is lost, nothing doubled`, async () => {
    const r = makeRng(SEED);
    const dataDir = tempDir('cco-fault-');
    const phases: Phase[] = ['snapshot', 'seal', 'shutdown', 'startup'];
    const printed: string[] = [];
    const log: string[] = [];
    let virtual = Date.UTC(2026, 0, 20);
    let openMs = 400;
    for (let i = 0; i < ROUNDS; i++) {
      const phase = i === 0 ? 'snapshot' : phases[Math.floor(r() * phases.length)]!;
      const res = await round(dataDir, `r${i}`, virtual, phase, r, openMs);
      printed.push(...res.ids);
      if (res.openMs !== null) openMs = Math.max(100, res.openMs);
      virtual = Math.max(virtual, res.lastVirtual) + 86_400_000;
      log.push(`round ${i}: ${phase} → killed in ${res.killedIn}, ${res.ids.length} written`);
    }
    const killed = log.filter((l) => !l.includes('killed in running')).length;
    expect(killed, log.join('\n')).toBeGreaterThanOrEqual(ROUNDS - 2);
    expect(printed.length).toBeGreaterThan(1000);

    const mem = memoryLog();
    const store = await openStore({ dataDir, retentionDays: 36_500, log: mem.log });
    try {
      const { check, stored } = await storedOnce(store, printed);
      expect(check, log.join('\n')).toEqual({ missing: [], missingCount: 0, doubled: [] });
      expect((await store.stats()).months).toBeGreaterThan(2); // month files were sealed along the way
      const sum = await store.summary({ range: 'all', tz: 'UTC', now: Date.UTC(2030, 0, 1) });
      expect(sum.totals.requests).toBe(stored.size); // rollups counted each stored record once
      expect(mem.lines.filter((l) => l.level === 'error')).toEqual([]);
      console.log(`fault injection: ${ROUNDS} rounds, ${printed.length} records written, ${stored.size} stored, 0 lost, 0 doubled\n${log.join('\n')}`);
    } finally {
      await store.close();
    }
  }, 120_000);
});

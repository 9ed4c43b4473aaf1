/**
 * kill -9 during a bulk import of past months (h15-diskmonth): their rows are written through working copies
 * of the month files on disk (disk-file.ts, `YYYY-MM.sqlite.work-<token>`) and staged by snapshots from those
 * copies. Seeded kills, after a seeded number of batches or just after a staged month was put in place, round
 * after round on one data folder (each round adds records of its own to the same three months, whose files
 * the rounds before sealed). Then: every record a round reported added is stored exactly once, the rollups
 * count each stored record once, and no working copy is left once the store is open.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { makeRng } from '../../test/fake-upstream/rng.ts';
import { openStore } from './index.ts';
import { monthsDir, WORK_RE } from './months.ts';
import { memoryLog, storedOnce, tempDir } from './test-fixtures.ts';

const CHILD = fileURLToPath(new URL('./test-bulk-crash-child.ts', import.meta.url));
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const SEED = 1515;
const ROUNDS = 6;
/** Records each round adds, and per addBulk. */
const ROWS = 24_000;
const BATCH = 1_500;

interface Round {
  ids: string[];
  done: boolean;
  killedIn: string;
  /** Working copies in the months folder when the kill came. */
  workCopies: number;
}

function round(dataDir: string, tag: string, r: () => number, kill: boolean): Promise<Round> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', TSX, CHILD, dataDir, String(ROWS), String(BATCH), tag], { stdio: ['ignore', 'pipe', 'pipe'] });
    const ids: string[] = [];
    let buf = '';
    let stderr = '';
    let done = false;
    let killedIn = 'not killed';
    let workCopies = 0;
    let aimed = false;
    // Aimed by progress, not time (a loaded machine is slow): after a seeded number of batches added this run.
    const afterBatches = Math.floor(r() * (ROWS / BATCH));
    let batches = 0;
    const killNow = (where: string) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      workCopies = fs.readdirSync(monthsDir(dataDir)).filter((f) => WORK_RE.test(f)).length;
      killedIn = where;
      child.kill('SIGKILL');
    };
    const later = (ms: number, f: () => void) => setTimeout(f, Math.max(0, Math.round(ms)));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      // A staged month put in place: kill within the next few ms (the next staging, cco.sqlite, the rows after).
      if (kill && !aimed && /sealed in/.test(d.toString()) && r() < 0.5) {
        aimed = true;
        later(r() * 20, () => killNow('after a month was sealed'));
      }
    });
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      const lines = buf.split('\n');
      buf = lines.pop() ?? '';
      for (const l of lines) {
        if (l === 'done') done = true;
        else if (l && l !== 'ready') {
          ids.push(l);
          if (ids.length % BATCH === 0 && kill && ++batches === afterBatches + 1 && !aimed) {
            aimed = true;
            later(r() * 400, () => killNow(`after ${batches} batches`));
          }
        }
      }
    });
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL' || code === 0) resolve({ ids, done, killedIn, workCopies });
      else reject(new Error(`child exited ${code ?? signal}: ${stderr}`));
    });
  });
}

describe('kill -9 during a bulk import of past months (month databases written through working copies)', () => {
  it(`${ROUNDS} seeded rounds on one data folder, then one to the end: nothing added is lost, nothing doubled`, async () => {
    const r = makeRng(SEED);
    const dataDir = tempDir('cco-bulk-crash-');
    const printed = new Set<string>();
    const log: string[] = [];
    let withCopies = 0;
    for (let i = 0; i <= ROUNDS; i++) {
      const res = await round(dataDir, `r${i}`, r, i < ROUNDS);
      for (const id of res.ids) printed.add(id);
      if (res.killedIn !== 'not killed' && res.workCopies > 0) withCopies++;
      log.push(`round ${i}: killed ${res.killedIn} (${res.workCopies} working copies on disk), ${res.ids.length} added${res.done ? ', done' : ''}`);
      if (i === ROUNDS) expect(res.done, log.join('\n')).toBe(true);
    }
    // The kills landed while month databases were being written through their working copies.
    expect(withCopies, log.join('\n')).toBeGreaterThanOrEqual(3);

    const mem = memoryLog();
    const store = await openStore({ dataDir, retentionDays: 36_500, log: mem.log });
    try {
      expect(fs.readdirSync(monthsDir(dataDir)).filter((f) => WORK_RE.test(f))).toEqual([]);
      const { check, stored } = await storedOnce(store, printed);
      expect(check, log.join('\n')).toEqual({ missing: [], missingCount: 0, doubled: [] });
      // Records added but not yet reported when the kill came may be stored too: only ids the rounds made.
      expect([...stored.keys()].filter((id) => !/^r\d+-\d+$/.test(id))).toEqual([]);
      expect([...stored.keys()].filter((id) => id.startsWith(`r${ROUNDS}-`))).toHaveLength(ROWS); // the last round ran to the end
      expect((await store.stats()).months).toBe(3);
      const sum = await store.summary({ range: 'all', tz: 'UTC', now: Date.UTC(2030, 0, 1) });
      expect(sum.totals.requests).toBe(stored.size); // rollups counted each stored record once
      expect(mem.lines.filter((l) => l.level === 'error')).toEqual([]);
      console.log(`bulk crash: ${ROUNDS} kills, ${printed.size} added, ${stored.size} stored, 0 lost, 0 doubled\n${log.join('\n')}`);
    } finally {
      await store.close();
    }
  }, 240_000);
});

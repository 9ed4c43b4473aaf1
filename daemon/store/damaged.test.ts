/**
 * Damaged files (issue 13 item 8), on real files through openStore: 4 KB of random bytes over a middle
 * page or the last page of cco.sqlite, a 0-byte or missing cco.sqlite, and one damaged month file. The
 * store always opens, moves the bad file aside, rebuilds what the journal holds, says what is missing,
 * and keeps every other month.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RequestRecord } from '../../shared/contract.ts';
import { openStore } from './index.ts';
import { partitionPath } from './months.ts';
import { segmentPath } from './segments.ts';
import { makeRecord, memoryLog, tempDir } from './test-fixtures.ts';
import { allRecords } from '../../test/daemon-process.ts';

const MONTHS = [Date.UTC(2026, 8, 10), Date.UTC(2026, 9, 10), Date.UTC(2026, 10, 10)]; // Sep, Oct, Nov 2026: sealed

/** Seeded bytes (mulberry32), so a failure can be replayed. */
function randomBytes(seed: number, n: number): Buffer {
  let a = seed >>> 0;
  const out = Buffer.alloc(n);
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = ((t ^ (t >>> 14)) >>> 0) & 0xff;
  }
  return out;
}


/**
 * A data folder with 3 sealed months (20 rows each) and 30 current-month rows in cco.sqlite, closed
 * cleanly; then 10 more records left in a journal segment after the snapshot (as a kill -9 leaves them).
 */
async function prepared(): Promise<{ dir: string; sealed: RequestRecord[]; current: RequestRecord[]; journaled: RequestRecord[] }> {
  const dir = tempDir('cco-damaged-');
  const store = await openStore({ dataDir: dir, log: () => undefined });
  const sealed = MONTHS.flatMap((t) => Array.from({ length: 20 }, (_, i) => makeRecord({ startedAt: t + i * 60_000 })));
  const now = Date.now();
  const current = Array.from({ length: 30 }, (_, i) => makeRecord({ startedAt: now - 60_000 - i * 1000 }));
  await store.addBulk([...sealed, ...current]);
  await store.snapshot();
  await store.close();
  for (const t of MONTHS) expect(fs.existsSync(partitionPath(dir, new Date(t).toISOString().slice(0, 7)))).toBe(true);
  // The snapshot's journal_seq is the highest segment folded; a later segment is replayed at the next start.
  const seqs = fs.readdirSync(path.join(dir, 'journal')).map((n) => Number(/\d+/.exec(n)![0]));
  const next = Math.max(0, ...seqs) + 5;
  const journaled = Array.from({ length: 10 }, (_, i) => makeRecord({ startedAt: now - 10_000 + i }));
  fs.writeFileSync(segmentPath(dir, next), journaled.map((r) => JSON.stringify(r)).join('\n') + '\n', { mode: 0o600 });
  return { dir, sealed, current, journaled };
}

function overwrite(file: string, at: number, seed: number): void {
  const fd = fs.openSync(file, 'r+');
  fs.writeSync(fd, randomBytes(seed, 4096), 0, 4096, at);
  fs.closeSync(fd);
}

describe('a damaged or missing cco.sqlite', () => {
  const cases: [string, (file: string) => void][] = [
    ['4 KB of random bytes over a middle page', (f) => overwrite(f, Math.floor(fs.statSync(f).size / 4096 / 2) * 4096, 11)],
    ['4 KB of random bytes over the last page', (f) => overwrite(f, fs.statSync(f).size - 4096, 12)],
    ['a 0-byte file', (f) => fs.truncateSync(f, 0)],
    ['no file', (f) => fs.rmSync(f)],
  ];
  for (const [what, damage] of cases) {
    it(`${what}: opens, moves it aside, rebuilds the journal's records, says what is missing`, async () => {
      const { dir, sealed, journaled } = await prepared();
      const file = path.join(dir, 'cco.sqlite');
      damage(file);
      const { log, lines } = memoryLog();
      const store = await openStore({ dataDir: dir, log });
      try {
        const h = store.health();
        const ids = new Set((await allRecords(store)).map((r) => r.id));
        // Everything the journal held is back; the sealed months are still listed from their files.
        for (const r of journaled) expect(ids.has(r.id)).toBe(true);
        for (const r of sealed) expect(ids.has(r.id)).toBe(true);
        expect(h.journalGap).toMatch(/cco\.sqlite (is missing|was damaged) and the journal starts at segment \d+: 10 request\(s\) rebuilt/);
        expect(lines.some((l) => l.level === 'error' && l.msg.includes('journal starts at segment'))).toBe(true);
        if (what !== 'no file') {
          expect(h.damaged).toHaveLength(1);
          expect(h.damaged[0]).toMatchObject({ kind: 'snapshot', file });
          expect(fs.existsSync(h.damaged[0]!.movedTo)).toBe(true);
          expect(lines.some((l) => l.level === 'error' && l.msg.includes('cco.sqlite is damaged'))).toBe(true);
        }
      } finally {
        await store.close();
      }
    }, 60_000);
  }
});

describe('a damaged month file', () => {
  it('is moved aside when opened; the other months and the daemon carry on, totals are kept', async () => {
    const { dir, sealed, current, journaled } = await prepared();
    const oct = partitionPath(dir, '2026-10');
    overwrite(oct, Math.floor(fs.statSync(oct).size / 4096 / 2) * 4096, 21);
    const { log, lines } = memoryLog();
    const store = await openStore({ dataDir: dir, log });
    try {
      const listed = new Set((await allRecords(store)).map((r) => r.id));
      const octIds = sealed.filter((r) => new Date(r.startedAt).getUTCMonth() === 9).map((r) => r.id);
      const others = [...sealed.filter((r) => !octIds.includes(r.id)), ...current, ...journaled];
      for (const r of others) expect(listed.has(r.id)).toBe(true);
      for (const id of octIds) expect(listed.has(id)).toBe(false);
      const h = store.health();
      expect(h.damaged).toEqual([expect.objectContaining({ kind: 'month', month: '2026-10', file: oct })]);
      expect(fs.existsSync(oct)).toBe(false);
      expect(lines.some((l) => l.level === 'error' && l.msg.includes('month file 2026-10 is damaged'))).toBe(true);
      // Totals come from the rollups in cco.sqlite: October still counts.
      const sum = await store.summary({ range: 'all', tz: 'UTC' });
      expect(sum.totals.requests).toBe(sealed.length + current.length + journaled.length);
      expect((await store.stats()).months).toBe(2);
    } finally {
      await store.close();
    }
  }, 60_000);
});

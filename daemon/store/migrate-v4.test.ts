/**
 * Migration of a single-file store (schema v4, as written by the store before partitioning: the same
 * migrations 0–3 and the same RowWriter) to month files at start, killed with SIGKILL at random points:
 * the next start finishes it, and nothing is lost or doubled.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RequestRecord } from '../../shared/contract.ts';
import { loadSqlJs, SNAPSHOT_FILE } from './db.ts';
import { openStore } from './index.ts';
import { Interner } from './interner.ts';
import { getMeta, migrate, MIGRATIONS, setMeta } from './migrations.ts';
import { listPartitionFiles, monthOf } from './months.ts';
import { foldLimit } from './partitioned.ts';
import { RowWriter } from './rows.ts';
import { journalDir, segmentPath } from './segments.ts';
import { buildSummary } from './summary.ts';
import { makeRecord, memoryLog, runMigrateChild, storedIdCounts, tempDir } from './test-fixtures.ts';

describe('migration from the single-file store (v4)', () => {
  it('is finished by the next start after kill -9 at any point, losing and doubling nothing', async () => {
    const SQL = await loadSqlJs();
    const dataDir = tempDir('cco-v4-');
    const now = Date.now();
    // 8 past months and the current one, 6,000 rows in the v4 file and 300 more only in the journal.
    const start = Date.UTC(new Date(now).getUTCFullYear(), new Date(now).getUTCMonth() - 8, 1);
    const at = (i: number): number => start + Math.floor(((i * 0.6180339887) % 1) * (now - start));
    const stored = Array.from({ length: 6000 }, (_, i) => makeRecord({ startedAt: at(i), costNanoUsd: 1000 + i, sessionId: `s${i % 13}` }));
    const journaled = Array.from({ length: 300 }, (_, i) => makeRecord({ startedAt: at(i * 31 + 5), costNanoUsd: 7 }));
    const v4 = new SQL.Database();
    migrate(v4, MIGRATIONS, 4);
    // Today's writer also fills the tables of 6 → 7, which a v4 file does not have: lend them, then drop them.
    MIGRATIONS[6]!(v4);
    const writer = new RowWriter(v4, new Interner(v4));
    writer.insertMany(stored, (_r, e) => {
      throw e;
    });
    writer.free();
    v4.run('DROP TABLE error_rollups');
    v4.run('DROP TABLE sessions');
    setMeta(v4, 'journal_seq', '3');
    expect(getMeta(v4, 'schema_version')).toBe('4');
    fs.mkdirSync(journalDir(dataDir), { recursive: true });
    fs.writeFileSync(path.join(dataDir, SNAPSHOT_FILE), v4.export());
    fs.writeFileSync(segmentPath(dataDir, 4), journaled.map((r) => `${JSON.stringify(r)}\n`).join(''));
    // The reference: the single database with the journal applied, as the old store would have it.
    const ref = new SQL.Database(v4.export());
    migrate(ref);
    const refWriter = new RowWriter(ref, new Interner(ref));
    refWriter.insertMany(journaled, () => undefined);
    const months = new Set([...stored, ...journaled].map((r) => monthOf(r.startedAt)));
    expect(months.size).toBe(9);

    let kills = 0;
    for (const ms of [300, 700, 1100, 1500, 1900, 2400, 3000, 4000]) if (await runMigrateChild(dataDir, ms)) kills++;
    expect(kills).toBeGreaterThan(0);

    const { log, lines } = memoryLog();
    const store = await openStore({ dataDir, retentionDays: 36_500, log });
    try {
      const seen = await storedIdCounts(store);
      const all = [...stored, ...journaled];
      expect(all.filter((r) => seen.get(r.id) !== 1).map((r) => r.id)).toEqual([]);
      expect(seen.size).toBe(all.length);
      expect((await store.stats()).requests).toBe(all.length);
      // a v4 file has no git_branch / is_sidechain: unknown for its rows; the journal's lines keep theirs
      const inV4 = (r: RequestRecord): RequestRecord => ({ ...r, gitBranch: null, isSidechain: null });
      for (const r of [inV4(stored[0]!), inV4(stored[4321]!), journaled[299]!]) expect(await store.getRequest(r.id)).toEqual(r);
      for (const range of ['all', '30d', 'month', 'today'] as const) {
        const q = { range, tz: 'America/New_York', now };
        expect(await store.summary(q)).toEqual(buildSummary(ref, q));
      }
      const folded = [...months].filter((m) => Date.parse(`${m}-01T00:00:00Z`) < foldLimit(Date.now()));
      expect(listPartitionFiles(dataDir)).toEqual(folded.sort()); // the current month stays in cco.sqlite
      expect(lines.filter((l) => l.level === 'error')).toEqual([]);
    } finally {
      await store.close();
    }
    const main = new SQL.Database(fs.readFileSync(path.join(dataDir, SNAPSHOT_FILE)));
    const oldest = Number(main.exec('SELECT MIN(started_at) FROM requests')[0]?.values[0]?.[0]);
    expect(oldest).toBeGreaterThanOrEqual(foldLimit(Date.now())); // only this month (and the fold grace) left
  }, 180_000);
});

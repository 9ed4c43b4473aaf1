/**
 * Migration 8 → 9 (session_rollups keyed by ids into `strings`) of a partitioned store written at schema 8 —
 * cco.sqlite and sealed month files — with journal lines not yet in it, killed with SIGKILL at random points of
 * the start that migrates it: the next start finishes it, and no cell is lost or doubled.
 */
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadSqlJs } from './db.ts';
import { openStore } from './index.ts';
import { Interner } from './interner.ts';
import { getMeta, migrate, sessionRollupsByIds } from './migrations.ts';
import { RowWriter } from './rows.ts';
import { listSegments, segmentPath } from './segments.ts';
import { buildSummary } from './summary.ts';
import { makeRecord, memoryLog, runMigrateChild, SESSION_CELLS, storeBackToSchema8, tempDir } from './test-fixtures.ts';

describe('migration 8 → 9 (session_rollups by ids)', () => {
  it('is finished by the next start after kill -9 at any point, losing and doubling nothing', async () => {
    const SQL = await loadSqlJs();
    const dataDir = tempDir('cco-v8-');
    const now = Date.now();
    // 5 past months and the current one; 40 sessions, some rows without one.
    const start = Date.UTC(new Date(now).getUTCFullYear(), new Date(now).getUTCMonth() - 5, 1);
    const at = (i: number): number => start + Math.floor(((i * 0.6180339887) % 1) * (now - start));
    const session = (i: number): string | null => (i % 17 === 0 ? null : `5e0c1b1e-0000-4000-8000-${String(i % 40).padStart(12, '0')}`);
    const stored = Array.from({ length: 4000 }, (_, i) =>
      makeRecord({ startedAt: at(i), costNanoUsd: 1000 + i, sessionId: session(i), project: `/home/u/p${i % 5}`, cacheHit: i % 23 === 0 }));
    const journaled = Array.from({ length: 300 }, (_, i) => makeRecord({ startedAt: at(i * 31 + 5), costNanoUsd: 7, sessionId: session(i * 3) }));

    // Written by the store (month files sealed by its snapshots), then taken back to schema 8.
    const first = await openStore({ dataDir, retentionDays: 36_500, log: () => undefined });
    await first.addBulk(stored);
    await first.close();
    const files = storeBackToSchema8(SQL, dataDir);
    expect(files.length).toBeGreaterThan(3);
    const main = new SQL.Database(fs.readFileSync(files[0]!));
    const seq = Number(getMeta(main, 'journal_seq'));
    const textCells = main.exec(`SELECT COUNT(*) FROM session_rollups`)[0]?.values[0]?.[0];
    main.close();
    expect(Number(textCells)).toBeGreaterThan(1000);
    for (const s of listSegments(dataDir)) fs.rmSync(segmentPath(dataDir, s));
    fs.writeFileSync(segmentPath(dataDir, seq + 1), journaled.map((r) => `${JSON.stringify(r)}\n`).join(''));

    // The reference: every record in one database of the current schema.
    const ref = new SQL.Database();
    migrate(ref);
    const refWriter = new RowWriter(ref, new Interner(ref));
    refWriter.insertMany([...stored, ...journaled], (_r, e) => {
      throw e;
    });
    refWriter.free();

    let kills = 0;
    for (const ms of [300, 700, 1100, 1500, 1900, 2400, 3000]) if (await runMigrateChild(dataDir, ms)) kills++;
    expect(kills).toBeGreaterThan(0);

    const { log, lines } = memoryLog();
    const store = await openStore({ dataDir, retentionDays: 36_500, log });
    try {
      expect((await store.stats()).requests).toBe(stored.length + journaled.length);
      const sessions = [session(1)!, session(2)!, '(none)'];
      for (const range of ['all', '30d', 'month', 'today'] as const) {
        for (const q of [{ range, tz: 'America/New_York', now }, ...sessions.map((s) => ({ range, tz: 'UTC', now, session: s }))]) {
          expect(await store.summary(q)).toEqual(buildSummary(ref, q));
        }
      }
      expect(lines.filter((l) => l.level === 'error')).toEqual([]);
    } finally {
      await store.close();
    }
    const migrated = new SQL.Database(fs.readFileSync(files[0]!));
    expect(getMeta(migrated, 'schema_version')).toBe(getMeta(ref, 'schema_version'));
    expect(sessionRollupsByIds(migrated)).toBe(true);
    const all = `SELECT * FROM ${SESSION_CELLS} ORDER BY 1, 2, 3, 4`;
    expect(migrated.exec(all)[0]?.values).toEqual(ref.exec(all)[0]?.values);
    migrated.close();
    ref.close();
  }, 180_000);
});

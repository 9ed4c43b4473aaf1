import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { SqlJsStatic } from 'sql.js';
import { loadSqlJs, openDatabase } from './db.ts';
import { openStore } from './index.ts';
import type { RequestRecord } from '../../shared/contract.ts';
import { getMeta, migrate, MIGRATIONS, SCHEMA_VERSION, sessionRollupsByIds, tableColumns, type Migration } from './migrations.ts';
import { Interner } from './interner.ts';
import { listRequests } from './queries.ts';
import { RowWriter } from './rows.ts';
import { buildSummary } from './summary.ts';
import { makeRecord, SESSION_CELLS, tempDir } from './test-fixtures.ts';

const tables = (db: { exec: (s: string) => { values: unknown[][] }[] }): unknown[] =>
  (db.exec("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")[0]?.values ?? []).map((r) => r[0]);

describe('migrations', () => {
  let SQL: SqlJsStatic;
  beforeAll(async () => {
    SQL = await loadSqlJs();
  });

  it('4 → 5: lookups by upstream request id seek the partial index', () => {
    const db = new SQL.Database();
    migrate(db, MIGRATIONS, 4);
    migrate(db);
    const plan = JSON.stringify(db.exec('EXPLAIN QUERY PLAN SELECT * FROM requests WHERE upstream_request_id IN (?, ?)', ['a', 'b']));
    expect(plan).toContain('requests_upstream');
    db.close();
  });

  it('migrates an empty (version 0) database to the latest schema', () => {
    const db = new SQL.Database();
    expect(migrate(db)).toEqual({ from: 0, to: SCHEMA_VERSION });
    expect(getMeta(db, 'schema_version')).toBe(String(SCHEMA_VERSION));
    expect(tables(db)).toEqual(['error_rollups', 'meta', 'partitions', 'reprice_log', 'requests', 'rollups', 'session_rollups', 'sessions', 'strings']);
    expect(migrate(db)).toEqual({ from: SCHEMA_VERSION, to: SCHEMA_VERSION }); // idempotent
    db.close();
  });

  it('applies only the missing steps, in order', () => {
    const db = new SQL.Database();
    const order: number[] = [];
    const steps: Migration[] = [0, 1, 2].map((i) => (d) => {
      order.push(i);
      d.run(`CREATE TABLE t${i} (x)`);
    });
    expect(migrate(db, steps, 1)).toEqual({ from: 0, to: 1 });
    expect(migrate(db, steps)).toEqual({ from: 1, to: 3 });
    expect(order).toEqual([0, 1, 2]);
    db.close();
  });

  it('rolls a failed step back and keeps the previous version', () => {
    const db = new SQL.Database();
    const steps: Migration[] = [
      (d) => d.run('CREATE TABLE ok (x)'),
      (d) => {
        d.run('CREATE TABLE half (x)');
        d.run('THIS IS NOT SQL');
      },
    ];
    expect(() => migrate(db, steps)).toThrow(/migration 1 → 2 failed/);
    expect(getMeta(db, 'schema_version')).toBe('1');
    expect(tables(db)).toEqual(['meta', 'ok']);
    db.close();
  });

  it('refuses a database from a newer schema', () => {
    const db = new SQL.Database();
    migrate(db);
    db.run("UPDATE meta SET value = '999' WHERE key = 'schema_version'");
    expect(() => migrate(db)).toThrow(/newer than this CCO supports/);
    db.close();
  });

  it('1 → 2 backfills session_rollups from the stored requests exactly as inserts maintain them', () => {
    const db = new SQL.Database();
    migrate(db, MIGRATIONS, 8); // TEXT keys until 8 → 9
    const writer = new RowWriter(db, new Interner(db));
    const t = Date.UTC(2026, 4, 1, 7, 10);
    const records = [
      makeRecord({ startedAt: t, sessionId: 's1', model: 'm1', costNanoUsd: 10 }),
      makeRecord({ startedAt: t + 60_000, sessionId: 's1', model: 'm1', costNanoUsd: null }),
      makeRecord({ startedAt: t + 120_000, sessionId: 's1', model: null, modelRequested: 'm-req', costNanoUsd: 3 }),
      makeRecord({ startedAt: t + 3_600_000, sessionId: null, project: null, costNanoUsd: 5, billable: false }),
      makeRecord({ startedAt: t + 7_200_000, sessionId: 's2', costNanoUsd: null, billable: false }),
    ];
    writer.insertMany(records, (_r, e) => {
      throw e;
    });
    writer.free();
    const cells = (): unknown[][] => db.exec('SELECT * FROM session_rollups ORDER BY 1, 2, 3, 4')[0]?.values ?? [];
    const maintained = cells();
    expect(maintained).toHaveLength(4);
    const h7 = Date.UTC(2026, 4, 1, 7);
    expect(maintained.slice(0, 2)).toEqual([
      [h7, 's1', 'm-req', '/home/u/proj', 1, 3, 0, 100, 10, 20, 30, 40, 50, 0, 0],
      [h7, 's1', 'm1', '/home/u/proj', 2, 10, 1, 200, 20, 40, 60, 80, 100, 0, 0],
    ]);
    expect(maintained[2]?.slice(0, 7)).toEqual([h7 + 3_600_000, '', 'claude-sonnet-4-5', '', 1, 5, 0]);
    db.run('DROP TABLE session_rollups');
    db.run("UPDATE meta SET value = '1' WHERE key = 'schema_version'");
    expect(migrate(db)).toEqual({ from: 1, to: SCHEMA_VERSION });
    expect(db.exec(`SELECT * FROM ${SESSION_CELLS} ORDER BY 1, 2, 3, 4`)[0]?.values).toEqual(maintained);
    db.close();
  });

  it('6 → 7 backfills error_rollups and sessions from the stored requests exactly as inserts maintain them', () => {
    const db = new SQL.Database();
    migrate(db, MIGRATIONS, 8); // 6 → 7 reads session_rollups with the TEXT keys of its time
    const writer = new RowWriter(db, new Interner(db));
    const t = Date.UTC(2026, 4, 1, 7, 10);
    writer.insertMany(
      [
        makeRecord({ startedAt: t, sessionId: 's1', project: '/a', status: 429, state: 'complete' }),
        makeRecord({ startedAt: t + 60_000, sessionId: 's1', project: null, status: 529, state: 'error_event' }),
        makeRecord({ startedAt: t + 120_000, sessionId: 's1', project: '/b', status: 200, state: 'complete' }),
        makeRecord({ startedAt: t + 3_600_000, sessionId: null, status: null, state: 'upstream_error' }),
        makeRecord({ startedAt: t + 3_700_000, sessionId: 's2', project: null, status: 429, state: 'complete' }),
        makeRecord({ startedAt: t + 3_800_000, sessionId: 's2', status: 200, state: 'client_aborted' }),
      ],
      (_r, e) => {
        throw e;
      },
    );
    writer.free();
    const read = (sql: string): unknown[][] => db.exec(sql)[0]?.values ?? [];
    const errors = read('SELECT * FROM error_rollups ORDER BY 1, 2, 3');
    const sessions = read('SELECT * FROM sessions ORDER BY 1');
    const h7 = Date.UTC(2026, 4, 1, 7);
    expect(errors).toEqual([
      [h7, 's1', '429', 1],
      [h7, 's1', '529', 1],
      [h7 + 3_600_000, '', 'upstream_error', 1],
      [h7 + 3_600_000, 's2', '429', 1],
    ]);
    expect(sessions).toEqual([
      ['s1', t, t + 120_000 + 1500, '/b'],
      ['s2', t + 3_700_000, t + 3_800_000 + 1500, '/home/u/proj'],
    ]);
    db.run('DROP TABLE error_rollups');
    db.run('DROP TABLE sessions');
    db.run("UPDATE meta SET value = '6' WHERE key = 'schema_version'");
    expect(migrate(db)).toEqual({ from: 6, to: SCHEMA_VERSION });
    expect(read('SELECT * FROM error_rollups ORDER BY 1, 2, 3')).toEqual(errors);
    expect(read('SELECT * FROM sessions ORDER BY 1')).toEqual(sessions);
    db.close();
  });

  it('7 → 8 counts the response-cache hits a schema-7 store holds into its rollups, as inserts now maintain them', () => {
    const t = Date.UTC(2026, 4, 1, 7, 10);
    const hit = (over: Partial<RequestRecord>) => makeRecord({ cacheHit: true, billable: false, costNanoUsd: 0, ...over });
    const records = [
      makeRecord({ startedAt: t, sessionId: 's1', model: 'm1', cacheSavingsNanoUsd: 5 }),
      hit({ startedAt: t + 1, sessionId: 's1', model: 'm1', cacheSavingsNanoUsd: 700 }),
      hit({ startedAt: t + 2, sessionId: 's1', model: 'm1', cacheSavingsNanoUsd: 300 }),
      hit({ startedAt: t + 3, sessionId: 's2', model: 'm1', cacheSavingsNanoUsd: 50 }),
      hit({ startedAt: t + 3_600_000, sessionId: null, model: null, modelRequested: 'm2', project: null, cacheSavingsNanoUsd: 9 }),
      makeRecord({ startedAt: t + 3_600_001, sessionId: 's2', model: 'm2' }),
    ];
    // Written by schema 7 (no hit counters, no git_branch / is_sidechain): the writer writes the columns it finds.
    const old = new SQL.Database();
    migrate(old, MIGRATIONS, 7);
    expect(tableColumns(old, 'rollups')).not.toContain('cache_hits');
    const oldWriter = new RowWriter(old, new Interner(old));
    oldWriter.insertMany(records, (_r, e) => {
      throw e;
    });
    oldWriter.free();
    expect(migrate(old)).toEqual({ from: 7, to: SCHEMA_VERSION });
    // The same records inserted at schema 8.
    const now = new SQL.Database();
    migrate(now);
    const writer = new RowWriter(now, new Interner(now));
    writer.insertMany(records, (_r, e) => {
      throw e;
    });
    writer.free();
    const read = (db: typeof old, sql: string): unknown[][] => db.exec(sql)[0]?.values ?? [];
    for (const table of ['rollups', SESSION_CELLS]) {
      const sql = `SELECT * FROM ${table} ORDER BY 1, 2, 3, 4`;
      expect(read(old, sql), table).toEqual(read(now, sql));
    }
    const h7 = Date.UTC(2026, 4, 1, 7);
    expect(read(old, `SELECT hour_start_ms, session, model, cache_hits, cache_hit_savings_nano_usd, cache_savings_nano_usd FROM ${SESSION_CELLS} ORDER BY 1, 2, 3`)).toEqual([
      [h7, 's1', 'm1', 2, 1000, 1005],
      [h7, 's2', 'm1', 1, 50, 50],
      [h7 + 3_600_000, '', 'm2', 1, 9, 9],
      [h7 + 3_600_000, 's2', 'm2', 0, 0, 100],
    ]);
    // every summary carries the hits apart: whole range, one session, the groups
    const q = { range: 'custom' as const, from: h7, to: h7 + 2 * 3_600_000, tz: 'UTC' };
    const all = buildSummary(old, q);
    expect([all.totals.responseCacheHits, all.totals.responseCacheSavedNanoUsd]).toEqual([4, 1059]);
    expect(all.byModel.map((g) => [g.key, g.responseCacheHits])).toEqual([['m1', 3], ['m2', 1]]);
    const s1 = buildSummary(old, { ...q, session: 's1' });
    expect([s1.totals.requests, s1.totals.responseCacheHits, s1.totals.responseCacheSavedNanoUsd]).toEqual([3, 2, 1000]);
    expect(buildSummary(old, { ...q, session: '(none)' }).totals.responseCacheHits).toBe(1);
    expect(Object.fromEntries(all.bySession!.map((g) => [g.key, g.responseCacheHits]))).toEqual({ s1: 2, s2: 1, '(none)': 1 });
    // the new request columns exist, unknown for the old rows
    expect(listRequests(old, new Interner(old), {}).items.map((r) => [r.gitBranch, r.isSidechain])).toEqual(records.map(() => [null, null]));
    old.close();
    now.close();
  });

  it('8 → 9 keys session_rollups by ids into strings: the same cells, summaries and later writes, its space given back', () => {
    const t = Date.UTC(2026, 4, 1, 7, 10);
    // Sessions first seen in the reverse of their text order, a non-ASCII one, unknown session / model / project
    // (the '' keys), a response-cache hit; then 1,200 cells of one request each over 50 days, with keys as long as
    // Claude Code's (a UUID session, a project path).
    const records = [
      makeRecord({ startedAt: t, sessionId: 's-z', model: 'm2', costNanoUsd: 40 }),
      makeRecord({ startedAt: t + 1, sessionId: 's-é', model: 'm1', project: '/p2', costNanoUsd: 40 }),
      makeRecord({ startedAt: t + 2, sessionId: 's-a', model: 'm1', costNanoUsd: 40, cacheHit: true, cacheSavingsNanoUsd: 9 }),
      makeRecord({ startedAt: t + 3, sessionId: null, model: null, modelRequested: null, project: null, costNanoUsd: null }),
      makeRecord({ startedAt: t + 3_600_000, sessionId: 's-z', model: 'm1', costNanoUsd: 7 }),
      ...Array.from({ length: 1200 }, (_, i) =>
        makeRecord({
          startedAt: t - (i + 1) * 3_600_000,
          sessionId: `0b6f3c1e-6a1d-4b7e-9c3a-${String((i * 7919) % 300).padStart(12, '0')}`,
          project: `/home/someone/src/github.com/acme/project-${i % 9}`,
          costNanoUsd: i,
        })),
    ];
    const write = (db: InstanceType<SqlJsStatic['Database']>): void => {
      const w = new RowWriter(db, new Interner(db));
      w.insertMany(records, (_r, e) => {
        throw e;
      });
      w.free();
    };
    const read = (db: InstanceType<SqlJsStatic['Database']>, sql: string): unknown[][] => db.exec(sql)[0]?.values ?? [];
    // A store written at schema 8 (the writer writes the TEXT keys it finds); its detail already folded into
    // month files, as at 1 M rows where session_rollups was most of cco.sqlite.
    const old = new SQL.Database();
    migrate(old, MIGRATIONS, 8);
    write(old);
    expect(sessionRollupsByIds(old)).toBe(false);
    const cells = read(old, 'SELECT * FROM session_rollups ORDER BY 1, 2, 3, 4');
    expect(cells.length).toBeGreaterThan(1200);
    expect(read(old, "SELECT COUNT(*) FROM strings WHERE value = ''")).toEqual([[0]]);
    old.run('DELETE FROM requests');
    old.run('VACUUM');
    const pagesBefore = Number(read(old, 'PRAGMA page_count')[0]![0]);
    const dataDir = tempDir();
    fs.writeFileSync(path.join(dataDir, 'cco.sqlite'), old.export());
    old.close();

    const messages: string[] = [];
    const { db, schemaFrom, schemaTo } = openDatabase(SQL, dataDir, (_l, m) => messages.push(m));
    expect([schemaFrom, schemaTo]).toEqual([8, SCHEMA_VERSION]);
    expect(sessionRollupsByIds(db)).toBe(true);
    expect(read(db, `SELECT * FROM ${SESSION_CELLS} ORDER BY 1, 2, 3, 4`)).toEqual(cells);
    expect(read(db, "SELECT name FROM sqlite_master WHERE tbl_name = 'session_rollups' ORDER BY 1")).toEqual([
      ['session_rollups'], ['session_rollups_session'],
    ]);
    expect(read(db, "SELECT name FROM pragma_index_info('session_rollups_session')")).toEqual([['session'], ['hour_start_ms']]);
    // the old table's pages are given back (VACUUM), and the new one is a fraction of it
    expect(messages).toContain('store: cco.sqlite compacted after the migration');
    expect(read(db, 'PRAGMA freelist_count')).toEqual([[0]]);
    expect(Number(read(db, 'PRAGMA page_count')[0]![0])).toBeLessThan(pagesBefore * 0.6);

    // Summaries and later writes: the same as a store written at schema 9 throughout.
    const ref = new SQL.Database();
    migrate(ref);
    write(ref);
    const later = [
      makeRecord({ startedAt: t + 5, sessionId: 's-a', model: 'm1', costNanoUsd: 1 }), // an existing cell
      makeRecord({ startedAt: t + 6, sessionId: 's-new', model: 'm3', project: '/p3', costNanoUsd: 2 }),
    ];
    for (const target of [db, ref]) {
      const w = new RowWriter(target, new Interner(target));
      w.insertMany(later, (_r, e) => {
        throw e;
      });
      w.free();
    }
    const all = `SELECT * FROM ${SESSION_CELLS} ORDER BY 1, 2, 3, 4`;
    expect(read(db, all)).toEqual(read(ref, all));
    expect(read(db, all)).toHaveLength(cells.length + 1);
    const h7 = Date.UTC(2026, 4, 1, 7);
    const now = h7 + 2 * 3_600_000;
    for (const q of [
      { range: 'custom' as const, from: h7, to: now, tz: 'UTC' },
      { range: 'all' as const, tz: 'Asia/Kolkata', now },
      { range: '30d' as const, tz: 'America/New_York', now },
      ...['s-a', 's-z', 's-é', '(none)', '0b6f3c1e-6a1d-4b7e-9c3a-000000000017', 'unknown'].map((session) => ({ range: 'all' as const, tz: 'UTC', now, session })),
    ]) {
      expect(buildSummary(db, q)).toEqual(buildSummary(ref, q));
      expect(JSON.stringify(buildSummary(db, q))).toBe(JSON.stringify(buildSummary(ref, q))); // key order too
    }
    const first = buildSummary(db, { range: 'custom', from: h7, to: now, tz: 'UTC' });
    expect(first.bySession?.map((g) => [g.key, g.costNanoUsd])).toEqual([['s-a', 41], ['s-z', 47], ['s-new', 2], ['s-é', 40], ['(none)', 0]].sort((a, b) => Number(b[1]) - Number(a[1])));
    db.close();
    ref.close();
  });

  it('3 → 4 drops the sort indexes of 2 → 3; time pages still seek requests_started, other sorts scan', () => {
    const db = new SQL.Database();
    migrate(db, MIGRATIONS, 3);
    const indexNames = () => (db.exec("SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE 'requests_%'")[0]?.values ?? []).flat();
    expect(indexNames()).toEqual(expect.arrayContaining(['requests_cost', 'requests_tokens', 'requests_duration']));
    const writer = new RowWriter(db, new Interner(db));
    // No session, no failure: the tables of 6 → 7 do not exist yet at version 3.
    const records = [0, 1, 2].map((i) => makeRecord({ startedAt: Date.UTC(2026, 4, 1) + i, costNanoUsd: i === 1 ? null : i, sessionId: null }));
    writer.insertMany(records, (_r, e) => {
      throw e;
    });
    expect(migrate(db)).toEqual({ from: 3, to: SCHEMA_VERSION });
    expect(indexNames().filter((n) => /requests_(cost|tokens|duration)/.test(String(n)))).toEqual([]);
    // Capture the SQL listRequests runs (prepare is what it calls), then ask SQLite for each plan.
    const seen: string[] = [];
    const prepare = db.prepare.bind(db);
    db.prepare = (sql: string, params?: never) => (seen.push(sql), prepare(sql, params));
    const pages: Record<string, string[]> = {};
    for (const sort of ['time', 'cost', 'tokens', 'duration'] as const) {
      for (const order of ['desc', 'asc'] as const) {
        const first = listRequests(db, writer.strings, { sort, order, limit: 1 });
        const rest = listRequests(db, writer.strings, { sort, order, limit: 5, cursor: first.nextCursor! });
        pages[`${sort} ${order}`] = [...first.items, ...rest.items].map((r) => r.id);
      }
    }
    db.prepare = prepare;
    // Every sort still pages through all three rows exactly once.
    for (const ids of Object.values(pages)) expect([...ids].sort()).toEqual(records.map((r) => r.id).sort());
    const timePlans = seen.filter((sql) => sql.includes('ORDER BY started_at'));
    expect(timePlans.length).toBeGreaterThanOrEqual(4);
    for (const sql of timePlans) {
      const plan = (db.exec(`EXPLAIN QUERY PLAN ${sql}`, sql.split('?').slice(1).map(() => 0))[0]?.values ?? []).map((r) => String(r[3]));
      expect(plan.join('; '), sql).toMatch(/USING INDEX requests_started/);
      expect(plan.join('; '), sql).not.toMatch(/TEMP B-TREE/);
    }
    writer.free();
    db.close();
  });

  it('opens a version-0 snapshot file from disk and upgrades it in place', async () => {
    const dataDir = tempDir();
    const old = new SQL.Database();
    old.run('CREATE TABLE unrelated (x)'); // a database with no meta table at all
    fs.writeFileSync(path.join(dataDir, 'cco.sqlite'), old.export());
    old.close();
    const messages: string[] = [];
    const store = await openStore({ dataDir, retentionDays: 36_500, log: (_l, m) => messages.push(m) });
    const r = makeRecord({ startedAt: Date.now() }); // this month: stays in cco.sqlite
    store.add(r);
    await store.close();
    expect(messages).toContain(`store: schema migrated 0 → ${MIGRATIONS.length}`);
    const db = new SQL.Database(fs.readFileSync(path.join(dataDir, 'cco.sqlite')));
    expect(getMeta(db, 'schema_version')).toBe(String(SCHEMA_VERSION));
    expect(db.exec('SELECT id FROM requests')[0]?.values).toEqual([[r.id]]);
    expect(tables(db)).toContain('unrelated');
    db.close();
  });
});

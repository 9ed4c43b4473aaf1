import { beforeAll, describe, expect, it } from 'vitest';
import type { Database } from 'sql.js';
import { loadSqlJs } from './db.ts';
import { migrate } from './migrations.ts';
import { Interner } from './interner.ts';
import { getRequest } from './queries.ts';
import { HOUR_MS, isRequestRecord, recordDelta, RowWriter, rollupKey } from './rows.ts';
import { makeRecord, SESSION_CELLS } from './test-fixtures.ts';

describe('rows', () => {
  let db: Database;
  let writer: RowWriter;
  beforeAll(async () => {
    const SQL = await loadSqlJs();
    db = new SQL.Database();
    migrate(db);
    writer = new RowWriter(db, new Interner(db));
  });

  it('round-trips every field, including nulls, booleans and large integers', () => {
    const r = makeRecord({
      status: null, ttfbMs: null, costNanoUsd: 9_007_199_254_740_991, startedAt: 1_900_000_000_000,
      stream: false, cacheHit: false, billable: false, agentId: 'agent-1', parentAgentId: 'agent-0', source: 'history',
    });
    expect(writer.insertMany([r], () => undefined)).toBe(1);
    expect(getRequest(db, writer.strings, r.id)).toEqual(r);
  });

  it('inserts each id once and counts it once in the rollups', () => {
    const r = makeRecord({ startedAt: Date.UTC(2026, 4, 1, 7, 59), costNanoUsd: 5 });
    const errors: string[] = [];
    expect(writer.insertMany([r, r], (_r, e) => errors.push(e.message))).toBe(1);
    expect(writer.insertMany([r], () => undefined)).toBe(0);
    const cell = db.exec('SELECT requests, cost_nano_usd FROM rollups WHERE hour_start_ms = ?', [Date.UTC(2026, 4, 1, 7)]);
    expect(cell[0]?.values).toEqual([[1, 5]]);
    expect(errors).toEqual([]);
  });

  it('computes rollup keys and deltas', () => {
    const t = Date.UTC(2026, 0, 1, 13, 45);
    expect(rollupKey({ startedAt: t, model: null, modelRequested: 'm-req', project: null })).toEqual([t - 45 * 60_000, 'm-req', '']);
    expect(rollupKey({ startedAt: t, model: 'm', modelRequested: 'x', project: '/p' })[0] % HOUR_MS).toBe(0);
    expect(recordDelta(makeRecord({ costNanoUsd: null, billable: true })).unpriced).toBe(1);
    expect(recordDelta(makeRecord({ costNanoUsd: null, billable: false })).unpriced).toBe(0);
  });

  it('stores repeated strings once and restores them after a rolled-back batch', () => {
    const before = writer.strings.size;
    const a = makeRecord({ project: '/a/new/project', sessionId: 'sess-new' });
    const b = makeRecord({ project: '/a/new/project', sessionId: 'sess-new' });
    writer.insertMany([a, b], () => undefined);
    expect(writer.strings.size).toBe(before + 2);
    expect(db.exec("SELECT COUNT(*) FROM strings WHERE value = '/a/new/project'")[0]?.values).toEqual([[1]]);
    // After a rolled-back transaction, reload() drops entries the rollback removed from the table.
    db.run('BEGIN');
    const phantom = writer.strings.intern('/phantom');
    expect(writer.strings.text(phantom)).toBe('/phantom');
    db.run('ROLLBACK');
    writer.strings.reload();
    expect(writer.strings.lookup('/phantom')).toBe(-1);
    expect(new Interner(db).text(writer.strings.lookup('/a/new/project'))).toBe('/a/new/project');
  });

  it('merges a batch into one rollup cell per (hour, model, project, session) with the same totals', () => {
    const hour = Date.UTC(2026, 5, 2, 9);
    const batch = [
      makeRecord({ startedAt: hour + 1_000, model: 'm-batch', project: '/p1', sessionId: 's1', costNanoUsd: 10 }),
      makeRecord({ startedAt: hour + 2_000, model: 'm-batch', project: '/p1', sessionId: 's1', costNanoUsd: 20 }),
      makeRecord({ startedAt: hour + 3_000, model: 'm-batch', project: '/p1', sessionId: 's2', costNanoUsd: null, billable: true }),
      makeRecord({ startedAt: hour + HOUR_MS, model: 'm-batch', project: '/p1', sessionId: 's1', costNanoUsd: 5 }),
    ];
    expect(writer.insertMany(batch, () => undefined)).toBe(4);
    const rollups = db.exec("SELECT hour_start_ms, requests, cost_nano_usd, unpriced_requests, output_tokens FROM rollups WHERE model = 'm-batch' ORDER BY hour_start_ms")[0]?.values;
    const out = (rs: typeof batch) => rs.reduce((n, r) => n + r.tokens.output, 0);
    expect(rollups).toEqual([
      [hour, 3, 30, 1, out(batch.slice(0, 3))],
      [hour + HOUR_MS, 1, 5, 0, out(batch.slice(3))],
    ]);
    const sessions = db.exec(`SELECT COUNT(*), SUM(requests), SUM(cost_nano_usd) FROM ${SESSION_CELLS} WHERE model = 'm-batch'`)[0]?.values;
    expect(sessions).toEqual([[3, 4, 35]]);
  });

  it('recognises records and rejects malformed ones', () => {
    const r = makeRecord();
    expect(isRequestRecord(r)).toBe(true);
    expect(isRequestRecord({ ...r, id: '' })).toBe(false);
    expect(isRequestRecord({ ...r, tokens: { ...r.tokens, output: '5' } })).toBe(false);
    expect(isRequestRecord({ ...r, project: 42 })).toBe(false);
    expect(isRequestRecord({ ...r, startedAt: Number.NaN })).toBe(false);
    expect(isRequestRecord(null)).toBe(false);
  });
});

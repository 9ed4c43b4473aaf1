import { describe, expect, it } from 'vitest';
import type { RequestRecord } from '../../../shared/contract.ts';
import { makeRecord } from '../test-fixtures.ts';
import { compareRecords, placeRecord } from './data.ts';
import { sortValue } from '../../../shared/record-values.ts';

const rec = (id: string, over: Partial<RequestRecord>): RequestRecord => makeRecord({ id, ...over });

describe('compareRecords', () => {
  const a = rec('A', { startedAt: 3, costNanoUsd: 5, durationMs: 10 });
  const b = rec('B', { startedAt: 2, costNanoUsd: null, durationMs: 10 });
  const c = rec('C', { startedAt: 1, costNanoUsd: 1, durationMs: 30 });
  const ids = (sort: Parameters<typeof compareRecords>[0], order: Parameters<typeof compareRecords>[1]) =>
    [b, c, a].sort(compareRecords(sort, order)).map((r) => r.id);

  it('orders like the daemon: time desc by default, unpriced last in both cost orders, ties by id', () => {
    expect(ids(undefined, undefined)).toEqual(['A', 'B', 'C']);
    expect(ids('time', 'asc')).toEqual(['C', 'B', 'A']);
    expect(ids('cost', 'desc')).toEqual(['A', 'C', 'B']);
    expect(ids('cost', 'asc')).toEqual(['C', 'A', 'B']);
    expect(ids('duration', 'desc')).toEqual(['C', 'B', 'A']);
    expect(ids('duration', 'asc')).toEqual(['A', 'B', 'C']);
  });

  it('counts every token category in the tokens sort', () => {
    expect(sortValue(rec('X', { tokens: { input: 1, cacheWrite5m: 2, cacheWrite1h: 4, cacheRead: 8, output: 16 } }), 'tokens')).toBe(31);
  });
});

describe('placeRecord', () => {
  const desc = compareRecords('cost', 'desc');
  const rows = [rec('A', { costNanoUsd: 9 }), rec('B', { costNanoUsd: 5 }), rec('C', { costNanoUsd: 2 })];
  const ids = (rs: RequestRecord[]) => rs.map((r) => r.id);

  it('puts a live record where the order puts it, replacing an older copy', () => {
    expect(ids(placeRecord(rows, rec('N', { costNanoUsd: 6 }), desc, true))).toEqual(['A', 'N', 'B', 'C']);
    expect(ids(placeRecord(rows, rec('A', { costNanoUsd: 3 }), desc, true))).toEqual(['B', 'A', 'C']);
  });

  it('leaves out a record past the last loaded row while more pages exist (a later page brings it)', () => {
    expect(ids(placeRecord(rows, rec('N', { costNanoUsd: 1 }), desc, true))).toEqual(['A', 'B', 'C']);
    expect(ids(placeRecord(rows, rec('N', { costNanoUsd: 1 }), desc, false))).toEqual(['A', 'B', 'C', 'N']);
    expect(ids(placeRecord(rows, rec('N', { costNanoUsd: null }), desc, false))).toEqual(['A', 'B', 'C', 'N']);
  });
});

/**
 * Folding live records into summaries read earlier gives what the store itself answers afterwards (a real
 * store: the same rollups /api/summary reads), so the TUI needs no polling to stay exact.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Summary } from '../../shared/contract.ts';
import { openStore, type Store } from '../store/index.ts';
import { makeRecord, tempDir } from '../store/test-fixtures.ts';
import { byCost, foldRecord } from './tui-state.ts';

let store: Store;
beforeAll(async () => {
  store = await openStore({ dataDir: tempDir('cco-tui-state-'), log: () => {} });
});
afterAll(async () => {
  await store.close();
});

const sorted = (s: Summary) => ({ totals: s.totals, byModel: byCost(s.byModel), byProject: byCost(s.byProject), bySession: byCost(s.bySession ?? []), errors: s.errors });

describe('tui state folding', () => {
  it('summary before + folded records = the store summary after (today and the month, unpriced and errors included)', async () => {
    const now = Date.now();
    const old = Array.from({ length: 40 }, (_, i) => makeRecord({ startedAt: now - 40 * 86_400_000 + i * 3_600_000, model: 'claude-opus-4-1' }));
    await store.addBulk([...old, makeRecord({ startedAt: now - 3_600_000, sessionId: 'before' })]);
    const tz = 'UTC';
    const today = await store.summary({ range: 'today', tz, now });
    const month = await store.summary({ range: 'month', tz, now });
    const live = Array.from({ length: 300 }, (_, i) =>
      makeRecord({
        startedAt: now - (300 - i) * 1000, // in order, as a live feed brings them
        model: i % 7 === 0 ? null : ['claude-sonnet-4-5', 'claude-haiku-4-5', 'claude-opus-4-1'][i % 3]!,
        modelRequested: i % 7 === 0 ? 'claude-test-unknown' : 'x',
        project: i % 11 === 0 ? null : `/home/u/${i % 3}/app`,
        sessionId: i % 13 === 0 ? null : `s-${i % 4}`,
        costNanoUsd: i % 9 === 0 ? null : 1000 + i,
        billable: i % 17 !== 0,
        status: i % 17 === 0 ? 529 : i % 19 === 0 ? 429 : 200,
        state: i % 23 === 0 ? 'upstream_error' : 'complete',
        tokens: { input: i, cacheWrite5m: 2 * i, cacheWrite1h: i % 3, cacheRead: 5 * i, output: i % 50 },
        cacheSavingsNanoUsd: i,
      }),
    );
    for (const r of live) for (const s of [today, month]) foldRecord(s, r);
    await store.addBulk(live);
    expect(sorted(today)).toEqual(sorted(await store.summary({ range: 'today', tz, now })));
    expect(sorted(month)).toEqual(sorted(await store.summary({ range: 'month', tz, now })));
    // A record before the summary's range is not folded into it.
    expect(foldRecord(today, makeRecord({ startedAt: now - 3 * 86_400_000 }))).toBe(false);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RequestQuery, RequestRecord } from '../api/contract.ts';
import { openStore, type Store } from './index.ts';
import { clampLimit, decodeCursor, encodeCursor } from './queries.ts';
import { makeRecord, tempDir } from './test-fixtures.ts';

const BASE = Date.UTC(2026, 2, 1);

describe('listRequests', () => {
  let store: Store;
  const records: RequestRecord[] = [];

  beforeAll(async () => {
    store = await openStore({ dataDir: tempDir(), retentionDays: 36_500, log: () => undefined });
    for (let i = 0; i < 230; i++) {
      // Groups of three share a start time, so ordering must break ties by id.
      const r = makeRecord({
        startedAt: BASE + Math.floor(i / 3) * 60_000,
        model: i % 2 ? 'claude-opus-4-1' : 'claude-haiku-4-5',
        project: i % 5 === 0 ? null : '/p',
        sessionId: `s${i % 7}`,
        state: i % 10 === 0 ? 'client_aborted' : 'complete',
      });
      records.push(r);
      store.add(r);
    }
    await store.flush();
  });
  afterAll(() => store.close());

  async function collect(q: RequestQuery, between?: () => Promise<void>): Promise<RequestRecord[]> {
    const out: RequestRecord[] = [];
    let cursor: string | null = null;
    do {
      const page = await store.listRequests({ ...q, ...(cursor ? { cursor } : {}) });
      expect(page.items.length).toBeLessThanOrEqual(q.limit ?? 50);
      out.push(...page.items);
      cursor = page.nextCursor;
      if (between) await between();
    } while (cursor);
    return out;
  }

  const newestFirst = (rs: RequestRecord[]): string[] =>
    [...rs].sort((a, b) => b.startedAt - a.startedAt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0)).map((r) => r.id);

  it('pages through everything newest first, complete and stable while newer records arrive', async () => {
    let t = BASE + 10 * 86_400_000;
    const seen = await collect({ limit: 50 }, async () => {
      store.add(makeRecord({ startedAt: (t += 1000) }));
      await store.flush();
    });
    expect(seen.map((r) => r.id)).toEqual(newestFirst(records));
    expect(new Set(seen.map((r) => r.id)).size).toBe(230);
  });

  it('filters by model, project (including "(none)"), session, state and time', async () => {
    const byModel = await collect({ model: 'claude-opus-4-1', to: BASE + 86_400_000, limit: 40 });
    expect(byModel.map((r) => r.id)).toEqual(newestFirst(records.filter((r) => r.model === 'claude-opus-4-1')));
    const none = await collect({ project: '(none)', to: BASE + 86_400_000 });
    expect(none.map((r) => r.id)).toEqual(newestFirst(records.filter((r) => r.project === null)));
    const sess = await collect({ session: 's3', state: 'complete', to: BASE + 86_400_000 });
    expect(sess.map((r) => r.id)).toEqual(newestFirst(records.filter((r) => r.sessionId === 's3' && r.state === 'complete')));
    const window = await collect({ from: BASE + 10 * 60_000, to: BASE + 20 * 60_000 });
    expect(window.map((r) => r.id)).toEqual(newestFirst(records.filter((r) => r.startedAt >= BASE + 600_000 && r.startedAt < BASE + 1_200_000)));
    expect(window.length).toBe(30);
  });

  it('clamps limits and rejects a bad cursor', async () => {
    expect(clampLimit(undefined)).toBe(50);
    expect(clampLimit(10_000)).toBe(500);
    expect(clampLimit(0)).toBe(1);
    expect((await store.listRequests({})).items.length).toBe(50);
    await expect(store.listRequests({ cursor: 'not-a-cursor' })).rejects.toBeInstanceOf(RangeError);
    expect(decodeCursor(encodeCursor({ t: 123, id: 'X' }))).toEqual({ t: 123, id: 'X' });
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REQUEST_SORTS, type RequestQuery, type RequestRecord } from '../../shared/contract.ts';
import { openStore, type Store } from './index.ts';
import { clampLimit, decodeCursor, decodeListCursor, encodeCursor, encodeListCursor } from './queries.ts';
import { compareRecords } from '../../shared/record-values.ts';
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

describe('listRequests sorts (time, cost, tokens, duration × desc, asc)', () => {
  let store: Store;
  const records: RequestRecord[] = [];
  let rnd = 7;
  const next = (n: number): number => {
    rnd = (rnd * 1_103_515_245 + 12_345) % 2_147_483_648;
    return rnd % n;
  };
  /** Few distinct values, so every sort has long runs of ties that only the id can order. */
  const varied = (startedAt: number): RequestRecord =>
    makeRecord({
      startedAt,
      costNanoUsd: next(5) === 0 ? null : next(6) * 1000,
      durationMs: next(8) * 250,
      tokens: { input: next(3), cacheWrite5m: next(2) * 100, cacheWrite1h: 0, cacheRead: next(3) * 1000, output: next(4) },
      model: next(2) ? 'claude-opus-4-1' : 'claude-haiku-4-5',
    });

  beforeAll(async () => {
    store = await openStore({ dataDir: tempDir(), retentionDays: 36_500, log: () => undefined });
    for (let i = 0; i < 180; i++) {
      const r = varied(BASE + Math.floor(i / 4) * 60_000);
      records.push(r);
      store.add(r);
    }
    await store.flush();
  });
  afterAll(() => store.close());

  for (const sort of REQUEST_SORTS) {
    for (const order of ['desc', 'asc'] as const) {
      it(`${sort} ${order}: pages are complete, in order, without duplicates while new rows arrive`, async () => {
        const out: RequestRecord[] = [];
        let cursor: string | null = null;
        let t = BASE + 100 * 86_400_000;
        let pages = 0;
        do {
          const page = await store.listRequests({ sort, order, limit: 7, ...(cursor ? { cursor } : {}) });
          expect(page.items.length).toBeLessThanOrEqual(7);
          out.push(...page.items);
          cursor = page.nextCursor;
          pages++;
          // rows arriving between pages land before or after the cursor; either way nothing shifts
          const extra = varied((t += 1000));
          store.add(extra);
          await store.flush();
        } while (cursor);
        const ids = out.map((r) => r.id);
        expect(new Set(ids).size).toBe(ids.length);
        const byId = new Set(ids);
        expect(records.filter((r) => !byId.has(r.id))).toEqual([]);
        expect(ids).toEqual([...out].sort(compareRecords(sort, order)).map((r) => r.id));
        expect(pages).toBeGreaterThanOrEqual(Math.ceil(records.length / 7));
        if (sort === 'cost') {
          const firstNull = out.findIndex((r) => r.costNanoUsd === null);
          expect(firstNull).toBeGreaterThan(0);
          expect(out.slice(firstNull).every((r) => r.costNanoUsd === null)).toBe(true);
        }
      });
    }
  }

  it('sorts within filters and seeks past a page boundary that falls among the unpriced rows', async () => {
    const to = BASE + 86_400_000;
    const opus = records.filter((r) => r.model === 'claude-opus-4-1');
    for (const order of ['desc', 'asc'] as const) {
      const out: RequestRecord[] = [];
      let cursor: string | null = null;
      do {
        const page: { items: RequestRecord[]; nextCursor: string | null } = await store.listRequests({
          sort: 'cost', order, model: 'claude-opus-4-1', to, limit: 3, ...(cursor ? { cursor } : {}),
        });
        out.push(...page.items);
        cursor = page.nextCursor;
      } while (cursor);
      expect(out.map((r) => r.id)).toEqual([...opus].sort(compareRecords('cost', order)).map((r) => r.id));
    }
    // the page that ends on an unpriced row hands out a cursor with a null value
    const nulls = records.filter((r) => r.costNanoUsd === null).length;
    const priced = records.length - nulls;
    const page = await store.listRequests({ sort: 'cost', to, limit: priced + 1 });
    expect(decodeListCursor(page.nextCursor!, 'cost', 'desc').v).toBeNull();
    const rest = await store.listRequests({ sort: 'cost', to, limit: 500, cursor: page.nextCursor! });
    expect(rest.items.length).toBe(nulls - 1);
  });

  it('rejects a cursor from another sort or order, and the old (time, id) form, with a plain message', async () => {
    const page = await store.listRequests({ sort: 'cost', order: 'asc', limit: 2 });
    await expect(store.listRequests({ sort: 'tokens', order: 'asc', cursor: page.nextCursor! })).rejects.toThrow(
      /cursor belongs to sort=cost&order=asc, not sort=tokens&order=asc/,
    );
    await expect(store.listRequests({ sort: 'cost', cursor: page.nextCursor! })).rejects.toBeInstanceOf(RangeError);
    await expect(store.listRequests({ cursor: encodeCursor({ t: BASE, id: 'X' }) })).rejects.toThrow(/invalid cursor/);
    await expect(store.listRequests({ sort: 'time', cursor: encodeListCursor({ sort: 'time', order: 'desc', v: null, id: 'X' }) })).rejects.toThrow(
      /invalid cursor/,
    );
    const time = await store.listRequests({ limit: 1 });
    expect(decodeListCursor(time.nextCursor!, 'time', 'desc')).toEqual({ sort: 'time', order: 'desc', v: time.items[0]!.startedAt, id: time.items[0]!.id });
  });
});

/**
 * GET /api/requests sort/order on the real daemon (real port, real store): validation, paging over HTTP in
 * every order, and a cursor from another sort answered with a plain 400.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REQUEST_SORTS, type ApiError, type RequestPage, type RequestRecord } from '../../shared/contract.ts';
import { startDaemon, type RunningDaemon } from '../index.ts';
import { silentLogger } from '../log.ts';
import { makeRecord } from '../store/test-fixtures.ts';
import { sortValue } from '../../shared/record-values.ts';

let daemon: RunningDaemon;
const dirs: string[] = [];
const tmp = (p: string): string => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), p));
  dirs.push(d);
  return d;
};
const records: RequestRecord[] = [];

async function get(p: string): Promise<{ status: number; body: unknown }> {
  const res = await fetch(daemon.url + p, { headers: { authorization: `Bearer ${daemon.token}` } });
  return { status: res.status, body: await res.json() };
}

beforeAll(async () => {
  daemon = await startDaemon({
    port: 0,
    upstreamUrl: 'http://127.0.0.1:9',
    dataDir: tmp('cco-sort-data-'),
    configDir: tmp('cco-sort-config-'),
    log: silentLogger,
    apiKey: '',
  });
  const t = Date.UTC(2026, 5, 1);
  for (let i = 0; i < 25; i++) {
    const r = makeRecord({
      startedAt: t + i * 1000,
      costNanoUsd: i % 6 === 0 ? null : ((i * 7) % 5) * 1000,
      durationMs: ((i * 11) % 9) * 100,
      tokens: { input: i % 4, cacheWrite5m: 0, cacheWrite1h: (i * 3) % 7, cacheRead: 0, output: 10 },
    });
    records.push(r);
    daemon.store.add(r);
  }
  await daemon.store.flush();
});

afterAll(async () => {
  await daemon?.close();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

describe('GET /api/requests sort and order', () => {
  it('rejects an unknown sort or order with a 400 naming the field', async () => {
    for (const [q, field] of [
      ['sort=model', 'sort'],
      ['sort=', 'sort'],
      ['order=up', 'order'],
      ['sort=cost&order=DESC', 'order'],
    ] as const) {
      const res = await get(`/api/requests?${q}`);
      expect(res.status, q).toBe(400);
      expect((res.body as ApiError).error.message, q).toMatch(new RegExp(`^${field}: `));
    }
  });

  for (const sort of REQUEST_SORTS) {
    for (const order of ['desc', 'asc'] as const) {
      it(`pages sort=${sort}&order=${order} over HTTP: every record once, in order`, async () => {
        const out: RequestRecord[] = [];
        let cursor: string | null = null;
        do {
          const res = await get(`/api/requests?sort=${sort}&order=${order}&limit=4${cursor ? `&cursor=${cursor}` : ''}`);
          expect(res.status).toBe(200);
          const page = res.body as RequestPage;
          out.push(...page.items);
          cursor = page.nextCursor;
        } while (cursor);
        expect(out.map((r) => r.id).sort()).toEqual(records.map((r) => r.id).sort());
        const keys = out.map((r) => sortValue(r, sort));
        for (let i = 1; i < keys.length; i++) {
          const [a, b] = [keys[i - 1]!, keys[i]!];
          if (a === null) expect(b, `${sort} ${order} #${i}: unpriced rows come last`).toBeNull();
          else if (b !== null) expect(order === 'desc' ? a >= b : a <= b, `${sort} ${order} #${i}: ${a} then ${b}`).toBe(true);
        }
      });
    }
  }

  it('defaults to time desc, the order before sorting existed', async () => {
    const res = await get('/api/requests?limit=500');
    expect((res.body as RequestPage).items.map((r) => r.id)).toEqual([...records].reverse().map((r) => r.id));
  });

  it('answers a cursor from another sort or order, or a malformed one, with a plain 400', async () => {
    const page = (await get('/api/requests?sort=cost&limit=2')).body as RequestPage;
    const other = await get(`/api/requests?sort=duration&cursor=${page.nextCursor}`);
    expect(other.status).toBe(400);
    expect((other.body as ApiError).error.message).toBe(
      'cursor: cursor belongs to sort=cost&order=desc, not sort=duration&order=desc: start again without a cursor',
    );
    expect((await get(`/api/requests?sort=cost&order=asc&cursor=${page.nextCursor}`)).status).toBe(400);
    const bad = await get('/api/requests?cursor=not-a-cursor');
    expect(bad.status).toBe(400);
    expect((bad.body as ApiError).error.message).toBe('cursor: invalid cursor');
  });
});

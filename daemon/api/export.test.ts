/**
 * Exports and per-session summaries end to end: the real daemon on a real port, the fake Anthropic upstream,
 * and the official SDK as the client.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RequestPage, RequestRecord, Summary } from '../../shared/contract.ts';
import { csvObjects } from './csv-testkit.ts';
import { CSV_COLUMNS } from './csv.ts';
import { startDaemon, type RunningDaemon } from '../index.ts';
import { silentLogger } from '../log.ts';
import { startFakeUpstream, type FakeUpstream } from '../../test/fake-upstream/server.ts';

let fake: FakeUpstream;
let daemon: RunningDaemon;
const dirs: string[] = [];
const tmp = (p: string): string => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), p));
  dirs.push(d);
  return d;
};

const PROJECT = '/home/zoë/项目, "quoted" 🚀';
const UNPRICED_MODEL = 'claude-test-unpriced-model';

function client(session: string | null): Anthropic {
  return new Anthropic({
    apiKey: 'sk-ant-test',
    baseURL: daemon.url,
    maxRetries: 0,
    ...(session && { defaultHeaders: { 'x-claude-code-session-id': session } }),
  });
}

async function ask(session: string | null, model: string, stream = false): Promise<void> {
  const params = {
    model,
    max_tokens: 64,
    system: `You are terse.\nPrimary working directory: ${PROJECT}\n`,
    messages: [{ role: 'user' as const, content: `hello from ${session ?? 'nobody'} ${Math.random()}` }],
  };
  if (stream) await client(session).messages.stream(params).finalMessage();
  else await client(session).messages.create(params);
}

async function get(p: string, token: string | null = daemon.token): Promise<Response> {
  return fetch(daemon.url + p, token ? { headers: { authorization: `Bearer ${token}` } } : {});
}

async function json<T>(p: string): Promise<T> {
  const res = await get(p);
  expect(res.status, p).toBe(200);
  return (await res.json()) as T;
}

/** "D.DDDDDDDDD" → integer nano-USD (exactly). */
const usdToNano = (s: string): bigint => {
  const [whole, frac] = s.split('.');
  expect(frac, s).toHaveLength(9);
  return BigInt(whole!) * 1_000_000_000n + BigInt(frac!);
};

beforeAll(async () => {
  fake = await startFakeUpstream({ seed: 11 });
  daemon = await startDaemon({ port: 0, upstreamUrl: fake.url, dataDir: tmp('cco-export-data-'), configDir: tmp('cco-export-config-'), log: silentLogger, apiKey: '' });
  await ask('sess-A', 'claude-sonnet-4-6');
  await ask('sess-A', 'claude-sonnet-4-6', true);
  await ask('sess-A', UNPRICED_MODEL);
  await ask('sess-B', 'claude-haiku-4-5');
  await ask('sess-B', 'claude-haiku-4-5', true);
  await ask(null, 'claude-haiku-4-5');
  await daemon.store.flush();
});

afterAll(async () => {
  await daemon?.close();
  await fake?.close();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

describe('GET /api/export.csv', () => {
  it('exports every request of the range with totals equal to /api/summary, unpriced rows with an empty cost', async () => {
    const summary = await json<Summary>('/api/summary?range=today&tz=UTC');
    const res = await get('/api/export.csv?range=today&tz=UTC');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/csv; charset=utf-8/);
    const day = summary.from.slice(0, 10);
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="cco-requests-${day}-${day}.csv"`);
    const text = await res.text();
    expect(text.split('\r\n')[0]).toBe(CSV_COLUMNS.join(','));
    const rows = csvObjects(text);

    expect(rows).toHaveLength(6);
    expect(rows).toHaveLength(summary.totals.requests);
    const priced = rows.filter((r) => r.priced === 'true');
    const costSum = priced.reduce((a, r) => a + usdToNano(r.cost_usd!), 0n);
    expect(costSum).toBe(BigInt(summary.totals.costNanoUsd));
    expect(costSum).toBeGreaterThan(0n);
    const unpriced = rows.filter((r) => r.priced === 'false' && r.billable === 'true');
    expect(unpriced).toHaveLength(summary.totals.unpricedRequests);
    expect(unpriced).toHaveLength(1);
    expect(unpriced[0]).toMatchObject({ cost_usd: '', model: UNPRICED_MODEL, session_id: 'sess-A' });
    expect(unpriced[0]!.unpriced_reason).not.toBe('');
    const tokenSum = rows.reduce((a, r) => a + Number(r.cache_read_tokens) + Number(r.input_tokens) + Number(r.output_tokens), 0);
    expect(tokenSum).toBe(summary.totals.tokens.cacheRead + summary.totals.tokens.input + summary.totals.tokens.output);
    // Unicode, comma and quotes in the project survive the round trip.
    expect(new Set(rows.map((r) => r.project))).toEqual(new Set([PROJECT]));
    // Newest first, like /api/requests.
    const starts = rows.map((r) => Date.parse(r.started_at!));
    expect([...starts].sort((a, b) => b - a)).toEqual(starts);
  });

  it('applies the /api/requests filters', async () => {
    const rows = csvObjects(await (await get('/api/export.csv?session=sess-A')).text());
    expect(rows.map((r) => r.session_id)).toEqual(['sess-A', 'sess-A', 'sess-A']);
    // The model filter matches the response's model (a dated id), like /api/requests.
    const haikuId = csvObjects(await (await get('/api/export.csv?session=sess-B')).text())[0]!.model!;
    expect(haikuId).toMatch(/^claude-haiku-4-5/);
    const haiku = csvObjects(await (await get(`/api/export.csv?model=${haikuId}`)).text());
    expect(haiku).toHaveLength(3);
    expect(new Set(haiku.map((r) => r.model))).toEqual(new Set([haikuId]));
    const noSession = csvObjects(await (await get('/api/export.csv?session=sess-B&model=claude-sonnet-4-5')).text());
    expect(noSession).toEqual([]);
    const future = await get(`/api/export.csv?from=${Date.now() + 3_600_000}`);
    expect(await future.text()).toBe(CSV_COLUMNS.join(',') + '\r\n');
  });

  it('needs the token (401) and validates its query (400)', async () => {
    for (const p of ['/api/export.csv', '/api/export.json', '/api/export.json?limit=1']) {
      const res = await get(p, null);
      expect(res.status, p).toBe(401);
      expect(await res.text()).not.toContain('"id"');
    }
    expect((await get('/api/export.csv', 'wrong-token')).status).toBe(401);
    expect((await get('/api/export.csv?state=bogus')).status).toBe(400);
    expect((await get('/api/export.json?tz=Mars/Olympus')).status).toBe(400);
    expect((await get('/api/export.json?limit=0')).status).toBe(400);
  });
});

describe('GET /api/export.json', () => {
  it('streams an array of RequestRecord equal to paging /api/requests', async () => {
    const res = await get('/api/export.json');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="cco-requests-start-\d{4}-\d{2}-\d{2}\.json"$/);
    const exported = (await res.json()) as RequestRecord[];
    const listed: RequestRecord[] = [];
    let cursor: string | null = null;
    do {
      const page: RequestPage = await json<RequestPage>(`/api/requests?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      listed.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    expect(exported).toEqual(listed);
    expect(exported.find((r) => r.model === UNPRICED_MODEL)?.costNanoUsd).toBeNull();
  });

  it('answers ?limit=1 with 200 and one record, quickly (the renderer probes it)', async () => {
    const t0 = performance.now();
    const res = await get('/api/export.json?limit=1');
    const body = (await res.json()) as RequestRecord[];
    const ms = performance.now() - t0;
    expect(res.status).toBe(200);
    expect(body).toHaveLength(1);
    expect(ms).toBeLessThan(2000); // one row, not the whole table: ~10 ms alone; generous for loaded runners
    const empty = await get(`/api/export.json?to=1`);
    expect(await empty.json()).toEqual([]);
  });
});

describe('per-session summaries', () => {
  it('bySession and ?session= narrow the totals exactly to one session', async () => {
    const all = await json<Summary>('/api/summary?range=today&tz=UTC');
    const a = await json<Summary>('/api/summary?range=today&tz=UTC&session=sess-A');
    const b = await json<Summary>('/api/summary?range=all&tz=UTC&session=sess-B');
    const none = await json<Summary>('/api/summary?range=today&tz=UTC&session=(none)');
    const rowsA = csvObjects(await (await get('/api/export.csv?session=sess-A')).text());
    const costA = rowsA.filter((r) => r.priced === 'true').reduce((s, r) => s + usdToNano(r.cost_usd!), 0n);
    expect(a.session).toBe('sess-A');
    expect(a.totals).toMatchObject({ requests: 3, unpricedRequests: 1, costNanoUsd: Number(costA) });
    expect(b.totals.requests).toBe(2);
    expect(none.totals.requests).toBe(1);
    expect(a.totals.costNanoUsd + b.totals.costNanoUsd + none.totals.costNanoUsd).toBe(all.totals.costNanoUsd);
    expect(all.bySession?.map((g) => g.key).sort()).toEqual(['(none)', 'sess-A', 'sess-B']);
    expect(all.bySession?.find((g) => g.key === 'sess-A')).toMatchObject({ requests: 3, costNanoUsd: a.totals.costNanoUsd });
    expect(a.byModel.map((g) => g.key).sort()).toEqual([...new Set(rowsA.map((r) => r.model!))].sort());
    expect(a.byModel.map((g) => g.key)).toContain(UNPRICED_MODEL);
    expect((await get('/api/summary?session=')).status).toBe(400);
  });
});

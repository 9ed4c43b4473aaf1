/**
 * GET /api/summary from the embedded store is encoded in its worker (Store.summaryJson, bytes handed over)
 * instead of on the HTTP thread: the answer must be byte for byte what `res.json(await store.summary(q))`
 * sends, header included, for every range and zone, across sealed months and late rows, and the HTTP thread
 * must not build the summary's objects (no `summary()` call). A store without summaryJson (the PostgreSQL
 * team store) keeps the old path.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RequestRecord, Summary } from '../../shared/contract.ts';
import { createApiApp } from './app.ts';
import { openStore, type Store } from '../store/index.ts';
import { makeRecord, tempDir } from '../store/test-fixtures.ts';
import { createPricer } from '../pricing/index.ts';
import { silentLogger } from '../log.ts';
import { mulberry32 } from '../../test/seeded-random.ts';

// The summary's ranges end at the real clock's now: records over the last five months, the newest in this hour.
const NOW = Date.now();
const T0 = NOW - 150 * 86_400_000;
const TOKEN = 'summary-json-test-token';

let store: Store;
let summaryCalls = 0;
let jsonCalls = 0;
const servers: http.Server[] = [];
const bases: Record<'worker' | 'objects', string> = { worker: '', objects: '' };

async function serve(s: Store): Promise<string> {
  const hosts = new Set<string>();
  const app = createApiApp({ policy: { token: TOKEN, hosts, origins: new Set() }, store: s, pricer: () => createPricer(), version: 'test', startedAt: NOW, staticDir: tempDir('cco-static-'), log: silentLogger });
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  const { port } = server.address() as AddressInfo;
  hosts.add(`127.0.0.1:${port}`);
  return `http://127.0.0.1:${port}`;
}

beforeAll(async () => {
  store = await openStore({ dataDir: tempDir('cco-summary-json-'), retentionDays: 36_500, log: () => undefined });
  const r = mulberry32(41);
  const make = (i: number): RequestRecord => {
    const startedAt = i % 50 === 0 ? NOW - (i % 120) * 60_000 : T0 + Math.floor(r() * (NOW - T0)); // some today
    return makeRecord({
      startedAt,
      endedAt: startedAt + 900,
      project: ['/p/a', '/p/ünïcødé ✓ 😀', '/p/"q"', null][i % 4]!,
      model: i % 5 === 0 ? null : i % 2 === 0 ? 'claude-sonnet-4-5' : 'claude-opus-4-1',
      costNanoUsd: i % 13 === 0 ? null : Math.floor(r() * 1e9),
      errorType: i % 11 === 0 ? 'overloaded_error' : null,
      status: i % 11 === 0 ? 529 : 200,
      sessionId: i % 7 === 0 ? null : `s-${i % 60}`,
    });
  };
  expect((await store.addBulk(Array.from({ length: 2000 }, (_, i) => make(i)))).inserted).toBe(2000);
  await store.snapshot(); // seals the past months
  expect((await store.addBulk(Array.from({ length: 300 }, (_, i) => make(2000 + i)))).inserted).toBe(300); // late rows
  const counting: Store = Object.create(store, {
    summary: { value: (q: Parameters<Store['summary']>[0]) => (summaryCalls++, store.summary(q)) },
    summaryJson: { value: (q: Parameters<NonNullable<Store['summaryJson']>>[0]) => (jsonCalls++, store.summaryJson!(q)) },
  }) as Store;
  // The team store's shape: summary() only.
  const objectsOnly: Store = Object.create(store, { summaryJson: { value: undefined } }) as Store;
  bases.worker = await serve(counting);
  bases.objects = await serve(objectsOnly);
}, 120_000);

afterAll(async () => {
  for (const s of servers) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
  await store?.close();
});

/** The body with the range's end (the clock's now at the call, for every range but custom) made constant. */
async function get(base: string, query: string): Promise<{ status: number; type: string | null; body: Buffer }> {
  const res = await fetch(`${base}/api/summary?${query}`, { headers: { authorization: `Bearer ${TOKEN}` } });
  const body = Buffer.from(await res.arrayBuffer());
  return { status: res.status, type: res.headers.get('content-type'), body: Buffer.from(body.toString('utf8').replace(/^\{"range":"(\w+)","tz":"([^"]+)","from":"([^"]+)","to":"[^"]+"/, '{"range":"$1","tz":"$2","from":"$3","to":"now"'), 'utf8') };
}

describe('GET /api/summary encoded in the store worker', () => {
  const cases = [
    'range=all&tz=UTC',
    'range=all&tz=Europe/Paris',
    'range=month&tz=Asia/Kathmandu',
    'range=30d&tz=America/Los_Angeles',
    'range=7d&tz=UTC',
    'range=today&tz=Australia/Lord_Howe',
    `range=custom&from=${T0 + 20 * 86_400_000}&to=${T0 + 71 * 86_400_000 + 7 * 3_600_000}&tz=UTC`,
    'range=all&tz=UTC&session=s-7',
  ];

  it.each(cases)('%s: the bytes and header res.json sends, and no summary objects on the HTTP thread', async (query) => {
    summaryCalls = 0;
    jsonCalls = 0;
    const viaWorker = await get(bases.worker, query);
    expect(viaWorker.status).toBe(200);
    expect(summaryCalls).toBe(0);
    expect(jsonCalls).toBe(1);
    const viaObjects = await get(bases.objects, query);
    expect(viaObjects.status).toBe(200);
    expect(viaWorker.type).toBe('application/json; charset=utf-8');
    expect(viaWorker.type).toBe(viaObjects.type);
    expect(viaWorker.body.equals(viaObjects.body)).toBe(true);
    expect((JSON.parse(viaWorker.body.toString('utf8')) as Summary).totals.requests).toBeGreaterThan(0);
  });

  it('kept days answer again with the same bytes, and after late rows change some of them', async () => {
    for (const query of ['range=all&tz=Europe/Paris', 'range=30d&tz=Asia/Kathmandu']) {
      const [a, b] = [await get(bases.worker, query), await get(bases.worker, query)]; // the second reuses kept points
      expect(a.body.equals(b.body)).toBe(true);
      expect(b.body.equals((await get(bases.objects, query)).body)).toBe(true);
    }
    const late = Array.from({ length: 40 }, (_, i) => makeRecord({ startedAt: T0 + (i + 1) * 3 * 86_400_000, costNanoUsd: 7_000_000 + i, sessionId: `late-${i % 3}` }));
    expect((await store.addBulk(late)).inserted).toBe(40);
    for (const query of ['range=all&tz=Europe/Paris', 'range=30d&tz=Asia/Kathmandu']) {
      const [a, b] = [await get(bases.worker, query), await get(bases.objects, query)];
      expect(a.body.equals(b.body)).toBe(true);
    }
  });

  it('a bad query answers as before', async () => {
    const [a, b] = [await get(bases.worker, 'range=all&tz=Not/AZone'), await get(bases.objects, 'range=all&tz=Not/AZone')];
    expect(a.status).toBe(400);
    expect(a.body.equals(b.body)).toBe(true);
  });
});

/**
 * An export from the embedded store is encoded in its worker (Store.exportPage, bytes handed over) instead
 * of in the HTTP thread: the file must be byte for byte the one the HTTP thread encodes from listRequests
 * pages, across sealed months, late rows, filters, limits and page sizes, and the HTTP thread must not see
 * a single record.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RequestQuery, RequestRecord } from '../../shared/contract.ts';
import { streamExport, type ExportFormat } from './export.ts';
import type { ExportQuery } from './query.ts';
import { openStore, type Store } from '../store/index.ts';
import { makeRecord, tempDir } from '../store/test-fixtures.ts';
import { mulberry32 } from '../../test/seeded-random.ts';

const T0 = Date.UTC(2026, 1, 3);
const NOW = Date.UTC(2026, 6, 20); // every month before July folds into its file
const ODD = ['/p/plain', '/p/with, comma', '/p/"quoted"', '/p/line\r\nbreak', '/p/ünïcødé ✓ 😀', null];

let store: Store;
let server: http.Server;
let base: string;
let listCalls = 0;
let exportCalls = 0;

beforeAll(async () => {
  store = await openStore({ dataDir: tempDir('cco-export-worker-'), retentionDays: 36_500, now: () => NOW, log: () => undefined });
  const r = mulberry32(14);
  const make = (i: number): RequestRecord => {
    const startedAt = T0 + Math.floor(r() * (NOW - T0));
    return makeRecord({
      startedAt,
      endedAt: startedAt + 900,
      project: ODD[i % ODD.length]!,
      model: i % 5 === 0 ? null : i % 2 === 0 ? 'claude-sonnet-4-5' : 'claude-opus-4-1',
      costNanoUsd: i % 13 === 0 ? null : Math.floor(r() * 1e9),
      errorType: i % 11 === 0 ? 'overloaded_error' : null,
      sessionId: i % 7 === 0 ? null : `s-${i % 9}`,
    });
  };
  const first = Array.from({ length: 3000 }, (_, i) => make(i));
  expect((await store.addBulk(first)).inserted).toBe(3000);
  await store.snapshot(); // seals February to June
  expect((await store.stats()).months).toBeGreaterThanOrEqual(5);
  // Late rows of sealed months wait in cco.sqlite until the next snapshot: pages merge both.
  expect((await store.addBulk(Array.from({ length: 400 }, (_, i) => make(3000 + i)))).inserted).toBe(400);

  const viaWorker = {
    summary: store.summary.bind(store),
    listRequests: (q: RequestQuery) => {
      listCalls++;
      return store.listRequests(q);
    },
    exportPage: (...a: Parameters<NonNullable<Store['exportPage']>>) => {
      exportCalls++;
      return store.exportPage!(...a);
    },
  };
  const viaRecords = { summary: store.summary.bind(store), listRequests: store.listRequests.bind(store) };
  server = http.createServer((req, res) => {
    const url = new URL(req.url!, 'http://x');
    const [, how, format] = url.pathname.split('/') as [string, 'worker' | 'records', ExportFormat];
    const q = JSON.parse(url.searchParams.get('q') ?? '{}') as ExportQuery;
    const pageSize = Number(url.searchParams.get('page') ?? 500);
    void streamExport(res, how === 'worker' ? viaWorker : viaRecords, q, format, { pageSize });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}, 120_000);

afterAll(async () => {
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
  await store?.close();
});

async function body(how: 'worker' | 'records', format: ExportFormat, q: ExportQuery, page: number): Promise<Buffer> {
  const res = await fetch(`${base}/${how}/${format}?q=${encodeURIComponent(JSON.stringify(q))}&page=${page}`);
  expect(res.status).toBe(200);
  return Buffer.from(await res.arrayBuffer());
}

describe('export encoded in the store worker', () => {
  const queries: [string, ExportQuery][] = [
    ['everything', { tz: 'UTC' }],
    ['a limit', { tz: 'UTC', limit: 1234 }],
    ['a model', { tz: 'UTC', model: 'claude-opus-4-1' }],
    ['unknown model, a window across months', { tz: 'UTC', model: '(none)', from: Date.UTC(2026, 2, 10), to: Date.UTC(2026, 5, 2) }],
    ['nothing matches', { tz: 'UTC', model: 'nope' }],
  ];
  for (const format of ['csv', 'json'] as const) {
    for (const [what, q] of queries) {
      it(`${format}, ${what}: the same bytes as pages encoded in the HTTP thread`, async () => {
        for (const page of [97, 500]) {
          listCalls = 0;
          exportCalls = 0;
          const got = await body('worker', format, q, page);
          expect(listCalls).toBe(0); // no record reached this thread
          expect(exportCalls).toBeGreaterThan(0);
          const want = await body('records', format, q, page);
          expect(got.equals(want)).toBe(true);
          if (what === 'everything' && format === 'json') expect((JSON.parse(got.toString('utf8')) as unknown[]).length).toBe(3400);
        }
      }, 60_000);
    }
  }
});

describe('export pages handed over by the store worker', () => {
  it('are freed on the HTTP thread as the export goes, not when V8 next collects for external memory', async () => {
    // A written page's buffer is memory of this thread's heap's (external, transferred) until its ArrayBuffer
    // object is collected; a thread that only forwards pages allocates too little to be scavenged. Read
    // ~50 MB of pages as streamExport does (each dropped once written) and watch this thread's external bytes.
    const q: RequestQuery = { limit: 500 };
    const start = process.memoryUsage().external;
    let grown = 0;
    let total = 0;
    while (total < 50 * 1024 * 1024) {
      let cursor: string | null = null;
      let first = true;
      do {
        const c = await store.exportPage!({ ...q, ...(cursor !== null && { cursor }) }, 'json', first);
        total += c.bytes.byteLength;
        first = false;
        cursor = c.nextCursor;
        grown = Math.max(grown, process.memoryUsage().external - start);
      } while (cursor !== null);
    }
    expect(total).toBeGreaterThanOrEqual(50 * 1024 * 1024);
    expect(grown).toBeLessThan(16 * 1024 * 1024); // a scavenge every 4 MB received (gc.ts ArrivalCollector)
  }, 120_000);
});

/**
 * streamExport under back-pressure, with a real store (worker thread, sql.js) and a real HTTP socket: a
 * client that stops reading stops the paging; one that goes away ends it; a slow one still gets every row.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RequestQuery, RequestRecord } from '../../shared/contract.ts';
import { streamExport, type ExportFormat } from './export.ts';
import type { ExportQuery } from './query.ts';
import { openStore, type Store } from '../store/index.ts';
import { makeRecord, tempDir } from '../store/test-fixtures.ts';

const ROWS = 20_000;
const PAGE = 200;
const PAGES = ROWS / PAGE;

let store: Store;
let server: http.Server;
let base: string;
let pagesRead = 0;

// ~2 KB projects (13 distinct: interned once) make the export ~60 MB, far more than socket buffers hold.
const LONG_PROJECTS = Array.from({ length: 13 }, (_, k) => `/p/${k}/${'d'.repeat(2000)}, "x"`);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until pagesRead stops moving for `quietMs`. */
async function settle(quietMs = 400): Promise<number> {
  let last = -1;
  while (last !== pagesRead) {
    last = pagesRead;
    await sleep(quietMs);
  }
  return last;
}

beforeAll(async () => {
  store = await openStore({ dataDir: tempDir('cco-export-stream-'), retentionDays: 36_500, log: () => undefined });
  const t0 = Date.UTC(2026, 5, 1);
  for (let i = 0; i < ROWS; i++) {
    store.add(makeRecord({ startedAt: t0 + i * 1000, project: LONG_PROJECTS[i % 13]!, costNanoUsd: i % 17 === 0 ? null : i }));
  }
  await store.flush();
  const counting = {
    summary: store.summary.bind(store),
    listRequests: (q: RequestQuery) => {
      pagesRead++;
      return store.listRequests(q);
    },
    // The path a real export takes: pages encoded in the store worker.
    exportPage: (...a: Parameters<NonNullable<Store['exportPage']>>) => {
      pagesRead++;
      return store.exportPage!(...a);
    },
  };
  server = http.createServer((req, res) => {
    const url = new URL(req.url!, 'http://x');
    const q: ExportQuery = { tz: 'UTC' };
    void streamExport(res, counting, q, url.pathname.slice(1) as ExportFormat, { pageSize: PAGE });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}, 60_000);

afterAll(async () => {
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
  await store?.close();
});

function open(format: ExportFormat): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => http.get(`${base}/${format}`, resolve).on('error', reject));
}

function readAll(res: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.on('error', reject);
    res.resume(); // attaching 'data' does not undo an explicit pause()
  });
}

describe('streamExport back-pressure', () => {
  it('stops paging while the client does not read, then delivers every row once it does', async () => {
    pagesRead = 0;
    const res = await open('json');
    res.pause();
    const whilePaused = await settle();
    console.log(`pages read while the client paused: ${whilePaused} of ${PAGES}`);
    // Only what fits in the socket buffers was read from the store: a small fraction of the export.
    expect(whilePaused).toBeGreaterThan(0);
    expect(whilePaused).toBeLessThan(PAGES / 3);
    const body = await readAll(res);
    const records = JSON.parse(body) as RequestRecord[];
    expect(records).toHaveLength(ROWS);
    expect(new Set(records.map((r) => r.id)).size).toBe(ROWS);
    expect(records.filter((r) => r.costNanoUsd === null)).toHaveLength(Math.ceil(ROWS / 17));
    expect(pagesRead).toBe(PAGES);
  }, 60_000);

  it('stops reading the store when the client goes away mid-export', async () => {
    pagesRead = 0;
    const res = await open('csv');
    await new Promise<void>((resolve) => res.once('data', () => resolve()));
    res.destroy();
    const after = await settle();
    expect(after).toBeLessThan(PAGES / 2);
    await sleep(300);
    expect(pagesRead).toBe(after);
  }, 60_000);

  it('a CSV export of all rows has one line per row plus the header', async () => {
    const body = await readAll(await open('csv'));
    // Each project value holds a quote and a comma (quoted field), never a line break: count CRLFs.
    expect(body.split('\r\n').length - 1).toBe(ROWS + 1);
  }, 60_000);
});

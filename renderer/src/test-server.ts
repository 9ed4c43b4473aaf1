/**
 * A real HTTP + WebSocket server speaking the daemon API contract, for component tests (tests only).
 * Serves whatever state the test puts in it, records requests, checks the bearer token, pushes live frames.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import type { BudgetsResponse, LiveMessage, RequestRecord, RequestSort, RequestStateFilter, SortOrder, StatusResponse, Summary, Viewer } from '../../shared/contract.ts';
import { matchesStateFilter } from '../../daemon/api/outcome.ts';
import { compareRecords } from './hooks/data.ts';
import { makeSummary } from './test-fixtures.ts';

export interface TestApiState {
  summaries: Partial<Record<string, Summary>>; // by range
  records: RequestRecord[]; // newest first
  pageSize?: number;
  exportEnabled?: boolean;
  /** Answer this many API requests with 429 + `Retry-After: 1` first (then serve normally). */
  rateLimited?: number;
  /** Serve GET /api/status (ok) naming this viewer; absent = no /api/status (an older daemon). */
  viewer?: Viewer;
  /** GET /api/budgets; absent = 404. */
  budgets?: BudgetsResponse;
}

export interface TestApi {
  baseUrl: string;
  token: string;
  state: TestApiState;
  seen: { path: string; query: URLSearchParams; auth: string | undefined }[];
  push(record: RequestRecord): void;
  dropLive(): void;
  liveClients(): number;
  close(): Promise<void>;
}

export async function startTestApi(state: TestApiState, token = 'test-token'): Promise<TestApi> {
  const seen: TestApi['seen'] = [];
  const sockets = new Set<WebSocket>();
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    seen.push({ path: url.pathname, query: url.searchParams, auth: req.headers.authorization });
    res.setHeader('access-control-allow-origin', '*');
    res.setHeader('access-control-allow-headers', 'authorization, accept');
    if (req.method === 'OPTIONS') return void res.end();
    if (req.headers.authorization !== `Bearer ${token}`) {
      res.writeHead(401, { 'content-type': 'application/json' });
      return void res.end(JSON.stringify({ error: { type: 'authentication_error', message: 'no token' } }));
    }
    if (state.rateLimited) {
      state.rateLimited--;
      res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '1' });
      return void res.end(JSON.stringify({ error: { type: 'rate_limit_error', message: 'slow down' } }));
    }
    const json = (body: unknown, status = 200) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (url.pathname === '/api/summary') {
      // A summary narrowed to a session is looked up as `session:<id>`.
      const session = url.searchParams.get('session');
      const key = session ? `session:${session}` : (url.searchParams.get('range') ?? '');
      return json(state.summaries[key] ?? makeSummary({ range: 'all' }));
    }
    if (url.pathname === '/api/requests') {
      const limit = Number(url.searchParams.get('limit') ?? 50);
      const start = Number(url.searchParams.get('cursor') ?? 0);
      const model = url.searchParams.get('model');
      const sort = url.searchParams.get('sort') as RequestSort | null;
      const order = url.searchParams.get('order') as SortOrder | null;
      const session = url.searchParams.get('session');
      const st = url.searchParams.get('state') as RequestStateFilter | null;
      const user = url.searchParams.get('user');
      const filtered = state.records.filter(
        (r) =>
          (!model || r.model === model) &&
          (!session || r.sessionId === session) &&
          (!st || matchesStateFilter(st, r)) &&
          (!user || (r.user ?? '(none)') === user),
      );
      // records are newest first; a sort/order is served in the daemon's order for it
      const rows = sort || order ? filtered.slice().sort(compareRecords(sort ?? 'time', order ?? 'desc')) : filtered;
      const items = rows.slice(start, start + Math.min(limit, state.pageSize ?? limit));
      const end = start + items.length;
      return json({ items, nextCursor: end < rows.length ? String(end) : null });
    }
    const m = /^\/api\/requests\/(.+)$/.exec(url.pathname);
    if (m) {
      const r = state.records.find((x) => x.id === decodeURIComponent(m[1]!));
      if (!r) return json({ error: { type: 'not_found_error', message: 'nope' } }, 404);
      return json({
        ...r,
        breakdown: { input: 300_000, cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: 0, output: 750_000, webSearch: 0 },
        multipliers: null,
      });
    }
    if (url.pathname === '/api/status' && state.viewer) {
      return json({
        status: 'ok', message: null, problems: [], version: '9.9.9', uptime: 1, recordingEnabled: true, viewer: state.viewer,
        store: {
          kind: 'postgres', ready: true, workerUp: true, journal: { writable: true, bytes: 0, pendingRecords: 0 }, snapshot: { lastAt: null },
          requests: state.records.length, droppedWrites: 0, workerRestarts: 0, diskErrors: 0, partitions: { months: 0, open: 0, damaged: [] }, damagedFiles: [], lastError: null,
        },
      } satisfies StatusResponse);
    }
    if (url.pathname === '/api/budgets' && state.budgets) return json(state.budgets);
    if (url.pathname === '/api/prices') return json({ version: '2026-11-22.1', asOf: '2026-11-22' });
    if (url.pathname === '/api/export.json' && state.exportEnabled) return json([]);
    return json({ error: { type: 'not_found_error', message: 'unknown' } }, 404);
  });
  /** Records pushed (the hello's seq; this server's answers carry no seq header, as a daemon before it had one). */
  let published = 0;
  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname !== '/api/live' || url.searchParams.get('token') !== token) return void socket.destroy();
    wss.handleUpgrade(req, socket, head, (ws) => {
      sockets.add(ws);
      ws.on('close', () => sockets.delete(ws));
      ws.send(JSON.stringify({ type: 'hello', version: '9.9.9', serverTime: new Date().toISOString(), seq: published } satisfies LiveMessage));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    token,
    state,
    seen,
    push(record) {
      published++;
      state.records.unshift(record);
      for (const ws of sockets) ws.send(JSON.stringify({ type: 'request', record } satisfies LiveMessage));
    },
    dropLive() {
      for (const ws of sockets) ws.terminate();
    },
    liveClients: () => sockets.size,
    close: () =>
      new Promise<void>((resolve) => {
        for (const ws of sockets) ws.terminate();
        wss.close();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * The daemon's own HTTP surface (express 5): health, the JSON API and the dashboard's static files.
 * Everything except /health, /ready and the login form needs a token and passes the Host/Origin checks
 * (docs/architecture.md, "Security"). A per-user token sees only its user's records (access.ts, docs/team.md).
 */
import fs from 'node:fs';
import path from 'node:path';
import express, { type NextFunction, type Request, type Response } from 'express';
import { LIVE_SEQ_HEADER } from '../../shared/contract.ts';
import type { ApiError, CacheCoachReport, HealthResponse, LimitsResponse, ReadyResponse, RequestDetail, ResponseCacheCleared, ResponseCacheStatus, StatusResponse, TeamStatus, Viewer } from '../../shared/contract.ts';
import type { ResponseCache } from '../cache/response-cache.ts';
import { cacheCoach } from '../coach/coach.ts';
import { noTokenPage } from './no-token-page.ts';
import { checkRequest, hostAllowed, viewerOf, type TrustPolicy } from './auth.ts';
import { mayUse, scopeOf } from './access.ts';
import { loginRoutes, setTokenCookie } from './login.ts';
import { parseInput } from './parse-query.ts';
import { isTeamStore } from '../store-pg/brand.ts';
import type { Store } from '../store/index.ts';
import type { Pricer } from '../pricing/index.ts';
import type { Logger } from '../log.ts';
import { detailOf } from './detail.ts';
import { exportHandler } from './export.ts';
import { historyRoutes } from './history-routes.ts';
import { blocksRoutes } from './blocks-routes.ts';
import { buildStatus, readiness } from './status.ts';
import { isStoreUnavailable } from './unavailable.ts';
import type { StoreStats } from '../store/index.ts';
import type { HistoryService } from '../history/service.ts';
import { TEAM_OFF } from '../team/team-off.ts';

export interface ApiDeps {
  policy: TrustPolicy;
  store: Store;
  /** The active pricer (it changes when `POST /api/reprice` reloads pricing.json). */
  pricer: () => Pricer;
  /** Reload the price table + overrides, reprice stored rows, make the new table active. */
  reprice?: (since: number | undefined) => Promise<unknown>;
  version: string;
  startedAt: number;
  /**
   * Built renderer (index.html + assets); may be missing in a source checkout that was not built. A function
   * is called once, at the first dashboard request (the one-file bundle unpacks its embedded dashboard then,
   * not at every start).
   */
  staticDir: string | (() => string);
  log: Logger;
  /**
   * Rate limit for the JSON API, mounted after the token/Host/Origin guard (so only authenticated requests
   * count) and keyed per credential; /health, /ready, the dashboard's files and the proxy are never limited.
   */
  rateLimit?: (req: Request, res: Response, next: NextFunction) => void;
  /** GET /metrics (Prometheus text); `open` = served without the token (only ever on a loopback-only daemon). */
  metrics?: { render(): Promise<string>; contentType: string; open: boolean };
  /** Claude Code history import + reconciliation (/api/import, /api/reconcile); absent = those routes answer 404. */
  history?: HistoryService;
  /** Plan-limit state (daemon/limits); GET /api/limits. */
  limits?: () => LimitsResponse;
  /** The response cache: GET /api/cache, POST /api/cache/clear. */
  responseCache?: ResponseCache;
  /** False while the user paused recording (GET /api/status). Default: true. */
  recordingEnabled?: () => boolean;
  /** Federated team mode's shipping state (GET /api/team, and `team` in GET /api/status); absent = off. */
  team?: () => TeamStatus;
  /** The live feed's published-record count (LIVE_SEQ_HEADER on every /api answer); absent = no header. */
  liveSeq?: () => number;
  /** Extra authenticated /api routes (budgets…), mounted after the built-in ones. */
  extraApi?: (api: express.Router) => void;
}

function apiError(res: Response, status: number, type: string, message: string) {
  res.status(status).json({ error: { type, message } } satisfies ApiError);
}

export function createApiApp(deps: ApiDeps): express.Express {
  const { policy, store } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');
  // Uptime from the monotonic clock: a wall-clock step must not make it jump or go negative.
  const startedMono = performance.now();

  app.get('/health', (_req, res) => {
    const body: HealthResponse = { status: 'ok', uptime: Math.round((performance.now() - startedMono) / 1000), version: deps.version };
    res.json(body);
  });
  // Ready = the store can record: its worker is up and the journal writable (not on standby).
  app.get('/ready', (_req, res) => {
    const r = readiness(store.health());
    res.status(r.ready ? 200 : 503).json({ ready: r.ready, timestamp: new Date().toISOString(), ...(r.reason !== undefined && { reason: r.reason }) } satisfies ReadyResponse);
  });

  // Prometheus scrapes with `Authorization: Bearer <token>` (bearer_token in its scrape config). No Host
  // check here: a bearer token is never sent by a browser on its own, and scrapers use the server's name.
  if (deps.metrics) {
    const metrics = deps.metrics;
    app.get('/metrics', async (req, res) => {
      if (!metrics.open) {
        const bearer = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
        const viewer = viewerOf(policy, bearer);
        if (!viewer) {
          return apiError(res, 401, 'authentication_error', 'GET /metrics needs Authorization: Bearer <daemon token> (or [metrics] open = true on a loopback-only daemon)');
        }
        if (!mayUse(viewer, 'GET', '/metrics')) return apiError(res, 403, 'permission_error', 'GET /metrics is for the admin (the daemon token), not a user token');
      }
      res.setHeader('content-type', metrics.contentType);
      res.setHeader('cache-control', 'no-store');
      res.send(await metrics.render());
    });
  }

  // Opening the dashboard as /?token=… trades the token for an HttpOnly cookie and drops it from the URL.
  app.use((req, res, next) => {
    const token = typeof req.query.token === 'string' ? req.query.token : undefined;
    if (req.method !== 'GET' || token === undefined || req.path.startsWith('/api/')) return next();
    if (!viewerOf(policy, token)) {
      if (wantsHtml(req)) return void res.status(401).type('html').setHeader('cache-control', 'no-store').send(noTokenPage('invalid'));
      return apiError(res, 401, 'authentication_error', 'Invalid CCO token in the dashboard URL');
    }
    const verdict = checkRequest(policy, { ...req.headers, authorization: `Bearer ${token}` });
    if (!verdict.ok) return apiError(res, verdict.status, 'permission_error', verdict.message);
    setTokenCookie(res, token);
    const rest = new URLSearchParams(req.query as Record<string, string>);
    rest.delete('token');
    const qs = rest.toString();
    res.redirect(302, req.path + (qs ? `?${qs}` : ''));
  });

  // The login form's POST and logout (no token yet; Host and Origin checked).
  app.use('/api', loginRoutes(policy));

  // The Electron popover (app://cco) reads the API cross-origin with a bearer token: grant exactly the
  // allowed non-HTTP origins, and answer their preflight without a token (a preflight never carries one).
  app.use(['/api', '/health', '/ready'], (req, res, next) => {
    const origin = req.headers.origin;
    if (origin === undefined || !policy.origins.has(origin)) return next();
    res.setHeader('access-control-allow-origin', origin);
    res.setHeader('vary', 'Origin');
    res.setHeader('access-control-expose-headers', LIVE_SEQ_HEADER);
    if (req.method !== 'OPTIONS') return next();
    if (!hostAllowed(policy, req.headers.host)) return apiError(res, 403, 'permission_error', `Host ${req.headers.host} is not allowed`);
    res.setHeader('access-control-allow-headers', 'authorization, content-type');
    res.setHeader('access-control-allow-methods', 'GET, HEAD, POST, OPTIONS');
    res.setHeader('access-control-max-age', '600');
    res.status(204).end();
  });

  const guard = (req: Request, res: Response, next: NextFunction) => {
    const verdict = checkRequest(policy, req.headers);
    if (!verdict.ok) return apiError(res, verdict.status, verdict.status === 401 ? 'authentication_error' : 'permission_error', verdict.message);
    // Default deny: a user token reaches only the routes access.ts lists as scoped or open.
    if (!mayUse(verdict.viewer, req.method, req.originalUrl.split('?')[0]!)) {
      return apiError(res, 403, 'permission_error', `${req.method} ${req.baseUrl}${req.path} is for the admin (the daemon token); a user token sees only its own records`);
    }
    res.locals.viewer = verdict.viewer;
    next();
  };
  /** The user the request's figures are narrowed to (a user token), else undefined (everything). */
  const scope = (res: Response): string | undefined => scopeOf(res.locals.viewer as Viewer | undefined);

  const api = express.Router();
  api.use(guard);
  // Taken before the handler reads the store: every record counted was add()ed before this request, and a
  // store read sees every record add()ed before it, so the answer holds at least the first `seq` records.
  if (deps.liveSeq) {
    const liveSeq = deps.liveSeq;
    api.use((_req, res, next) => {
      res.setHeader(LIVE_SEQ_HEADER, String(liveSeq()));
      next();
    });
  }
  if (deps.rateLimit) api.use(deps.rateLimit);
  // `user` filters need a store that knows users (the PostgreSQL team store); elsewhere they would do nothing.
  api.use(['/summary', '/requests', '/export.csv', '/export.json', '/blocks', '/cache-coach'], (req, res, next) => {
    const self = scope(res);
    // Another user's name never widens a user token's view (forced to self would hide the mistake: 403).
    if (self !== undefined && req.query.user !== undefined && req.query.user !== self) {
      return apiError(res, 403, 'permission_error', `user: a user token sees only its own records (${self})`);
    }
    if (req.query.user !== undefined && !isTeamStore(store)) {
      return apiError(res, 400, 'invalid_request_error', 'user: per-user figures need the PostgreSQL team store (CCO_DATABASE_URL)');
    }
    next();
  });
  api.get('/summary', async (req, res) => {
    const q = await parseInput('summaryQuery', req.query);
    if (!q.ok) return apiError(res, 400, 'invalid_request_error', q.message);
    const self = scope(res);
    const query = { ...q.data, ...(self !== undefined && { user: self }) };
    if (!store.summaryJson) return void res.json(await store.summary(query));
    // The same bytes and header as res.json's, encoded by the store (its worker) rather than on this thread.
    const bytes = await store.summaryJson(query);
    res.setHeader('content-type', 'application/json; charset=utf-8');
    res.send(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  });
  api.get('/requests', async (req, res) => {
    const q = await parseInput('requestsQuery', req.query);
    if (!q.ok) return apiError(res, 400, 'invalid_request_error', q.message);
    try {
      const self = scope(res);
      const page = await store.listRequests({ ...q.data, ...(self !== undefined && { user: self }) });
      const history = deps.history;
      res.json(history ? { ...page, items: page.items.map((r) => ({ ...r, seenBy: history.seenBy(r) })) } : page);
    } catch (err) {
      // a bad cursor, or one from another sort/order
      if (err instanceof RangeError) return apiError(res, 400, 'invalid_request_error', `cursor: ${err.message}`);
      throw err;
    }
  });
  api.get('/export.csv', exportHandler(store, 'csv', deps.log, scope));
  api.get('/export.json', exportHandler(store, 'json', deps.log, scope));
  api.get('/requests/:id', async (req, res) => {
    const record = await store.getRequest(req.params.id!);
    const self = scope(res);
    // Another user's request answers exactly as one that does not exist.
    if (!record || (self !== undefined && record.user !== self)) return apiError(res, 404, 'not_found_error', `No request with id ${req.params.id}`);
    const detail: RequestDetail = detailOf(record, deps.pricer());
    res.json(deps.history ? { ...detail, seenBy: deps.history.seenBy(record) } : detail);
  });
  api.get('/status', async (_req, res) => {
    const viewer = res.locals.viewer as Viewer;
    // The worker's counts, unless it does not answer promptly (a stuck or restarting worker must not hang
    // the one route that explains what is wrong).
    let timer: NodeJS.Timeout | undefined;
    const stats = await Promise.race([
      store.stats().catch(() => null),
      new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), 2000))),
    ]).finally(() => clearTimeout(timer));
    res.setHeader('cache-control', 'no-store');
    res.json(
      buildStatus({
        health: store.health(),
        stats: stats as StoreStats | null,
        version: deps.version,
        uptimeSeconds: Math.round((performance.now() - startedMono) / 1000),
        recordingEnabled: deps.recordingEnabled?.() ?? true,
        startedAt: deps.startedAt,
        ...(deps.team && viewer.kind !== 'user' && { team: deps.team() }),
        viewer,
      }) satisfies StatusResponse,
    );
  });
  api.get('/team', (_req, res) => {
    res.setHeader('cache-control', 'no-store');
    res.json((deps.team?.() ?? TEAM_OFF) satisfies TeamStatus);
  });
  api.get('/prices', (_req, res) => {
    res.json(deps.pricer().table());
  });
  api.post('/reprice', async (req, res) => {
    const since = req.query.since === undefined ? undefined : Number(req.query.since);
    if (since !== undefined && !(Number.isSafeInteger(since) && since >= 0)) {
      return apiError(res, 400, 'invalid_request_error', 'since: epoch milliseconds expected');
    }
    if (!deps.reprice) return apiError(res, 501, 'api_error', 'Repricing is not available in this daemon');
    try {
      res.json(await deps.reprice(since));
    } catch (err) {
      apiError(res, 400, 'invalid_request_error', (err as Error).message);
    }
  });
  if (deps.history) api.use(historyRoutes(store, deps.history));
  api.use(blocksRoutes(store, scope));
  api.get('/limits', (_req, res) => {
    if (!deps.limits) return apiError(res, 501, 'api_error', 'Limit tracking is not available in this daemon');
    res.json(deps.limits() satisfies LimitsResponse);
  });
  api.get('/cache-coach', async (req, res) => {
    const q = await parseInput('summaryQuery', req.query);
    if (!q.ok) return apiError(res, 400, 'invalid_request_error', q.message);
    const self = scope(res);
    res.json((await cacheCoach(store, deps.pricer(), { ...q.data, ...(self !== undefined && { user: self }) })) satisfies CacheCoachReport);
  });
  const responseCache = deps.responseCache;
  if (responseCache) {
    api.get('/cache', (_req, res) => {
      res.json(responseCache.status() satisfies ResponseCacheStatus);
    });
    api.post('/cache/clear', (_req, res) => {
      res.json(responseCache.clear() satisfies ResponseCacheCleared);
    });
  }
  deps.extraApi?.(api);
  api.use((_req, res) => apiError(res, 404, 'not_found_error', 'Unknown API route'));
  app.use('/api', api);

  // Dashboard: the built single-page app. Its routes are served index.html; everything else was proxied
  // before reaching this app (see server.ts).
  let staticDir: string | null = typeof deps.staticDir === 'string' ? deps.staticDir : null;
  const dashboardDir = (): string => (staticDir ??= (deps.staticDir as () => string)());
  let serveStatic: ReturnType<typeof express.static> | null = null;
  app.use(guardDashboard(policy), (req, res, next) => (serveStatic ??= express.static(dashboardDir(), { index: false, maxAge: '1h' }))(req, res, next));
  app.get(/.*/, guardDashboard(policy), (_req, res) => {
    const index = path.join(dashboardDir(), 'index.html');
    if (!fs.existsSync(index)) {
      res.status(503).type('text/plain').send('The dashboard is not built. Run `npm run build:renderer`, then reload.\n');
      return;
    }
    res.setHeader('cache-control', 'no-store');
    res.sendFile(index);
  });

  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    // a PostgreSQL store whose database a newer CCO migrated: its reads would miss the records it cannot write
    if (isStoreUnavailable(err)) {
      if (!res.headersSent) apiError(res, 503, 'overloaded_error', err.message);
      return;
    }
    deps.log.error('API request failed', { error: err instanceof Error ? err.message : String(err) });
    if (!res.headersSent) apiError(res, 500, 'api_error', 'Internal error in the CCO daemon');
  });
  return app;
}

/** A browser navigation (Accept: text/html), not a script or a curl. */
function wantsHtml(req: Request): boolean {
  return String(req.headers.accept ?? '').includes('text/html');
}

function guardDashboard(policy: TrustPolicy) {
  return (req: Request, res: Response, next: NextFunction) => {
    const verdict = checkRequest(policy, req.headers);
    if (verdict.ok) return next();
    if (verdict.status === 401 && wantsHtml(req)) {
      res.status(401).type('html').setHeader('cache-control', 'no-store').send(noTokenPage('missing'));
      return;
    }
    res
      .status(verdict.status)
      .type('text/plain')
      .send(
        verdict.status === 401
          ? 'CCO dashboard: open the URL with ?token=… that the daemon printed at start (or run `cco dashboard`).\n'
          : `${verdict.message}\n`,
      );
  };
}

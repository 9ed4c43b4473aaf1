/**
 * startDaemon(options): the one entry to the CCO daemon, used by the plain-Node host (entry-node.ts), the
 * Electron utility process (entry-utility.ts), `--daemon` and the tests.
 */
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import { createApiApp } from './api/app.ts';
import { IdleCollector, watchIdle } from './idle-gc.ts';
import { bindsBeyondLoopback, loopbackHosts, serverNameTrust, type TrustPolicy } from './api/auth.ts';
import { createLiveFeed } from './api/live.ts';
import { createDaemonServer } from './api/server.ts';
import { platformCacheDir, platformDirs } from './config/paths.ts';
import { createResponseCache, type ResponseCache } from './cache/response-cache.ts';
import { takeCacheMode } from './cache/key.ts';
import { logRequest } from './logging/request-line.ts';
import { createLogger, type Logger } from './log.ts';
import { createPricer, loadPriceOverrides, type Pricer } from './pricing/index.ts';
import { repriceStored } from './pricing/reprice-stored.ts';
import { createProxyHandler, createUpstreamAgent } from './proxy/forward.ts';
import { createSessionProjects } from './proxy/session-projects.ts';
import { buildRecord } from './proxy/record.ts';
import { hasCredential } from './proxy/headers.ts';
import { exposedWarning, mayInjectStoredKey, type StoredKeyContext } from './proxy/stored-key.ts';
import { openStore, type Store, type WorkerLocation } from './store/index.ts';
import { openStoreInBackground, type BackgroundStore } from './store/standby.ts';
import { dropPrestartedWorker } from './store/prestart.ts';
import { createMetrics, type Metrics } from './metrics/metrics.ts';
import type { OtlpExport, OtlpOptions } from './metrics/otlp.ts';
import { createGateway } from './team/gateway.ts';
import { createUserDirectory } from './team/users.ts';
import { isTeamStore } from './store-pg/brand.ts';
import type { TeamShipper } from './team/shipper.ts';
import { VERSION } from './version.ts';
import { pidDirOf, removePidFile, writePidFile } from './pidfile.ts';
import { acquireDataLock, DataLockHeldError, type DataLock } from './data-lock.ts';
import { createRateLimiter, type RateLimitOptions } from './ratelimit/limiter.ts';
import type { RequestRecord } from '../shared/contract.ts';
import { startHistoryService, type HistoryService, type HistoryServiceOptions } from './history/service.ts';
import { createLimitTracker, observeFinished, type LimitTracker } from './limits/index.ts';
import { createGuards } from './budgets/guards.ts';

export const DEFAULT_UPSTREAM = 'https://api.anthropic.com';
export const DEFAULT_PORT = 3000;
export const DEFAULT_HOST = '127.0.0.1';
/** On shutdown, requests in flight get this long to finish before they are cut and recorded as aborted. */
export const SHUTDOWN_GRACE_MS = 3000;
/** startDaemon waits this long at most for the store to open (DaemonOptions.storeOpenWaitMs). */
export const STORE_OPEN_WAIT_MS = 5000;

export interface DaemonOptions {
  host?: string;
  port?: number;
  upstreamUrl?: string;
  dataDir?: string;
  /** Where config.toml and pricing.json live; default: platform config dir. */
  configDir?: string;
  /** Key added as x-api-key when a client sends no credential. Default: ANTHROPIC_API_KEY. */
  apiKey?: string;
  /** Fixed dashboard token (tests); by default one is created once per data dir and kept in `<data>/token`. */
  token?: string;
  /** Built dashboard; default daemon/public beside this module. */
  staticDir?: string;
  retentionDays?: number;
  /** Upstream socket idle timeout in ms (no total timeout). */
  idleTimeoutMs?: number;
  /** Extra allowed browser origins for the API (the Electron app's `app://` origin is always allowed). */
  allowedOrigins?: string[];
  /** `[server] names`: host names (host[:port]) browsers reach the daemon by besides loopback (a gateway's dashboard). */
  serverNames?: string[];
  pricer?: Pricer;
  log?: Logger;
  /** Limits on the API and live feed per client credential (never the proxy, /health, /ready, dashboard files); false = off. Default 6000/min, 64 connections. */
  rateLimit?: RateLimitOptions | false;
  /** Directory for the PID file `cco-<port>.pid`; false = none. Default `<dataDir>/pids`. */
  pidDir?: string | false;
  /** Called with every finished record (e.g. telemetry counters); must be cheap and must not throw. */
  onRecord?: (record: RequestRecord) => void;
  /** On shutdown, in-flight requests get this long to finish before they are cut (and recorded); default 3 s. */
  shutdownGraceMs?: number;
  /** While the store cannot be opened (standby), try again this often; default 5 s. */
  storeRetryMs?: number;
  /**
   * The daemon listens (and forwards) at once; startDaemon resolves once the store is open too, or after this
   * long while it still opens (a migration after an upgrade), so `cco run`'s banner and the app's ready
   * handshake do not wait for it. Default STORE_OPEN_WAIT_MS; 0 = resolve once listening.
   */
  storeOpenWaitMs?: number;
  /**
   * The store worker's code (StoreOptions.workerLocation). Default: the store's own `workerUrl()`, beside the file
   * its code is in. The app's entries pass the worker their build put beside them (entry-utility.ts,
   * `storeWorkerBeside`): with the app's ESM splitting the store's code is in a chunk, where no worker is.
   */
  storeWorker?: WorkerLocation;
  /** Start recording (default) or paused; see `setRecording`. */
  recording?: boolean;
  /** PostgreSQL team store (postgres://…); default: the embedded store in dataDir. */
  databaseUrl?: string;
  /**
   * Federated team mode (`[team] url`, `user`): keep the local store and also ship every record (proxied and
   * history-imported) to the team's PostgreSQL through a durable outbox. Absent = off.
   */
  team?: { url: string; user?: string; retryMinMs?: number; retryMaxMs?: number };
  /** Serve GET /metrics without the token; honoured only when the daemon listens on loopback only. */
  metricsOpen?: boolean;
  /** Also push the /metrics registry to an OpenTelemetry collector over OTLP/HTTP (daemon/metrics/otlp.ts); absent = off, the SDK is never loaded. */
  otlp?: OtlpOptions;
  /**
   * Claude Code history: import the transcripts on the first start (in the background) and follow new lines.
   * Off unless given (tests must not read the machine's real ~/.claude); `cco run` and the app turn it on.
   */
  history?: Pick<HistoryServiceOptions, 'roots' | 'followIntervalMs' | 'firstImport' | 'settleMs'>;
  /**
   * The response cache (`[cache]`): off unless `enabled` (a request's `x-cco-cache: on` uses it anyway).
   * Defaults: the platform cache folder (CCO_CACHE_DIR), 1 GiB, 3600 s.
   */
  cache?: { enabled?: boolean; maxBytes?: number; ttlSeconds?: number; dir?: string; now?: () => number };
}

export interface RunningDaemon {
  host: string;
  port: number;
  /** Base URL to put in ANTHROPIC_BASE_URL. */
  url: string;
  /** Dashboard URL carrying the token (trade it for a cookie on first open). */
  dashboardUrl: string;
  token: string;
  dataDir: string;
  store: Store;
  /** Prometheus metrics (`setLimitUtilization` is the plan-limit hook). */
  metrics: Metrics;
  /** Bound beyond loopback: reachable from other machines, stored key never added (see proxy/stored-key.ts). */
  exposed: boolean;
  /** The history import (null when `history` was not given). */
  history: HistoryService | null;
  /** Plan-limit state per credential (GET /api/limits). */
  limits: LimitTracker;
  /** The response cache (GET /api/cache). */
  responseCache: ResponseCache;
  /** Why the store could not be opened at start (the daemon forwards, holding records, and retries), else null. */
  storeStandby: string | null;
  /** True when startDaemon resolved while the store was still opening (it forwards and holds records meanwhile). */
  storeOpening: boolean;
  /** Federated team mode's shipper (null when `team` was not given). */
  team: TeamShipper | null;
  /** The OTLP metrics export (null when `otlp` was not given). */
  otlp: OtlpExport | null;
  /** Pause (false) or resume (true) recording; paused, requests are still forwarded but not stored. */
  setRecording(enabled: boolean): void;
  readonly recording: boolean;
  close(): Promise<void>;
}

/** A start-up failure with a one-line message meant for the user. */
export class DaemonStartError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
    this.name = 'DaemonStartError';
  }
}

function ensurePrivateDir(dir: string) {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
}

/** The dashboard token: stable per data dir so bookmarked dashboard URLs keep working; file mode 0600. */
function loadOrCreateToken(dataDir: string, log: Logger): string {
  const file = path.join(dataDir, 'token');
  try {
    const existing = fs.readFileSync(file, 'utf8').trim();
    if (existing.length >= 32) return existing;
  } catch {
    // first start
  }
  const token = randomBytes(24).toString('base64url');
  try {
    fs.writeFileSync(file, token + '\n', { mode: 0o600 });
  } catch (err) {
    // A full or read-only disk must not stop forwarding: this run's token stays in memory (a dashboard
    // URL printed now works until the next start).
    log.error(`the dashboard token cannot be saved (${(err as Error).message}); it lasts until the daemon stops`);
  }
  return token;
}

/** The built-in price table plus the user's pricing.json, if any; a malformed file stops the start. */
async function loadPricer(configDir: string, log: Logger): Promise<Pricer> {
  let loaded;
  try {
    loaded = await loadPriceOverrides(configDir);
  } catch (err) {
    throw new DaemonStartError((err as Error).message, 'EPRICING');
  }
  const pricer = createPricer(loaded?.overrides ?? null);
  for (const warning of pricer.warnings) log.warn(warning);
  return pricer;
}

function defaultStaticDir(): string {
  return path.join(path.dirname(fileURLToPath(import.meta.url)), 'public');
}

function listen(server: ReturnType<typeof createDaemonServer>, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      if (err.code === 'EADDRINUSE') {
        reject(new DaemonStartError(`Port ${port} on ${host} is already in use (another CCO daemon or another program). Stop it, or choose another port with --port or CCO_PORT.`, 'EADDRINUSE'));
      } else if (err.code === 'EACCES') {
        reject(new DaemonStartError(`Not allowed to listen on ${host}:${port}. Choose a port above 1024 with --port or CCO_PORT.`, 'EACCES'));
      } else if (err.code === 'EADDRNOTAVAIL') {
        reject(new DaemonStartError(`Cannot listen on ${host}: no such local address.`, 'EADDRNOTAVAIL'));
      } else reject(err);
    };
    const onListening = () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}

export async function startDaemon(options: DaemonOptions = {}): Promise<RunningDaemon> {
  const log = options.log ?? createLogger();
  const host = options.host ?? DEFAULT_HOST;
  const requestedPort = options.port ?? DEFAULT_PORT;
  let upstream: URL;
  try {
    upstream = new URL(options.upstreamUrl ?? DEFAULT_UPSTREAM);
    if (upstream.protocol !== 'http:' && upstream.protocol !== 'https:') throw new Error('not http(s)');
  } catch {
    throw new DaemonStartError(`Invalid upstream URL ${JSON.stringify(options.upstreamUrl)}: use http(s)://host[:port]`, 'EUPSTREAM');
  }
  if (options.otlp) {
    const { metricsUrl } = await import('./metrics/otlp.ts');
    try {
      if (!/^https?:$/.test(new URL(metricsUrl(options.otlp.endpoint)).protocol)) throw new Error('not http(s)');
    } catch {
      throw new DaemonStartError('Invalid OTLP endpoint ([metrics] otlp_endpoint / CCO_OTLP_ENDPOINT): use http(s)://host[:port][/path]', 'EOTLP');
    }
  }
  const dataDir = path.resolve(options.dataDir ?? platformDirs().dataDir);
  ensurePrivateDir(dataDir);
  const lock = takeDataLock(dataDir);
  try {
    return await startLocked(options, log, host, requestedPort, upstream, dataDir, lock);
  } catch (err) {
    lock.release();
    throw err;
  }
}

/** A PID file that cannot be written (full disk) is reported, not fatal. */
function writePidFileOrWarn(log: Logger, write: () => string): string | null {
  try {
    return write();
  } catch (err) {
    log.error(`the PID file cannot be written (${(err as Error).message}); \`cco status\` will not list this daemon`);
    return null;
  }
}

/** The data folder's lock for this daemon, or a one-line DaemonStartError naming the one that holds it. */
function takeDataLock(dataDir: string): DataLock {
  try {
    return acquireDataLock(dataDir, 'daemon', { deferOnFullDisk: true });
  } catch (err) {
    if (err instanceof DataLockHeldError) {
      const stop = err.holder.role === 'daemon' && err.holder.port !== null ? ` Stop it first (cco shutdown --port ${err.holder.port}),` : ' Stop it first,';
      throw new DaemonStartError(`CCO cannot start: ${err.message}.${stop} or use another data folder.`, 'ELOCKED');
    }
    throw err;
  }
}

async function startLocked(
  options: DaemonOptions,
  log: Logger,
  host: string,
  requestedPort: number,
  upstream: URL,
  dataDir: string,
  lock: DataLock,
): Promise<RunningDaemon> {
  const token = options.token ?? loadOrCreateToken(dataDir, log);
  const configDir = options.configDir ?? platformDirs().configDir;
  let pricer = options.pricer ?? (await loadPricer(configDir, log));
  const apiKey = options.apiKey ?? process.env.ANTHROPIC_API_KEY;
  const startedAt = Date.now();

  const storeLog = (level: 'debug' | 'info' | 'warn' | 'error', msg: string) => log[level](msg);
  // Federated: the database may be down now; only a malformed URL stops the start. Opened before the store:
  // records the store is about to replay from its journal are offered to the outbox first (team/reoffer.ts).
  let team: TeamShipper | null = null;
  if (options.team) {
    try {
      team = await (await import('./team/shipper.ts')).openTeamShipper({ ...options.team, dataDir, log: storeLog });
    } catch (err) {
      if (err instanceof (await import('./store-pg/pool.ts')).DatabaseError) throw new DaemonStartError(`[team] url: ${err.message}`, 'EDATABASE');
      throw err;
    }
  }
  let store: Store;
  /** The embedded store, opened in the background (store/standby.ts); null for PostgreSQL. */
  let background: BackgroundStore | null = null;
  try {
    if (team && !options.databaseUrl) {
      const offered = await (await import('./team/reoffer.ts')).reofferStoreJournal(dataDir, team, (m) => log.warn(m));
      if (offered > 0) log.info(`team: ${offered} record(s) of the store's journal offered to the outbox again (the team database skips those it has)`);
    }
    // PostgreSQL (and `pg`) only for a team setup: loaded here, not at every start.
    if (options.databaseUrl) {
      dropPrestartedWorker(); // the sql.js worker `cco run` started ahead is not needed
      store = await (await import('./store-pg/index.ts')).openPgStore({ url: options.databaseUrl, dataDir, retentionDays: options.retentionDays, log: storeLog });
    } else {
      // Forwarding never waits for the store: it opens (loads, migrates) behind the proxy, which holds the
      // records meanwhile in a held file; a store that cannot be opened puts the daemon on standby.
      background = openStoreInBackground({
        open: async (step) => {
          lock.ensure(); // the lock could not be written at start (full disk): take it before writing the store
          return openStore({ dataDir, retentionDays: options.retentionDays, log: storeLog, onStep: step, ...(options.storeWorker && { workerLocation: options.storeWorker }) });
        },
        dataDir,
        log: storeLog,
        ...(options.storeRetryMs !== undefined && { retryMs: options.storeRetryMs }),
      });
      store = background;
    }
  } catch (err) {
    await team?.close();
    if (options.databaseUrl && err instanceof (await import('./store-pg/pool.ts')).DatabaseError) throw new DaemonStartError(err.message, 'EDATABASE');
    throw err;
  }

  const hosts = new Set<string>();
  const exposed = bindsBeyondLoopback(host);
  // Central gateway: beyond loopback every proxied request needs a per-user token (cco users add NAME).
  const users = createUserDirectory(dataDir, (m) => log.warn(m));
  const policy: TrustPolicy = {
    token,
    hosts,
    origins: new Set(['app://cco', ...(options.allowedOrigins ?? []), ...serverNameTrust(options.serverNames ?? [], 0).origins]),
    // A user token opens the dashboard and API narrowed to its records; only a store that knows users can narrow.
    ...(isTeamStore(store) && { userOf: (t: string) => users.userOf(t) }),
    gateway: () => exposed || users.count() > 0,
  };
  const keyContext: StoredKeyContext = { policy, exposed };
  const limiter = options.rateLimit === false ? undefined : createRateLimiter(options.rateLimit);
  let recording = options.recording ?? true;
  const live = createLiveFeed(policy, VERSION, limiter && { admit: limiter.admitUpgrade });
  const guards = createGuards({
    configDir,
    dataDir,
    log,
    // While the store opens, answered by it as it opens, before the records held meanwhile (booked by the guards) reach it.
    summary: (from, to, tz) => {
      const q = { range: 'custom', from, to, tz, sessions: false } as const;
      return background ? background.summaryAtOpen(q) : store.summary(q);
    },
    // …and the records held meanwhile (this run's, a killed run's held files) are booked beside those answers
    ...(background && { held: () => background.heldRecords() }),
    broadcast: (msg) => live.broadcast(msg),
    // federated: every request of this daemon is its `[team] user`'s (per-user budgets)
    defaultUser: team?.user ?? null,
    // the embedded store answers a summary with exactly the records added before it: spend is read at the first rule
    spendAtStart: isTeamStore(store),
  });
  const limits = createLimitTracker({
    dataDir,
    warn: (m) => log.warn(m),
    onChange: (c) => live.broadcast({ type: 'limits', limits: c }),
    onUnified: guards.onUnified,
  });
  const agent = createUpstreamAgent(upstream);
  const sessionProjects = createSessionProjects();
  const metrics = createMetrics({ store: () => store, ...(team && { team: () => team.status() }) });
  if (options.metricsOpen && exposed) log.warn('[metrics] open is ignored: the daemon listens beyond loopback, so /metrics needs the token');
  if (exposed && users.count() === 0) log.warn('listening beyond loopback with no users: every proxied request is refused until `cco users add NAME`');
  let gateway: ReturnType<typeof createGateway> | null = null;
  const responseCache = createResponseCache({
    dir: path.resolve(options.cache?.dir ?? platformCacheDir()),
    enabled: options.cache?.enabled ?? false,
    maxBytes: options.cache?.maxBytes ?? 1024 * 1024 * 1024,
    ttlSeconds: options.cache?.ttlSeconds ?? 3600,
    ...(options.cache?.now && { now: options.cache.now }),
    warn: (m) => log.warn(m),
  });
  const proxy = createProxyHandler({
    upstream,
    agent,
    userOf: (req) => gateway?.userOf(req) ?? null,
    storedKey: (req) => {
      if (!apiKey || hasCredential(req.rawHeaders)) return undefined;
      // A request the central gateway admitted with a valid per-user token may use the stored key (the
      // seam of stored-key.ts); one without never reaches this point when the daemon is exposed.
      if (exposed && gateway?.userOf(req)) return apiKey;
      const decision = mayInjectStoredKey(req, keyContext);
      if (decision.inject) return apiKey;
      log.debug('stored key withheld', { reason: decision.reason, path: req.url });
      return undefined;
    },
    idleTimeoutMs: options.idleTimeoutMs,
    log,
    onFinished(finished) {
      if (!recording) return observeFinished(limits, finished, null);
      const record = buildRecord(finished, pricer);
      if (finished.user !== null) record.user = finished.user;
      if (record.cacheHit) responseCache.noteSaved(record.cacheSavingsNanoUsd);
      observeFinished(limits, finished, record);
      guards.onRecord(record);
      live.publish(record, store.add(record));
      team?.add(record);
      logRequest(log, record);
      metrics.observe(record, finished.proxyAddedMs);
      options.onRecord?.(record);
    },
    whenRecorded: (done) => store.whenWritten(team ? () => team.whenWritten(done) : done),
    admit: (method, p, headers, user) => guards.budgets.admit(method, p, headers, user),
    admitAttributed: (a, user) => guards.budgets.admitAttributed(a, user),
    completeAttribution: (a) => sessionProjects.complete(a),
    // x-cco-cache is taken off every request (never forwarded), whether or not the cache is on.
    cachePlan: (req) => responseCache.plan(req, takeCacheMode(req)),
  });
  // Serialised so two reprice runs never interleave their page writes.
  let repricing: Promise<unknown> = Promise.resolve();
  const repriceAll = (since: number | undefined) => {
    const run = repricing.then(async () => {
      const next = options.pricer ?? (await loadPricer(configDir, log));
      const report = await repriceStored(store, next, { since });
      pricer = next;
      log.info('repriced stored requests', { ...report });
      return report;
    });
    repricing = run.catch(() => undefined);
    return run;
  };
  gateway = createGateway({ proxy, userOfToken: (t) => users.userOf(t), required: exposed });
  const history = options.history
    ? startHistoryService({
        ...options.history,
        dataDir,
        // federated: imported records are shipped too (the team ledger skips any it already has)
        // While the store opens the import waits for it (on standby it fails, and the next run tries again).
        sink: {
          addBulk: async (records) => {
            await background?.whenOpen();
            if (team) for (const r of records) team.add(r);
            return store.addBulk(records);
          },
          findByUpstreamRequestIds: async (ids, range) => {
            await background?.whenOpen();
            return store.findByUpstreamRequestIds(ids, range);
          },
        },
        pricer: () => pricer,
        publish: (status) => live.broadcast({ type: 'import', status }),
        log: (level, msg, fields) => log[level](msg, fields),
      })
    : null;
  const app = createApiApp({
    policy, store, pricer: () => pricer, reprice: repriceAll, version: VERSION, startedAt, staticDir: options.staticDir ?? defaultStaticDir, log, rateLimit: limiter?.middleware,
    metrics: { render: () => metrics.render(), contentType: metrics.contentType, open: !!options.metricsOpen && !exposed },
    ...(history && { history }),
    limits: () => limits.snapshot(),
    responseCache,
    recordingEnabled: () => recording,
    ...(team && { team: () => team.status() }),
    extraApi: guards.routes,
    liveSeq: () => live.seq(),
  });
  // Proxied requests in flight: shutdown records each of them before the store closes.
  let inFlight = 0;
  let onIdle: (() => void) | null = null;
  const gatewayHandler = gateway.handler;
  const proxyHandler: typeof gatewayHandler = (req, res) => {
    inFlight++;
    // 'close' comes after the record is added: a complete response ends only once its record is written,
    // an aborted one is recorded in its own 'close' handler, registered before this one.
    res.once('close', () => {
      inFlight--;
      if (inFlight === 0) onIdle?.();
    });
    gatewayHandler(req, res);
  };
  const server = createDaemonServer({ api: app, proxy: proxyHandler, live });
  // After a burst of requests, one collection of this thread's heap once quiet (its young generation shrinks).
  watchIdle(server, new IdleCollector());

  let port: number;
  try {
    // Budgets read today's/this week's/this month's spend first: a request booked meanwhile would be counted twice.
    // The embedded store answers that read as it opens, before the records held meanwhile reach it
    // (summaryAtOpen), so the proxy need not wait for it; the PostgreSQL store is open by now.
    if (!background) await guards.ready;
    port = await listen(server, requestedPort, host);
  } catch (err) {
    live.close();
    agent.destroy();
    await history?.close();
    await team?.close();
    await store.close();
    throw err;
  }
  lock.setPort(port);
  for (const h of [...loopbackHosts(port, host), ...serverNameTrust(options.serverNames ?? [], port).hosts]) hosts.add(h);
  // The OpenTelemetry SDK is loaded only here, only when an endpoint is configured.
  const otlp = options.otlp ? await (await import('./metrics/otlp.ts')).startOtlpExport(metrics, { ...options.otlp, version: VERSION, port, log }) : null;
  const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  const url = `http://${urlHost}:${port}`;
  const pidDir = options.pidDir;
  const pidFile =
    pidDir === false
      ? null
      : writePidFileOrWarn(log, () => writePidFile(pidDir ?? pidDirOf(dataDir), { pid: process.pid, port, started_at: new Date(startedAt).toISOString(), version: VERSION, url, data_dir: dataDir }));

  let closing: Promise<void> | null = null;
  const close = () => {
    closing ??= (async () => {
      live.close();
      const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      // In-flight requests get the grace period to finish; then their connections are cut, which records
      // each as client_aborted with the usage seen so far — all before the store closes.
      const idle = (ms: number) =>
        inFlight === 0
          ? Promise.resolve(true)
          : new Promise<boolean>((resolve) => {
              const t = setTimeout(() => resolve(false), ms);
              onIdle = () => {
                clearTimeout(t);
                resolve(true);
              };
            });
      const graceMs = options.shutdownGraceMs ?? SHUTDOWN_GRACE_MS;
      if (!(await idle(graceMs))) {
        log.info('shutdown: cutting requests still in flight', { inFlight });
        server.closeAllConnections();
        if (!(await idle(2000))) log.error('shutdown: requests still unrecorded after they were cut', { inFlight });
      }
      server.closeIdleConnections(); // keep-alive connections that went idle during the grace period
      const closedSoon = await Promise.race([serverClosed.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 1000).unref())]);
      if (!closedSoon) server.closeAllConnections(); // API requests still running (an export): cut
      await serverClosed;
      await otlp?.stop(); // one last export of the final counts (bounded), before the store closes
      agent.destroy();
      await history?.close();
      limits.close();
      await responseCache.close();
      try {
        await team?.close();
        await store.close();
      } finally {
        if (pidFile) removePidFile(pidFile, process.pid);
        lock.release();
      }
    })();
    return closing;
  };

  // Listening and forwarding already; a normal start also has its store open before it says it started.
  const openWaitMs = options.storeOpenWaitMs ?? STORE_OPEN_WAIT_MS;
  if (background?.state === 'opening' && openWaitMs > 0) {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([background.whenOpen().catch(() => undefined), new Promise<void>((r) => (timer = setTimeout(r, openWaitMs)))]);
    clearTimeout(timer);
  }
  const storeStandby = background?.state === 'standby' ? (background.health().standby?.reason ?? 'unknown') : null;
  const storeOpening = background?.state === 'opening' || background?.state === 'storing-held';
  if (storeOpening) log.info('the request store is still opening: requests are forwarded and their records held until it is open (GET /api/status)');
  log.info('daemon started', { url, upstream: upstream.origin, dataDir, version: VERSION });
  if (exposed) log.warn(exposedWarning(host, port));
  return {
    host,
    port,
    url,
    dashboardUrl: `${url}/?token=${encodeURIComponent(token)}`,
    token,
    dataDir,
    store,
    metrics,
    exposed,
    history,
    limits,
    responseCache,
    storeStandby,
    storeOpening,
    team,
    otlp,
    close,
    setRecording(enabled: boolean) {
      if (enabled !== recording) log.info(enabled ? 'recording resumed' : 'recording paused');
      recording = enabled;
    },
    get recording() {
      return recording;
    },
  };
}

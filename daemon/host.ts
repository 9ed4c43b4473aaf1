/**
 * hostDaemon(): the one composition root around startDaemon. Every host calls it, so the daemon is the same
 * program however it is started: `cco run` (cli/run.ts), the Electron utility process (entry-utility.ts),
 * the app's `--daemon` mode (main/index.ts) and the standalone bundle (entry-node.ts → `cco run`).
 *
 * It loads config.toml (defaults < file < CCO_* env < flags), the stored Anthropic key (env first, then the
 * credential store), the redacting rotating file logger, telemetry, rate limits, the database path or URL,
 * the PID file, the Claude Code history import, and refuses a second daemon on a port a live one already
 * has. close() stops all of it in order.
 */
import path from 'node:path';
import { DaemonStartError, startDaemon, type RunningDaemon } from './index.ts';
import type { WorkerLocation } from './store/worker-url.ts';
import { platformCacheDir } from './config/paths.ts';
import { loadConfig, logFilePath, type LoadedConfig, type LoadOptions } from './config/load.ts';
import { parseHeaderList } from './config/schema.ts';
import { DEFAULT_CREDENTIAL, openCredentialStore } from './credentials/store.ts';
import { defaultRoots } from './history/sources.ts';
import { createFileLogger, type FileLogger } from './logging/file-logger.ts';
import { createPricer } from './pricing/index.ts';
import { createTelemetry, type Telemetry } from './telemetry/telemetry.ts';
import { listDaemons, pidDirOf } from './pidfile.ts';
import { hostEnv } from './host-target.ts';

export { hostEnv, hostTarget } from './host-target.ts';
import { VERSION } from './version.ts';
import { parseServerNames } from './api/auth.ts';

export interface HostOptions {
  /** Environment (CCO_*, ANTHROPIC_API_KEY, HOME…); default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Command-line values by dotted key (`server.port`), highest precedence. */
  flags?: LoadOptions['flags'];
  /** Explicit config file (`--config`). */
  configFile?: string;
  /** Explicit data dir (`--data-dir`); same as CCO_DATA_DIR. */
  dataDir?: string;
  /** Built dashboard to serve (the app passes its renderer folder). */
  staticDir?: string;
  /** Start with recording paused. */
  paused?: boolean;
  /** Import and follow Claude Code's transcripts (default on; CCO_HISTORY=off turns it off). */
  history?: boolean;
  /** One-line warnings meant for the user before the log file exists (e.g. the key store cannot be read). */
  warn?: (line: string) => void;
  /** DaemonOptions.storeOpenWaitMs: how long the start waits for the store to open once listening (default 5 s). */
  storeOpenWaitMs?: number;
  /** DaemonOptions.storeWorker: the store worker the app's entry knows is beside it (entry-utility.ts). */
  storeWorker?: WorkerLocation;
}

export type ApiKeySource = 'env' | 'credential-store' | null;

export interface HostedDaemon {
  daemon: RunningDaemon;
  loaded: LoadedConfig;
  log: FileLogger;
  telemetry: Telemetry;
  apiKeySource: ApiKeySource;
  /** Flushes the store's journal to disk (the first thing done on a shutdown request). */
  flush(): Promise<void>;
  /** Closes the daemon, stops telemetry, closes the log. Idempotent. */
  close(): Promise<void>;
}

/** The stored key for clients that send none: ANTHROPIC_API_KEY, else the credential store's `anthropic`. */
function readApiKey(env: NodeJS.ProcessEnv, warn: (line: string) => void): { key: string | undefined; source: ApiKeySource } {
  if (env.ANTHROPIC_API_KEY) return { key: env.ANTHROPIC_API_KEY, source: 'env' };
  try {
    const key = openCredentialStore(env).get(DEFAULT_CREDENTIAL) ?? undefined;
    return { key, source: key ? 'credential-store' : null };
  } catch (err) {
    warn(`the stored Anthropic key cannot be read: ${(err as Error).message}`);
    return { key: undefined, source: null };
  }
}

export async function hostDaemon(opts: HostOptions = {}): Promise<HostedDaemon> {
  const env = hostEnv(opts.env ?? process.env, opts.dataDir);
  const warn = opts.warn ?? (() => {});
  const loaded = loadConfig({ env, flags: opts.flags, file: opts.configFile && path.resolve(opts.configFile) });
  const { config, dirs } = loaded;

  const pidDir = pidDirOf(dirs.dataDir);
  const busy = config.server.port !== 0 && listDaemons(pidDir).running.find((e) => e.record.port === config.server.port);
  if (busy) {
    throw new DaemonStartError(
      `CCO is already running on port ${busy.record.port} (pid ${busy.record.pid}, ${busy.record.url}). Stop it with \`cco shutdown --port ${busy.record.port}\`, or use another --port.`,
      'EBUSY',
    );
  }

  const { key: apiKey, source: apiKeySource } = readApiKey(env, warn);
  const secrets: string[] = apiKey ? [apiKey] : [];
  const otlpHeaders = parseHeaderList(config.metrics.otlp_headers) ?? {};
  secrets.push(...Object.values(otlpHeaders).filter((v) => v.length >= 4)); // the collector's credentials never reach the log
  const log = createFileLogger({ file: logFilePath(loaded), level: config.logging.level, secrets: () => secrets });
  const telemetry = createTelemetry({
    enabled: config.telemetry.enabled,
    endpoint: config.telemetry.endpoint,
    intervalMs: config.telemetry.interval_seconds * 1000,
    version: VERSION,
    onError: (m) => log.debug(m),
  });
  const history = opts.history !== false && env.CCO_HISTORY !== 'off';

  let daemon: RunningDaemon;
  try {
    daemon = await startDaemon({
      host: config.server.host,
      port: config.server.port,
      upstreamUrl: config.server.upstream_url,
      serverNames: parseServerNames(config.server.names) ?? [],
      dataDir: config.database.path || dirs.dataDir,
      configDir: dirs.configDir,
      ...(config.database.url ? { databaseUrl: config.database.url } : {}),
      ...(config.team.url ? { team: { url: config.team.url, user: config.team.user } } : {}),
      metricsOpen: config.metrics.open,
      ...(config.metrics.otlp_endpoint ? { otlp: { endpoint: config.metrics.otlp_endpoint, intervalMs: config.metrics.otlp_interval_seconds * 1000, headers: otlpHeaders } } : {}),
      apiKey: apiKey ?? '',
      log,
      pricer: config.pricing.overrides ? undefined : createPricer(),
      rateLimit: config.rate_limit.enabled ? { requestsPerMinute: config.rate_limit.requests_per_minute, maxConnections: config.rate_limit.max_connections } : false,
      pidDir,
      onRecord: (r) => telemetry.record(r),
      cache: { enabled: config.cache.enabled, maxBytes: config.cache.size, ttlSeconds: config.cache.ttl, dir: config.cache.dir || platformCacheDir(env) },
      recording: !opts.paused,
      ...(opts.staticDir ? { staticDir: opts.staticDir } : {}),
      ...(history && { history: { roots: defaultRoots(env) } }),
      ...(opts.storeOpenWaitMs !== undefined && { storeOpenWaitMs: opts.storeOpenWaitMs }),
      ...(opts.storeWorker && { storeWorker: opts.storeWorker }),
    });
  } catch (err) {
    log.error('daemon failed to start', { error: (err as Error).message });
    log.close();
    throw err;
  }
  secrets.push(daemon.token);
  telemetry.start();

  let closing: Promise<void> | null = null;
  return {
    daemon,
    loaded,
    log,
    telemetry,
    apiKeySource,
    flush: () => daemon.store.flush(),
    close: () =>
      (closing ??= (async () => {
        log.info('daemon stopping');
        await daemon.close();
        await telemetry.stop();
        log.info('daemon stopped');
        log.close();
      })()),
  };
}

/**
 * `cco run`: the daemon in the foreground. Config (defaults < config.toml < env < flags), the stored
 * Anthropic key, the rotating file log, rate limits, the PID file and telemetry, all around startDaemon.
 * SIGINT/SIGTERM (what `cco shutdown` sends) close it gracefully.
 */
import path from 'node:path';
import { exposedWarning } from '../proxy/stored-key.ts';
import { defaultRoots } from '../history/sources.ts';
import { DaemonStartError, startDaemon, type RunningDaemon } from '../index.ts';
import { loadConfig, logFilePath } from '../config/load.ts';
import { openCredentialStore, DEFAULT_CREDENTIAL } from '../credentials/store.ts';
import { createFileLogger } from '../logging/file-logger.ts';
import { createPricer } from '../pricing/index.ts';
import { createTelemetry } from '../telemetry/telemetry.ts';
import { VERSION } from '../version.ts';
import { openBrowser } from './browser.ts';
import { CliError, parse, type Io } from './common.ts';
import { listDaemons, pidDirOf } from './pidfile.ts';

export const RUN_USAGE = `Usage: cco run [options]

Runs the CCO daemon in the foreground (Ctrl-C or \`cco shutdown\` stops it).

  --port <n>          port (default 3000; config server.port; env CCO_PORT; 0 = any free port)
  --host <addr>       address (default 127.0.0.1; config server.host; env CCO_HOST)
  --upstream <url>    Anthropic API base URL (config server.upstream_url; env CCO_UPSTREAM_URL)
  --data-dir <dir>    data, logs and PID files (env CCO_DATA_DIR)
  --config <file>     config file (default: <config dir>/config.toml)
  --log-level <lvl>   debug | info | warn | error (config logging.level; env CCO_LOG_LEVEL)
  --no-browser        do not open the dashboard (config server.auto_browser; env NO_BROWSER)
  --paused            start with recording paused: requests are forwarded but not stored (as the tray's
                      Pause recording; bench:proxy uses it to measure the proxy without its bookkeeping)
  --no-history        do not import Claude Code's transcripts (first-start import and following new lines;
                      env CCO_HISTORY=off)
  -h, --help          show this help
`;

export interface RunHooks {
  /** Called once the daemon listens (tests, hosts). */
  onStarted?: (daemon: RunningDaemon) => void;
  /** Resolves when the daemon should stop; default: SIGINT or SIGTERM. */
  stopSignal?: Promise<string>;
}

function waitForSignal(): Promise<string> {
  return new Promise((resolve) => {
    const stop = (signal: string) => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      process.off('SIGHUP', stop);
      resolve(signal);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    process.on('SIGHUP', stop);
  });
}

export async function runCommand(argv: string[], io: Io, hooks: RunHooks = {}): Promise<number> {
  const { values } = parse(
    argv,
    {
      port: { type: 'string' },
      host: { type: 'string' },
      upstream: { type: 'string' },
      'data-dir': { type: 'string' },
      config: { type: 'string' },
      'log-level': { type: 'string' },
      'no-browser': { type: 'boolean' },
      paused: { type: 'boolean' },
      'no-history': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    RUN_USAGE,
  );
  if (values.help) {
    io.out(RUN_USAGE);
    return 0;
  }
  const env = values['data-dir'] ? { ...io.env, CCO_DATA_DIR: path.resolve(values['data-dir']) } : io.env;
  const flags: Record<string, { value: string; label: string }> = {};
  if (values.port !== undefined) flags['server.port'] = { value: values.port, label: '--port' };
  if (values.host !== undefined) flags['server.host'] = { value: values.host, label: '--host' };
  if (values.upstream !== undefined) flags['server.upstream_url'] = { value: values.upstream, label: '--upstream' };
  if (values['log-level'] !== undefined) flags['logging.level'] = { value: values['log-level'], label: '--log-level' };
  const loaded = loadConfig({ env, flags, file: values.config && path.resolve(values.config) });
  const { config, dirs } = loaded;

  const pidDir = pidDirOf(dirs.dataDir);
  const busy = config.server.port !== 0 && listDaemons(pidDir).running.find((e) => e.record.port === config.server.port);
  if (busy) {
    throw new CliError(`CCO is already running on port ${busy.record.port} (pid ${busy.record.pid}, ${busy.record.url}). Stop it with \`cco shutdown --port ${busy.record.port}\`, or use another --port.`);
  }

  let apiKey = env.ANTHROPIC_API_KEY || undefined;
  if (!apiKey) {
    try {
      apiKey = openCredentialStore(env).get(DEFAULT_CREDENTIAL) ?? undefined;
    } catch (err) {
      io.err(`cco: warning: the stored Anthropic key cannot be read: ${(err as Error).message}\n`);
    }
  }
  const secrets: string[] = apiKey ? [apiKey] : [];
  const log = createFileLogger({ file: logFilePath(loaded), level: config.logging.level, secrets: () => secrets });
  const telemetry = createTelemetry({
    enabled: config.telemetry.enabled,
    endpoint: config.telemetry.endpoint,
    intervalMs: config.telemetry.interval_seconds * 1000,
    version: VERSION,
    onError: (m) => log.debug(m),
  });

  let daemon: RunningDaemon;
  try {
    daemon = await startDaemon({
      host: config.server.host,
      port: config.server.port,
      upstreamUrl: config.server.upstream_url,
      dataDir: config.database.path || dirs.dataDir,
      ...(config.database.url ? { databaseUrl: config.database.url } : {}),
      metricsOpen: config.metrics.open,
      apiKey: apiKey ?? '',
      log,
      pricer: config.pricing.overrides ? undefined : createPricer(),
      rateLimit: config.rate_limit.enabled ? { requestsPerMinute: config.rate_limit.requests_per_minute, maxConnections: config.rate_limit.max_connections } : false,
      pidDir,
      onRecord: (r) => telemetry.record(r),
      recording: !values.paused,
      ...(!values['no-history'] && env.CCO_HISTORY !== 'off' && { history: { roots: defaultRoots(env) } }),
    });
  } catch (err) {
    log.error('daemon failed to start', { error: (err as Error).message });
    log.close();
    if (err instanceof DaemonStartError) throw new CliError(err.message);
    throw err;
  }
  secrets.push(daemon.token);
  telemetry.start();
  io.out(
    [
      '',
      `CCO ${VERSION} is listening on ${daemon.url}`,
      `Dashboard: ${daemon.dashboardUrl}`,
      `Data: ${daemon.dataDir}`,
      `Log: ${log.file}`,
      `Config: ${loaded.file}${loaded.fileExists ? '' : ' (not present; defaults in use)'}`,
      `Anthropic key for local clients that send none: ${apiKey ? (env.ANTHROPIC_API_KEY ? 'ANTHROPIC_API_KEY' : 'credential store') : 'none'}${apiKey && daemon.exposed ? ' (off: bound beyond loopback)' : ''}`,
      ...(daemon.exposed ? ['', '!'.repeat(72), exposedWarning(config.server.host, daemon.port), '!'.repeat(72)] : []),
      ...(values.paused ? ['Recording: PAUSED (--paused): requests are forwarded, not stored'] : []),
      '',
      'Point Claude Code (or any Anthropic SDK) at it:',
      `  export ANTHROPIC_BASE_URL=${daemon.url}`,
      '',
    ].join('\n') + '\n',
  );
  if (config.server.auto_browser && !values['no-browser'] && !env.NO_BROWSER) void openBrowser(daemon.dashboardUrl, env);
  hooks.onStarted?.(daemon);

  const signal = await (hooks.stopSignal ?? waitForSignal());
  io.out(`\n${signal}: shutting down…\n`);
  log.info('daemon stopping', { signal });
  await daemon.close();
  await telemetry.stop();
  log.info('daemon stopped');
  log.close();
  return 0;
}

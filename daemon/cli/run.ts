/**
 * `cco run`: the daemon in the foreground, composed by daemon/host.ts like every other host (config, stored
 * key, file log, rate limits, PID file, telemetry); this file only parses flags and prints the banner.
 * SIGINT/SIGTERM (what `cco shutdown` sends) close it gracefully.
 */
import { exposedWarning } from '../proxy/stored-key.ts';
import { DaemonStartError, type RunningDaemon } from '../index.ts';
import { hostDaemon, hostEnv, type HostedDaemon } from '../host.ts';
import { VERSION } from '../version.ts';
import { openBrowser } from './browser.ts';
import { CliError, parse, type Io } from './common.ts';

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
  const env = hostEnv(io.env, values['data-dir']);
  const flags: Record<string, { value: string; label: string }> = {};
  if (values.port !== undefined) flags['server.port'] = { value: values.port, label: '--port' };
  if (values.host !== undefined) flags['server.host'] = { value: values.host, label: '--host' };
  if (values.upstream !== undefined) flags['server.upstream_url'] = { value: values.upstream, label: '--upstream' };
  if (values['log-level'] !== undefined) flags['logging.level'] = { value: values['log-level'], label: '--log-level' };

  let hosted: HostedDaemon;
  try {
    hosted = await hostDaemon({
      env,
      flags,
      configFile: values.config,
      paused: values.paused,
      history: !values['no-history'],
      warn: (line) => io.err(`cco: warning: ${line}\n`),
    });
  } catch (err) {
    if (err instanceof DaemonStartError) throw new CliError(err.message);
    throw err;
  }
  const { daemon, loaded, log, apiKeySource } = hosted;
  const { config } = loaded;
  // Listen for the stop signals before printing where the daemon listens: a supervisor (or a test) may send
  // SIGTERM as soon as it reads that line, and a signal without a handler yet takes the default action and
  // ends the process without its final snapshot (CI saw it twice: exit by SIGTERM, code null).
  const stopping = hooks.stopSignal ?? waitForSignal();
  io.out(
    [
      '',
      `CCO ${VERSION} is listening on ${daemon.url}`,
      `Dashboard: ${daemon.dashboardUrl}`,
      `Data: ${daemon.dataDir}`,
      `Log: ${log.file}`,
      `Config: ${loaded.file}${loaded.fileExists ? '' : ' (not present; defaults in use)'}`,
      `Anthropic key for local clients that send none: ${apiKeySource === 'env' ? 'ANTHROPIC_API_KEY' : apiKeySource === 'credential-store' ? 'credential store' : 'none'}${apiKeySource && daemon.exposed ? ' (off: bound beyond loopback)' : ''}`,
      ...(daemon.exposed ? ['', '!'.repeat(72), exposedWarning(config.server.host, daemon.port), '!'.repeat(72)] : []),
      ...(values.paused ? ['Recording: PAUSED (--paused): requests are forwarded, not stored'] : []),
      ...(daemon.storeStandby
        ? ['', `Recording: NOT POSSIBLE: the request store cannot be opened (${daemon.storeStandby}).`, 'Requests are forwarded and their records held until it can be; CCO retries every few seconds (GET /api/status says where they are held).']
        : []),
      ...(daemon.storeOpening
        ? ['', 'Recording: the request store is still opening (a migration after an upgrade takes a while).', 'Requests are forwarded; their records are held on disk and stored once it is open (GET /api/status).']
        : []),
      '',
      'Point Claude Code (or any Anthropic SDK) at it:',
      `  export ANTHROPIC_BASE_URL=${daemon.url}`,
      '',
    ].join('\n') + '\n',
  );
  if (config.server.auto_browser && !values['no-browser'] && !env.NO_BROWSER) void openBrowser(daemon.dashboardUrl, env);
  hooks.onStarted?.(daemon);

  const signal = await stopping;
  io.out(`\n${signal}: shutting down…\n`);
  log.info('stop requested', { signal });
  await hosted.close();
  return 0;
}

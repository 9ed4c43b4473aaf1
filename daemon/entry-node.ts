/**
 * Plain-Node host for the daemon: flags/env → startDaemon, signals → close. `npm run daemon` runs this.
 */
import { ConfigError, DAEMON_USAGE, parseDaemonArgs } from './config/options.ts';
import { DaemonStartError, startDaemon } from './index.ts';
import { VERSION } from './version.ts';

export async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseDaemonArgs(argv);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`cco: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  if (parsed.help) {
    process.stdout.write(DAEMON_USAGE);
    return 0;
  }
  if (parsed.version) {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  let daemon;
  try {
    daemon = await startDaemon(parsed.options);
  } catch (err) {
    if (err instanceof DaemonStartError) {
      process.stderr.write(`cco: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
  process.stdout.write(
    [
      '',
      `CCO ${VERSION} is listening on ${daemon.url}`,
      `Dashboard: ${daemon.dashboardUrl}`,
      `Data: ${daemon.dataDir}`,
      '',
      'Point Claude Code (or any Anthropic SDK) at it:',
      `  export ANTHROPIC_BASE_URL=${daemon.url}`,
      '',
    ].join('\n') + '\n',
  );
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      process.stdout.write(`\n${signal}: shutting down…\n`);
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await daemon.close();
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`cco: unexpected failure: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);

/**
 * The `cco` command: dispatches to one module per command, each imported only when used (so `cco
 * statusline` never loads express or sql.js). Errors are one line: `cco: <message>` — exit 2 for usage,
 * 1 for failures. The standalone bundle is built from this file.
 */
import { ConfigError } from '../config/errors.ts';
import { CliError, processIo, UsageError, type Io } from './common.ts';
import { isDaemonRun, prestartStoreWorker } from '../store/prestart.ts';

export const USAGE = `Usage: cco <command> [options]

Daemon
  run [--port N] [--host H] [--upstream URL] [--no-browser]   run the daemon in the foreground
  status [--json]                      running daemons (pid, port, uptime, version, dashboard)
  shutdown [--port N | --all]          stop gracefully (forced after 10 s)
  health [--port N]                    the daemon's /health answer
  logs [-f] [-n N] [--port N]          show (and follow) the daemon log
  dashboard [--port N]                 open the dashboard in the browser (honours NO_BROWSER)
  tui [--port N]                       live spend in the terminal (q quits)
  statusline [--data-dir DIR]          one line for Claude Code's status line (reads its JSON on stdin)
  report daily|weekly|monthly|session|project|model|user|blocks [--by user] [--range R] [--since D] [--until D] [--json|--csv]
                                       spend tables with totals; blocks = 5-hour windows, burn rate
  limits [--json]                      Claude plan limits (5-hour, weekly) seen by the daemon, with forecasts
  budget set|clear|list|override       USD budgets (daily/weekly/monthly, per project, --hard), see cco budget --help

Setup
  env [--shell SHELL]                  print the line that points Claude Code at CCO
  setup claude [--undo] [--yes]        point Claude Code at a running CCO (offers the login service and the
                                       status line; never writes the setting while no daemon answers)
  doctor [--port N] [--json]           check daemon, service, Claude Code settings, token, data folder, disk
  config show | get KEY | set KEY VALUE | path
  credentials store [NAME] [KEY] | list | delete [NAME]
  users add NAME | list | remove NAME  per-user proxy tokens for a central gateway (x-cco-token)
  team report [--by user|project|model] [--range R] [--json|--csv]
                                       the team's spend from its PostgreSQL ledger ([team] url)
  install-service | uninstall-service  start the daemon at login (systemd user unit / launchd agent)
  reprice [--since DATE]               recompute stored costs after a price change (rows changed, delta)
  import [--path DIR]... [--since DATE] [--json]   import Claude Code's history (transcripts)
  reconcile [--range R] [--tz ZONE] [--json]       proxy records against transcripts
  cache stats|clear [--json]           the response cache: hits, hit rate, $ saved, bytes; clear empties it
  coach [--range 7d] [--json]          prompt caching: hit ratio, $ saved, $ wasted on unread writes, advice
  update [--check] [--yes] [--channel stable|beta]
  version
`;

type Command = (argv: string[], io: Io) => number | Promise<number>;

const COMMANDS: Record<string, () => Promise<Command>> = {
  run: async () => (await import('./run.ts')).runCommand,
  status: async () => (await import('./ops.ts')).statusCommand,
  shutdown: async () => (await import('./ops.ts')).shutdownCommand,
  stop: async () => (await import('./ops.ts')).shutdownCommand,
  health: async () => (await import('./ops.ts')).healthCommand,
  dashboard: async () => (await import('./ops.ts')).dashboardCommand,
  version: async () => (await import('./ops.ts')).versionCommand,
  logs: async () => (await import('./logs.ts')).logsCommand,
  config: async () => (await import('./config-cmd.ts')).configCommand,
  credentials: async () => (await import('./credentials-cmd.ts')).credentialsCommand,
  users: async () => (await import('./users-cmd.ts')).usersCommand,
  team: async () => (await import('./team-cmd.ts')).teamCommand,
  env: async () => (await import('./claude.ts')).envCommand,
  setup: async () => (await import('./claude.ts')).setupCommand,
  doctor: async () => (await import('./doctor.ts')).doctorCommand,
  statusline: async () => {
    const m = await import('./statusline.ts');
    return (argv, io) => m.statuslineCommand(argv, io, undefined, m.spawnRefresh);
  },
  tui: async () => (await import('./tui.ts')).tuiCommand,
  limits: async () => (await import('./limits-cmd.ts')).limitsCommand,
  report: async () => (await import('./report.ts')).reportCommand,
  budget: async () => (await import('./budget-cmd.ts')).budgetCommand,
  reprice: async () => (await import('./reprice.ts')).repriceCommand,
  import: async () => (await import('./history.ts')).importCommand,
  reconcile: async () => (await import('./history.ts')).reconcileCommand,
  cache: async () => (await import('./cache-cmd.ts')).cacheCommand,
  coach: async () => (await import('./coach-cmd.ts')).coachCommand,
  update: async () => (await import('./maintenance.ts')).updateCommand,
  'install-service': async () => (await import('./maintenance.ts')).installServiceCommand,
  'uninstall-service': async () => (await import('./maintenance.ts')).uninstallServiceCommand,
};

export async function main(argv: string[], io: Io = processIo()): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    io.out(USAGE);
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-v' || name === '-V') return (await COMMANDS.version!())(rest, io);
  const load = COMMANDS[name];
  if (!load) {
    io.err(`cco: unknown command "${name}"\n\n${USAGE}`);
    return 2;
  }
  try {
    return await (await load())(rest, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`cco ${name}: ${err.message}\n`);
      return 2;
    }
    if (err instanceof ConfigError) {
      io.err(`cco: ${err.message}\n`);
      return 2;
    }
    if (err instanceof CliError) {
      io.err(`cco: ${err.message}\n`);
      return err.exitCode;
    }
    throw err;
  }
}

/** Runs as a program (the bin launcher and the bundle call this). */
export function runMain(argv = process.argv.slice(2)): void {
  exitQuietlyOnClosedPipe(process.stdout);
  exitQuietlyOnClosedPipe(process.stderr);
  // The daemon's store worker starts now, on another core, while the daemon's modules load (store/prestart.ts);
  // in the built daemon its head (cli/head.ts) has started it already, before this program was read.
  if (isDaemonRun(argv)) prestartStoreWorker();
  main(argv).then(
    (code) => {
      process.exitCode = code;
      // Commands that leave handles open (the daemon, -f, tui) have finished their work here.
      if (argv[0] !== 'run') setImmediate(() => process.exit(code));
      else process.exit(code);
    },
    (err) => {
      process.stderr.write(`cco: unexpected failure: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    },
  );
}

/**
 * `cco logs | head`: when the reader goes away, writing fails with EPIPE. That is the reader saying "enough",
 * not a failure: stop at once with exit 0 and no stack trace.
 */
export function exitQuietlyOnClosedPipe(stream: NodeJS.WriteStream): void {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE' || err.code === 'ERR_STREAM_DESTROYED') process.exit(0);
    throw err;
  });
}

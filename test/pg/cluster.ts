/**
 * A throwaway PostgreSQL cluster for tests: `initdb` + `pg_ctl` on a temp dir, a free port on 127.0.0.1 and
 * a unix socket dir inside the temp dir; stopped and removed by `destroy()` (and, if a test process dies
 * first, by an exit hook). PostgreSQL refuses to run as root, so as root every command runs as an
 * unprivileged system user (`CCO_PG_TEST_USER`, else `postgres`, else `nobody`) through `runuser`, and the
 * temp dir is chowned to it.
 *
 * initdb is the slow part (1–3 s on a loaded machine), so it runs once per machine into a template
 * directory (`<tmp>/cco-pg-template-<user>-<version>`) that each cluster copies.
 *
 * Binaries: `CCO_PG_BIN` (a directory), else `initdb` on PATH, else the newest /usr/lib/postgresql/<v>/bin
 * (Debian's `postgresql` package). `pgAvailability()` says why the tests cannot run when none is found.
 */
import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);

export type PgAvailability = { ok: true; bin: string; user: string | null } | { ok: false; reason: string };

function findBin(): string | null {
  const env = process.env.CCO_PG_BIN;
  if (env) return fs.existsSync(path.join(env, 'initdb')) ? env : null;
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir && fs.existsSync(path.join(dir, 'initdb')) && fs.existsSync(path.join(dir, 'pg_ctl'))) return dir;
  }
  const root = '/usr/lib/postgresql';
  let versions: string[];
  try {
    versions = fs.readdirSync(root).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a));
  } catch {
    return null;
  }
  for (const v of versions) {
    const dir = path.join(root, v, 'bin');
    if (fs.existsSync(path.join(dir, 'initdb')) && fs.existsSync(path.join(dir, 'pg_ctl'))) return dir;
  }
  return null;
}

function userExists(name: string): boolean {
  try {
    execFileSync('id', ['-u', name], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

let availability: PgAvailability | undefined;

/** Whether a PostgreSQL cluster can be started here, and with what (memoised). */
export function pgAvailability(): PgAvailability {
  if (availability) return availability;
  const bin = findBin();
  if (!bin) {
    availability = { ok: false, reason: 'initdb not found (install Debian\'s `postgresql` package, or set CCO_PG_BIN)' };
    return availability;
  }
  if (process.getuid?.() !== 0) {
    availability = { ok: true, bin, user: null };
    return availability;
  }
  const user = [process.env.CCO_PG_TEST_USER, 'postgres', 'nobody'].find((u): u is string => !!u && userExists(u));
  if (!user) {
    availability = { ok: false, reason: 'running as root and no unprivileged user (postgres, nobody) to run PostgreSQL as' };
    return availability;
  }
  availability = { ok: true, bin, user };
  return availability;
}

function ids(user: string): { uid: number; gid: number } {
  return {
    uid: Number(execFileSync('id', ['-u', user], { encoding: 'utf8' }).trim()),
    gid: Number(execFileSync('id', ['-g', user], { encoding: 'utf8' }).trim()),
  };
}

/** `cmd args` as the cluster's user (plain exec when not root). */
function asUser(av: Extract<PgAvailability, { ok: true }>, cmd: string, args: string[]): [string, string[]] {
  return av.user ? ['runuser', ['-u', av.user, '--', cmd, ...args]] : [cmd, args];
}

async function exec(av: Extract<PgAvailability, { ok: true }>, cmd: string, args: string[], timeout = 60_000): Promise<string> {
  const [c, a] = asUser(av, cmd, args);
  try {
    const { stdout } = await run(c, a, { timeout, env: { ...process.env, LC_ALL: 'C' } });
    return stdout;
  } catch (err) {
    const e = err as Error & { stderr?: string; stdout?: string };
    throw new Error(`${cmd} ${args.join(' ')} failed: ${e.message}\n${e.stderr ?? ''}${e.stdout ?? ''}`, { cause: err });
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

const SUPERUSER = 'cco';

/**
 * One initdb per machine, user and version; clusters copy it. Made in a temp dir and renamed into place, in
 * the temp folder outside the test run's own (test/tmp-root.ts) so that later runs reuse it.
 */
async function template(av: Extract<PgAvailability, { ok: true }>): Promise<string> {
  const version = path.basename(path.dirname(av.bin));
  const dir = path.join(process.env.CCO_TEST_SHARED_TMP ?? os.tmpdir(), `cco-pg-template-${av.user ?? process.getuid?.() ?? 'u'}-${version}`);
  if (fs.existsSync(path.join(dir, 'PG_VERSION'))) return dir;
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'cco-pg-initdb-'));
  if (av.user) {
    const { uid, gid } = ids(av.user);
    fs.chownSync(work, uid, gid);
  }
  const data = path.join(work, 'data');
  await exec(av, path.join(av.bin, 'initdb'), ['-D', data, '-U', SUPERUSER, '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync', '--no-instructions']);
  try {
    fs.renameSync(data, dir);
  } catch (err) {
    // another test process made it first
    if (!fs.existsSync(path.join(dir, 'PG_VERSION'))) throw err;
  }
  fs.rmSync(work, { recursive: true, force: true });
  return dir;
}

export interface PgCluster {
  readonly port: number;
  readonly dir: string;
  /** postgres://cco@127.0.0.1:<port>/<db> */
  url(db?: string): string;
  /** Creates a fresh database and returns its URL. */
  createDatabase(name?: string): Promise<string>;
  /** Stops the server: 'fast' (clean) or 'immediate' (as a crash: no shutdown checkpoint). */
  stop(mode?: 'fast' | 'immediate'): Promise<void>;
  /** Starts it again on the same port and data. */
  start(): Promise<void>;
  /** Stops it and removes every file. */
  destroy(): Promise<void>;
}

const live = new Set<string>();
let exitHookInstalled = false;

function installExitHook(av: Extract<PgAvailability, { ok: true }>): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const data of live) {
      try {
        const [c, a] = asUser(av, path.join(av.bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop']);
        execFileSync(c, a, { stdio: 'ignore', timeout: 10_000 });
      } catch {
        // already down
      }
      fs.rmSync(path.dirname(data), { recursive: true, force: true });
    }
  });
}

let dbCounter = 0;

export interface PgClusterOptions {
  /** Server settings passed as `-c name=value` after the test defaults (which they override), e.g. a bench's
   * `{ fsync: 'on', shared_buffers: '512MB' }`. */
  settings?: Record<string, string>;
}

/** Starts a throwaway cluster (see the header). Throws when pgAvailability() is not ok. */
export async function startPgCluster(opts: PgClusterOptions = {}): Promise<PgCluster> {
  const av = pgAvailability();
  if (!av.ok) throw new Error(`PostgreSQL unavailable: ${av.reason}`);
  const tpl = await template(av);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cco-pg-'));
  fs.chmodSync(dir, 0o700);
  if (av.user) {
    const { uid, gid } = ids(av.user);
    fs.chownSync(dir, uid, gid);
  }
  const data = path.join(dir, 'data');
  await exec(av, 'cp', ['-a', tpl, data]);
  const port = await freePort();
  const pgCtl = path.join(av.bin, 'pg_ctl');
  const serverOpts = [
    `-p ${port}`, `-k ${dir}`, '-c listen_addresses=127.0.0.1', '-c fsync=off',
    '-c full_page_writes=off', '-c shared_buffers=32MB', '-c max_connections=60', '-c log_min_messages=warning',
    ...Object.entries(opts.settings ?? {}).map(([k, v]) => `-c ${k}=${v}`),
  ].join(' ');
  const start = () => exec(av, pgCtl, ['-D', data, '-l', path.join(dir, 'server.log'), '-o', serverOpts, '-w', '-t', '60', 'start']);
  live.add(data);
  installExitHook(av);
  await start();
  let stopped = false;
  const cluster: PgCluster = {
    port,
    dir,
    url: (db = 'postgres') => `postgres://${SUPERUSER}@127.0.0.1:${port}/${db}`,
    async createDatabase(name = `t${process.pid}_${++dbCounter}`) {
      const client = new pg.Client({ connectionString: cluster.url() });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE "${name}"`);
      } finally {
        await client.end();
      }
      return cluster.url(name);
    },
    async stop(mode = 'fast') {
      if (stopped) return;
      await exec(av, pgCtl, ['-D', data, '-m', mode, '-w', '-t', '60', 'stop']);
      stopped = true;
    },
    async start() {
      if (!stopped) return;
      await start();
      stopped = false;
    },
    async destroy() {
      try {
        await cluster.stop('immediate');
      } catch {
        // not running
      }
      live.delete(data);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  return cluster;
}

/** The reason PostgreSQL tests are skipped here, printed once per test file; null when they run. */
export function pgSkipReason(): string | null {
  const av = pgAvailability();
  if (av.ok) return null;
  process.stderr.write(`\n*** PostgreSQL tests SKIPPED: ${av.reason} ***\n\n`);
  return av.reason;
}

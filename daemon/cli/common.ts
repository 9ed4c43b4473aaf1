/**
 * What every `cco` command shares: output, argument parsing with plain errors, finding a running daemon
 * from the PID files, and authenticated calls to its API. Light on imports (`statusline` uses it).
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { retryAfterMs } from '../api/retry-after.ts';
import { platformDirs } from '../config/paths.ts';
import { listDaemons, pidDirOf, type PidEntry } from '../pidfile.ts';

export interface Io {
  out(text: string): void;
  err(text: string): void;
  env: NodeJS.ProcessEnv;
}

export const processIo = (): Io => ({
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
  env: process.env,
});

/** A mistake in how the command was called: printed as `cco: <message>`, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** A failure to report plainly: printed as `cco: <message>`, exit code 1. */
export class CliError extends Error {
  override name = 'CliError';
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

type Options = NonNullable<ParseArgsConfig['options']>;

export function parse<O extends Options>(argv: string[], options: O, usage: string, positionals = false) {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: positionals });
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\n\n${usage}`);
  }
}

export function parsePortArg(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 65535) throw new UsageError(`--port: "${value}" is not a port number (1-65535)`);
  return Number(value);
}

export function pidDir(env: NodeJS.ProcessEnv): string {
  return pidDirOf(platformDirs(env).dataDir);
}

/** The daemon a command talks to: `--port`, else the only (or lowest-port) running one. */
export function findDaemon(env: NodeJS.ProcessEnv, port?: number): PidEntry | null {
  const { running } = listDaemons(pidDir(env));
  if (port !== undefined) return running.find((e) => e.record.port === port) ?? null;
  return running[0] ?? null;
}

export function requireDaemon(env: NodeJS.ProcessEnv, port?: number): PidEntry {
  const d = findDaemon(env, port);
  if (!d) throw new CliError(port === undefined ? 'no CCO daemon is running (start one with `cco run`)' : `no CCO daemon is running on port ${port}`);
  return d;
}

/** The dashboard token of a daemon (its data dir's `token` file). */
export function readToken(entry: PidEntry, env: NodeJS.ProcessEnv): string {
  const dir = entry.record.data_dir ?? platformDirs(env).dataDir;
  try {
    return fs.readFileSync(path.join(dir, 'token'), 'utf8').trim();
  } catch {
    throw new CliError(`cannot read the daemon's token in ${dir}`);
  }
}

/** The daemon answered 429: ask again after `retryAfterMs` (its Retry-After), not sooner. */
export class RateLimitedError extends CliError {
  override name = 'RateLimitedError';
  constructor(
    message: string,
    readonly retryAfterMs: number,
  ) {
    super(message);
  }
}

export async function getJson<T>(url: string, token: string | null, timeoutMs = 3000): Promise<T> {
  let res: Response;
  try {
    res = await fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {}, signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    throw new CliError(`cannot reach ${new URL(url).origin}: ${(err as Error).message}`);
  }
  if (res.status === 429) {
    const wait = retryAfterMs(res.headers.get('retry-after'));
    await res.body?.cancel();
    throw new RateLimitedError(`the daemon is busy (429): retrying in ${Math.ceil(wait / 1000)} s`, wait);
  }
  if (!res.ok) throw new CliError(`${new URL(url).pathname} answered ${res.status}: ${(await res.text()).slice(0, 200)}`);
  return (await res.json()) as T;
}

/** Money as everywhere else (daemon/api/format.ts): $1,702.47, $0.0042; unpriced never $0.00. */
export { formatCost, formatUsd } from '../api/format.ts';

export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d) return `${d}d ${h}h`;
  if (h) return `${h}h ${m}m`;
  if (m) return `${m}m ${s % 60}s`;
  return `${s}s`;
}

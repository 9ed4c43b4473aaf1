/**
 * Before the app starts its own daemon: is a CCO daemon already serving this data folder (e.g. one from
 * `cco install-service`, or `cco run` in a terminal)? Then the app attaches to it — its URL from the PID
 * file, its token from the data folder — instead of starting a second writer of the same store. If the
 * daemon's port is taken by something else (another CCO with another data folder, or another program), the
 * app refuses with a clear tray state rather than crash-looping on EADDRINUSE.
 *
 * Electron-free; every outside read (PID files, token file, /health) is a plain function so the decision is
 * tested against real files and real servers.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { HealthResponse } from '../shared/contract.ts';
import { listDaemons, type PidEntry } from '../daemon/pidfile.ts';
import { readDataLock } from '../daemon/data-lock.ts';

export interface ProbeTarget {
  /** The data folder the app's daemon would use (holds `token`). */
  dataDir: string;
  /** Where the PID files are (`<data>/pids`). */
  pidDir: string;
  /** The port the app's daemon would listen on; 0 = any free port (never taken). */
  port: number;
  host: string;
}

export type ProbeResult =
  | { kind: 'free' }
  | { kind: 'attach'; url: string; port: number; token: string; pid: number; version: string }
  | { kind: 'refuse'; reason: string };

/** What answers on a port: a CCO daemon (its /health), some other program, or nothing. */
export type PortAnswer = { kind: 'cco'; version: string } | { kind: 'other' } | { kind: 'closed' };

/** Lock holder as daemon/data-lock.ts records it (the fields the probe reads). */
export interface LockInfo {
  holder: { pid: number; port: number | null; role: string };
  alive: boolean;
}

export interface ProbeDeps {
  listDaemons: (pidDir: string) => PidEntry[];
  readToken: (dataDir: string) => string | null;
  ask: (host: string, port: number) => Promise<PortAnswer>;
  /** The data folder's lock (daemon/data-lock.ts), when there is one. */
  readLock?: (dataDir: string) => LockInfo | null;
}

function loopbackOf(host: string): string {
  return host === '0.0.0.0' || host === '::' || host === '' ? '127.0.0.1' : host;
}

function sameDir(a: string | undefined, b: string): boolean {
  if (!a) return false;
  const norm = (p: string) => {
    const r = path.resolve(p);
    try {
      return fs.realpathSync(r);
    } catch {
      return r;
    }
  };
  return norm(a) === norm(b);
}

/** Decides attach / start our own / refuse. Never throws. */
export async function probeDaemon(target: ProbeTarget, deps: ProbeDeps = defaultProbeDeps()): Promise<ProbeResult> {
  const host = loopbackOf(target.host);
  const attachTo = async (port: number, pid: number): Promise<ProbeResult | null> => {
    const answer = await deps.ask(host, port);
    if (answer.kind !== 'cco') return null;
    const token = deps.readToken(target.dataDir);
    if (!token) return { kind: 'refuse', reason: `A CCO daemon (pid ${pid}) serves this data folder on port ${port}, but its token in ${target.dataDir} cannot be read.` };
    const urlHost = host.includes(':') ? `[${host}]` : host;
    return { kind: 'attach', url: `http://${urlHost}:${port}`, port, token, pid, version: answer.version };
  };

  // 1. The data folder's lock names the daemon writing this store (or a CLI command holding it for a while).
  const lock = deps.readLock?.(target.dataDir) ?? null;
  if (lock?.alive) {
    if (lock.holder.role !== 'daemon') {
      return { kind: 'refuse', reason: `The data folder is in use by \`${lock.holder.role}\` (pid ${lock.holder.pid}); CCO starts when it has finished.` };
    }
    if (lock.holder.port === null) return { kind: 'refuse', reason: `A CCO daemon (pid ${lock.holder.pid}) is starting on this data folder.` };
    const attached = await attachTo(lock.holder.port, lock.holder.pid);
    if (attached) return attached;
    return { kind: 'refuse', reason: `A CCO daemon (pid ${lock.holder.pid}) holds this data folder but does not answer on port ${lock.holder.port}.` };
  }

  // 2. PID files of live daemons of this data folder.
  for (const entry of deps.listDaemons(target.pidDir)) {
    if (entry.record.data_dir !== undefined && !sameDir(entry.record.data_dir, target.dataDir)) continue;
    const attached = await attachTo(entry.record.port, entry.record.pid);
    if (attached) return attached;
  }

  // 3. Our port, if fixed, must be free.
  if (target.port === 0) return { kind: 'free' };
  const answer = await deps.ask(host, target.port);
  if (answer.kind === 'closed') return { kind: 'free' };
  if (answer.kind === 'cco') {
    return {
      kind: 'refuse',
      reason: `Another CCO daemon (version ${answer.version}) listens on port ${target.port} with a different data folder. Stop it, or set another [server] port in config.toml.`,
    };
  }
  return { kind: 'refuse', reason: `Port ${target.port} is in use by another program. Stop it, or set another [server] port in config.toml.` };
}

/** `<dataDir>/token` (written by the daemon, mode 0600), or null. */
export function readTokenFile(dataDir: string): string | null {
  try {
    const t = fs.readFileSync(path.join(dataDir, 'token'), 'utf8').trim();
    return t.length >= 16 ? t : null;
  } catch {
    return null;
  }
}

function tcpOpen(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (open: boolean) => {
      socket.removeAllListeners();
      socket.on('error', () => {});
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(true)); // something accepted or filtered it: not ours to take
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Asks GET /health; a HealthResponse with status ok is a CCO daemon. */
export async function askPort(host: string, port: number, timeoutMs = 1500): Promise<PortAnswer> {
  if (!(await tcpOpen(host, port, timeoutMs))) return { kind: 'closed' };
  const urlHost = host.includes(':') ? `[${host}]` : host;
  try {
    const res = await fetch(`http://${urlHost}:${port}/health`, { signal: AbortSignal.timeout(timeoutMs) });
    const body = (await res.json()) as Partial<HealthResponse>;
    if (res.ok && body.status === 'ok' && typeof body.version === 'string' && typeof body.uptime === 'number') return { kind: 'cco', version: body.version };
  } catch {
    // not HTTP, not JSON, or too slow: some other program
  }
  return { kind: 'other' };
}

/** Real files and sockets: PID files, the token file, /health and the data folder's lock (daemon/data-lock.ts). */
export function defaultProbeDeps(readLock: ProbeDeps['readLock'] = readDataLock): ProbeDeps {
  return { listDaemons: (dir) => listDaemons(dir).running, readToken: readTokenFile, ask: askPort, readLock };
}

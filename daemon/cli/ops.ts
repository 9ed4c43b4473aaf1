/**
 * Operations on running daemons: `status`, `health`, `shutdown`, `dashboard`, `version`.
 * Daemons are found through their PID files; stale files are removed on the way.
 */
import fs from 'node:fs';
import type { HealthResponse } from '../../shared/contract.ts';
import { VERSION } from '../version.ts';
import { openBrowser } from './browser.ts';
import { CliError, formatDuration, getJson, parse, parsePortArg, pidDir, readToken, requireDaemon, type Io } from './common.ts';
import { listDaemons, processAlive, type PidEntry } from '../pidfile.ts';

export function versionCommand(_argv: string[], io: Io): number {
  io.out(`cco ${VERSION} (node ${process.versions.node}, ${process.platform}-${process.arch})\n`);
  return 0;
}

export async function statusCommand(argv: string[], io: Io): Promise<number> {
  const { values } = parse(argv, { json: { type: 'boolean' } }, 'Usage: cco status [--json]');
  const { running, stale } = listDaemons(pidDir(io.env));
  const rows = await Promise.all(
    running.map(async (e) => {
      let health: HealthResponse | null;
      try {
        health = await getJson<HealthResponse>(`${e.record.url}/health`, null, 2000);
      } catch {
        health = null;
      }
      return { ...e.record, responding: health !== null, uptime: health?.uptime ?? Math.round((Date.now() - Date.parse(e.record.started_at)) / 1000), dashboard: e.record.url + '/' };
    }),
  );
  if (values.json) {
    io.out(JSON.stringify({ running: rows, removed_stale: stale }, null, 2) + '\n');
    return rows.length ? 0 : 3;
  }
  for (const f of stale) io.out(`Removed stale PID file ${f}\n`);
  if (!rows.length) {
    io.out('CCO Status: not running\n');
    return 3;
  }
  io.out('CCO Status:\n');
  for (const r of rows) {
    io.out(`  Port ${r.port}: ${r.responding ? 'Running' : 'Not responding'} (PID ${r.pid})\n`);
    io.out(`    Uptime: ${formatDuration(r.uptime)}\n    Version: ${r.version}\n    Dashboard: ${r.dashboard}  (open with \`cco dashboard --port ${r.port}\`)\n`);
  }
  return 0;
}

export async function healthCommand(argv: string[], io: Io): Promise<number> {
  const { values } = parse(argv, { port: { type: 'string' } }, 'Usage: cco health [--port N]');
  const entry = requireDaemon(io.env, parsePortArg(values.port));
  const h = await getJson<HealthResponse>(`${entry.record.url}/health`, null);
  io.out(JSON.stringify(h) + '\n');
  return h.status === 'ok' ? 0 : 1;
}

/** Gone, or a zombie waiting for its parent to reap it (Linux /proc), counts as exited. */
function exited(pid: number): boolean {
  if (!processAlive(pid)) return true;
  try {
    return /^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

async function waitForExit(pid: number, ms: number, pidFile?: string): Promise<boolean> {
  const until = performance.now() + ms;
  let fileGoneAt: number | null = null;
  while (performance.now() < until) {
    if (exited(pid)) return true;
    // The daemon removes its PID file as the last step of a graceful close; give the process a moment.
    if (pidFile && fileGoneAt === null && !fs.existsSync(pidFile)) fileGoneAt = performance.now();
    if (fileGoneAt !== null && performance.now() - fileGoneAt > 1000) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return exited(pid);
}

/** SIGTERM, then SIGKILL after `graceMs` (on Windows, where signals end the process at once, the same call). */
export async function stopDaemon(entry: PidEntry, graceMs = 10_000): Promise<'stopped' | 'killed' | 'gone'> {
  const { pid } = entry.record;
  try {
    process.kill(pid, 'SIGTERM');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return 'gone';
    throw new CliError(`cannot signal pid ${pid}: ${(err as Error).message}`);
  }
  if (await waitForExit(pid, graceMs, entry.file)) return 'stopped';
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // exited in between
  }
  await waitForExit(pid, 2000);
  return 'killed';
}

export async function shutdownCommand(argv: string[], io: Io): Promise<number> {
  const { values } = parse(argv, { port: { type: 'string' }, all: { type: 'boolean' }, timeout: { type: 'string' } }, 'Usage: cco shutdown [--port N | --all] [--timeout SECONDS]');
  const graceMs = values.timeout !== undefined ? Number(values.timeout) * 1000 : 10_000;
  if (!Number.isFinite(graceMs) || graceMs < 0) throw new CliError(`--timeout: "${values.timeout}" is not a number of seconds`, 2);
  const targets = values.all ? listDaemons(pidDir(io.env)).running : [requireDaemon(io.env, parsePortArg(values.port))];
  if (!targets.length) {
    io.out('No CCO daemon is running.\n');
    return 0;
  }
  for (const t of targets) {
    const how = await stopDaemon(t, graceMs);
    io.out(`Port ${t.record.port} (PID ${t.record.pid}): ${how === 'killed' ? `killed after ${graceMs / 1000} s` : how === 'gone' ? 'already gone' : 'stopped'}\n`);
    if (how !== 'stopped') listDaemons(pidDir(io.env));
  }
  return 0;
}

export async function dashboardCommand(argv: string[], io: Io): Promise<number> {
  const { values } = parse(argv, { port: { type: 'string' }, 'no-browser': { type: 'boolean' } }, 'Usage: cco dashboard [--port N] [--no-browser]');
  const entry = requireDaemon(io.env, parsePortArg(values.port));
  const url = `${entry.record.url}/?token=${encodeURIComponent(readToken(entry, io.env))}`;
  const opened = !values['no-browser'] && (await openBrowser(url, io.env));
  io.out(opened ? `Opened ${entry.record.url}/ in your browser.\n` : `Open the dashboard at:\n  ${url}\n`);
  return 0;
}

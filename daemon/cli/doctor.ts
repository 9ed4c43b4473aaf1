/**
 * `cco doctor [--port N] [--json]`: checks what must hold for CCO to watch Claude Code without ever breaking it
 * — the daemon answers, the login service is installed, Claude Code's settings point at the daemon's port,
 * the token is readable, the data folder is writable, how old the last recorded request is, and the disk's
 * free space. Each check prints ok/warn/FAIL and, when not ok, a fix line. Exit 1 when any check fails.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { HealthResponse, RequestPage } from '../../shared/contract.ts';
import { loadConfig } from '../config/load.ts';
import { claudeSettingsFile } from './claude.ts';
import { findDaemon, formatDuration, getJson, parse, parsePortArg, type Io } from './common.ts';
import { serviceFile } from './service.ts';

export type CheckLevel = 'ok' | 'warn' | 'fail';
export interface Check {
  name: string;
  level: CheckLevel;
  detail: string;
  /** What to do about it (absent when ok). */
  fix?: string;
}

const GB = 1024 ** 3;

export interface DoctorOptions {
  port?: number;
  platform?: NodeJS.Platform;
  now?: number;
}

export async function runChecks(env: NodeJS.ProcessEnv, opts: DoctorOptions = {}): Promise<Check[]> {
  const checks: Check[] = [];
  const now = opts.now ?? Date.now();
  const loaded = loadConfig({ env });
  const entry = findDaemon(env, opts.port);
  let up = false;
  if (entry) {
    try {
      const h = await getJson<HealthResponse>(`${entry.record.url}/health`, null, 2000);
      up = true;
      checks.push({ name: 'daemon', level: 'ok', detail: `answers at ${entry.record.url} (PID ${entry.record.pid}, up ${formatDuration(h.uptime)}, ${h.version})` });
    } catch (err) {
      checks.push({ name: 'daemon', level: 'fail', detail: `PID ${entry.record.pid} on ${entry.record.url} does not answer: ${(err as Error).message}`, fix: `restart it: cco shutdown --port ${entry.record.port} && cco run (or systemctl --user restart cco)` });
    }
  } else {
    checks.push({ name: 'daemon', level: 'fail', detail: opts.port ? `none running on port ${opts.port}` : 'no CCO daemon is running', fix: 'start it: cco install-service (at every login) or cco run (this terminal)' });
  }

  const platform = opts.platform ?? process.platform;
  const unit = platform === 'linux' || platform === 'darwin' ? serviceFile({ platform, homeDir: env.HOME || os.homedir(), xdgConfigHome: env.XDG_CONFIG_HOME || undefined, command: [] }) : null;
  if (unit === null) checks.push({ name: 'service', level: 'warn', detail: `cannot check a login service on ${platform}`, fix: 'cco install-service prints the commands that start CCO at logon' });
  else if (fs.existsSync(unit)) checks.push({ name: 'service', level: 'ok', detail: `installed (${unit})` });
  else checks.push({ name: 'service', level: 'warn', detail: 'no login service: CCO stops when its terminal closes, and Claude Code cannot reach Anthropic then', fix: 'cco install-service' });

  const settingsFile = claudeSettingsFile(env);
  let pointed: string | undefined;
  try {
    const s = JSON.parse(fs.readFileSync(settingsFile, 'utf8')) as { env?: Record<string, unknown> };
    pointed = typeof s.env?.ANTHROPIC_BASE_URL === 'string' ? s.env.ANTHROPIC_BASE_URL : undefined;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') checks.push({ name: 'claude settings', level: 'fail', detail: `${settingsFile} cannot be read: ${(err as Error).message}`, fix: `fix the JSON in ${settingsFile}` });
  }
  if (!checks.some((c) => c.name === 'claude settings')) {
    const expected = entry?.record.url;
    if (pointed === undefined) checks.push({ name: 'claude settings', level: 'warn', detail: `${settingsFile} does not send Claude Code through CCO`, fix: 'cco setup claude' });
    else if (expected !== undefined && pointed.replace(/\/+$/, '') !== expected) checks.push({ name: 'claude settings', level: 'fail', detail: `ANTHROPIC_BASE_URL=${pointed} but the daemon listens at ${expected}`, fix: `cco setup claude --port ${entry!.record.port}` });
    else if (expected === undefined) checks.push({ name: 'claude settings', level: 'fail', detail: `ANTHROPIC_BASE_URL=${pointed} but no daemon answers there: Claude Code will hang`, fix: 'start CCO (cco install-service), or cco setup claude --undo' });
    else checks.push({ name: 'claude settings', level: 'ok', detail: `ANTHROPIC_BASE_URL=${pointed}` });
  }

  const dataDir = entry?.record.data_dir ?? (loaded.config.database.path || loaded.dirs.dataDir);
  const tokenFile = path.join(dataDir, 'token');
  let token: string | null = null;
  try {
    token = fs.readFileSync(tokenFile, 'utf8').trim() || null;
    checks.push(token ? { name: 'token', level: 'ok', detail: `readable (${tokenFile})` } : { name: 'token', level: 'fail', detail: `${tokenFile} is empty`, fix: `remove it and restart the daemon: rm ${tokenFile}` });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    checks.push({ name: 'token', level: up ? 'fail' : 'warn', detail: `${tokenFile}: ${code === 'ENOENT' ? 'missing (the daemon writes it at start)' : (err as Error).message}`, fix: code === 'EACCES' ? `chmod 600 ${tokenFile} (as its owner)` : 'start the daemon once: cco run' });
  }

  const probe = path.join(dataDir, `.doctor-${process.pid}`);
  try {
    fs.mkdirSync(dataDir, { recursive: true });
    fs.writeFileSync(probe, 'x', { mode: 0o600 });
    fs.rmSync(probe);
    checks.push({ name: 'data folder', level: 'ok', detail: `writable (${dataDir})` });
  } catch (err) {
    checks.push({ name: 'data folder', level: 'fail', detail: `${dataDir} is not writable: ${(err as Error).message}`, fix: `give yourself write access: chmod u+rwx ${dataDir}` });
  }

  if (up && token) {
    try {
      const page = await getJson<RequestPage>(`${entry!.record.url}/api/requests?limit=1`, token, 3000);
      const last = page.items[0];
      if (!last) checks.push({ name: 'last request', level: 'warn', detail: 'nothing recorded yet', fix: 'run Claude Code after cco setup claude' });
      else {
        const age = (now - last.startedAt) / 1000;
        checks.push({ name: 'last request', level: 'ok', detail: `${formatDuration(age)} ago (${last.model ?? 'no model'})` });
      }
    } catch (err) {
      checks.push({ name: 'last request', level: 'warn', detail: `cannot ask the daemon: ${(err as Error).message}`, fix: 'cco logs -n 50' });
    }
  } else checks.push({ name: 'last request', level: 'warn', detail: 'unknown (the daemon does not answer)', fix: 'start the daemon first' });

  try {
    const st = fs.statfsSync(dataDir);
    const free = st.bavail * st.bsize;
    const text = `${(free / GB).toFixed(1)} GB free on the data folder's disk`;
    if (free < 0.1 * GB) checks.push({ name: 'disk', level: 'fail', detail: text, fix: 'free some disk space: CCO stops recording when the disk is full' });
    else if (free < 1 * GB) checks.push({ name: 'disk', level: 'warn', detail: text, fix: 'free some disk space soon' });
    else checks.push({ name: 'disk', level: 'ok', detail: text });
  } catch (err) {
    checks.push({ name: 'disk', level: 'warn', detail: `cannot measure: ${(err as Error).message}` });
  }
  return checks;
}

export function formatChecks(checks: readonly Check[]): string {
  const mark = { ok: 'ok  ', warn: 'warn', fail: 'FAIL' } as const;
  const width = Math.max(...checks.map((c) => c.name.length));
  return checks.map((c) => `${mark[c.level]}  ${c.name.padEnd(width)}  ${c.detail}${c.fix ? `\n${' '.repeat(width + 8)}fix: ${c.fix}` : ''}`).join('\n') + '\n';
}

export async function doctorCommand(argv: string[], io: Io): Promise<number> {
  const { values } = parse(argv, { port: { type: 'string' }, json: { type: 'boolean' } }, 'Usage: cco doctor [--port N] [--json]');
  const checks = await runChecks(io.env, { port: parsePortArg(values.port) });
  io.out(values.json ? JSON.stringify(checks, null, 2) + '\n' : formatChecks(checks));
  return checks.some((c) => c.level === 'fail') ? 1 : 0;
}

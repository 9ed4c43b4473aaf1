/**
 * `cco env` prints the shell line that points Claude Code at CCO; `cco setup claude [--undo]` writes
 * `env.ANTHROPIC_BASE_URL` into Claude Code's settings.json (`~/.claude/settings.json`, or
 * `$CLAUDE_CONFIG_DIR/settings.json`), after copying the file to a timestamped backup. `--undo` puts back
 * the value that was there before (or removes the key) — only if the file still points at CCO.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../config/load.ts';
import { CliError, findDaemon, parse, parsePortArg, UsageError, type Io } from './common.ts';

/** The base URL clients should use: a running daemon's, else the configured host/port. */
export function baseUrl(io: Io, port?: number): string {
  const running = findDaemon(io.env, port);
  if (running) return running.record.url;
  const { config } = loadConfig({ env: io.env });
  const p = port ?? config.server.port;
  const host = config.server.host === '0.0.0.0' || config.server.host === '::' ? '127.0.0.1' : config.server.host.includes(':') ? `[${config.server.host}]` : config.server.host;
  return `http://${host}:${p || 3000}`;
}

export function shellLine(shell: string, url: string): string {
  switch (shell) {
    case 'fish':
      return `set -gx ANTHROPIC_BASE_URL ${url}`;
    case 'powershell':
    case 'pwsh':
      return `$env:ANTHROPIC_BASE_URL = "${url}"`;
    case 'cmd':
      return `set ANTHROPIC_BASE_URL=${url}`;
    case 'sh':
    case 'bash':
    case 'zsh':
      return `export ANTHROPIC_BASE_URL=${url}`;
    default:
      throw new UsageError(`--shell: "${shell}" is not one of sh, bash, zsh, fish, powershell, cmd`);
  }
}

export function envCommand(argv: string[], io: Io): number {
  const { values } = parse(argv, { shell: { type: 'string' }, port: { type: 'string' } }, 'Usage: cco env [--shell sh|fish|powershell|cmd] [--port N]');
  const shell = values.shell ?? (process.platform === 'win32' ? 'powershell' : path.basename(io.env.SHELL ?? 'sh'));
  io.out(shellLine(['bash', 'zsh', 'sh', 'fish', 'powershell', 'pwsh', 'cmd'].includes(shell) ? shell : 'sh', baseUrl(io, parsePortArg(values.port))) + '\n');
  return 0;
}

export function claudeSettingsFile(env: NodeJS.ProcessEnv): string {
  const dir = env.CLAUDE_CONFIG_DIR || path.join(env.HOME || env.USERPROFILE || os.homedir(), '.claude');
  return path.join(dir, 'settings.json');
}

interface SetupState {
  settingsFile: string;
  url: string;
  previous: string | null;
  backup: string | null;
}

function stateFile(io: Io): string {
  return path.join(loadConfig({ env: io.env }).dirs.dataDir, 'claude-setup.json');
}

function readSettings(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new CliError(`cannot read ${file}: ${(err as Error).message}`);
  }
  if (!text.trim()) return {};
  try {
    const v = JSON.parse(text) as unknown;
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('not a JSON object');
    return v as Record<string, unknown>;
  } catch (err) {
    throw new CliError(`${file} is not valid JSON (${(err as Error).message}); fix it first — nothing was changed`);
  }
}

function writeJson(file: string, value: unknown) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(value, null, 2) + '\n');
  fs.renameSync(tmp, file);
}

export function setupCommand(argv: string[], io: Io): number {
  const { values, positionals } = parse(argv, { undo: { type: 'boolean' }, port: { type: 'string' } }, 'Usage: cco setup claude [--undo] [--port N]', true);
  if (positionals.length !== 1 || positionals[0] !== 'claude') throw new UsageError('Usage: cco setup claude [--undo] [--port N]');
  const file = claudeSettingsFile(io.env);
  const settings = readSettings(file);
  const env = (typeof settings.env === 'object' && settings.env !== null ? settings.env : {}) as Record<string, string>;
  const sf = stateFile(io);

  if (values.undo) {
    let state: SetupState | null;
    try {
      state = JSON.parse(fs.readFileSync(sf, 'utf8')) as SetupState;
    } catch {
      state = null;
    }
    if (!state || state.settingsFile !== file || env.ANTHROPIC_BASE_URL !== state.url) {
      io.out(`Nothing to undo: ${file} does not point Claude Code at CCO (ANTHROPIC_BASE_URL = ${env.ANTHROPIC_BASE_URL ?? 'unset'}).\n`);
      return 0;
    }
    if (state.previous === null) delete env.ANTHROPIC_BASE_URL;
    else env.ANTHROPIC_BASE_URL = state.previous;
    if (Object.keys(env).length) settings.env = env;
    else delete settings.env;
    writeJson(file, settings);
    fs.rmSync(sf, { force: true });
    io.out(`Removed CCO from ${file}${state.previous ? ` (ANTHROPIC_BASE_URL is ${state.previous} again)` : ''}. New Claude Code sessions talk to Anthropic directly.\n`);
    return 0;
  }

  const url = baseUrl(io, parsePortArg(values.port));
  if (env.ANTHROPIC_BASE_URL === url) {
    io.out(`${file} already points Claude Code at CCO (${url}).\n`);
    return 0;
  }
  let backup: string | null = null;
  if (fs.existsSync(file)) {
    backup = `${file}.cco-backup-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    fs.copyFileSync(file, backup);
  }
  const previous = env.ANTHROPIC_BASE_URL ?? null;
  settings.env = { ...env, ANTHROPIC_BASE_URL: url };
  writeJson(file, settings);
  fs.mkdirSync(path.dirname(sf), { recursive: true });
  fs.writeFileSync(sf, JSON.stringify({ settingsFile: file, url, previous, backup } satisfies SetupState, null, 2) + '\n');
  io.out(`Claude Code now uses CCO: ANTHROPIC_BASE_URL=${url} in ${file}\n${backup ? `Backup: ${backup}\n` : ''}New Claude Code sessions pick it up; \`cco setup claude --undo\` reverts.\n`);
  return 0;
}

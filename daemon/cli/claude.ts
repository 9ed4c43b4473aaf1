/**
 * `cco env` prints the shell line that points Claude Code at CCO; `cco setup claude [--undo]` writes
 * `env.ANTHROPIC_BASE_URL` into Claude Code's settings.json (`~/.claude/settings.json`, or
 * `$CLAUDE_CONFIG_DIR/settings.json`), after copying the file to a timestamped backup. `--undo` puts back
 * the value that was there before (or removes the key) — only if the file still points at CCO.
 * Setup never points Claude Code at a daemon that does not answer (Claude Code would hang): with none
 * running it offers `install-service` and writes the setting only once the service answers. It also
 * offers the `statusLine` entry — the fast status-line program with absolute paths (statusline-install.ts);
 * `--undo` reverses both. `--yes` answers yes for scripts.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../config/load.ts';
import type { HealthResponse } from '../../shared/contract.ts';
import { platformDirs } from '../config/paths.ts';
import { CliError, findDaemon, getJson, parse, parsePortArg, UsageError, type Io } from './common.ts';
import { installStatusline, isCcoStatusLine } from './statusline-install.ts';

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
  /** The statusLine entry before CCO's (null: none); absent when setup did not add one. */
  statusLine?: unknown;
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

/** Waits until a daemon (the one on `port`, else any) answers /health; null after `timeoutMs`. */
export async function answeringDaemon(env: NodeJS.ProcessEnv, port: number | undefined, timeoutMs = 0): Promise<string | null> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const d = findDaemon(env, port);
    if (d) {
      try {
        await getJson<HealthResponse>(`${d.record.url}/health`, null, 2000);
        return d.record.url;
      } catch {
        /* not answering (yet) */
      }
    }
    if (Date.now() >= until) return null;
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** What setup may ask: y/N questions. Non-interactive runs answer with --yes (or no). */
export interface SetupDeps {
  confirm(question: string): Promise<boolean>;
  /** Installs and starts the login service (`cco install-service`). */
  installService(io: Io): Promise<void>;
  /** How long to wait for the freshly started service to answer. */
  waitMs?: number;
}

async function ttyConfirm(question: string): Promise<boolean> {
  if (!process.stdin.isTTY) return false;
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  const a = await rl.question(`${question} [y/N] `);
  rl.close();
  return /^y(es)?$/i.test(a.trim());
}

const defaultDeps: SetupDeps = {
  confirm: ttyConfirm,
  async installService(io) {
    const { installServiceCommand } = await import('./maintenance.ts');
    await installServiceCommand([], io);
  },
};

const SETUP_USAGE = 'Usage: cco setup claude [--undo] [--port N] [--yes] [--statusline | --no-statusline]';

export async function setupCommand(argv: string[], io: Io, deps: SetupDeps = defaultDeps): Promise<number> {
  const { values, positionals } = parse(
    argv,
    { undo: { type: 'boolean' }, port: { type: 'string' }, yes: { type: 'boolean', short: 'y' }, statusline: { type: 'boolean' }, 'no-statusline': { type: 'boolean' } },
    SETUP_USAGE,
    true,
  );
  if (positionals.length !== 1 || positionals[0] !== 'claude') throw new UsageError(SETUP_USAGE);
  const file = claudeSettingsFile(io.env);
  const settings = readSettings(file);
  const env = (typeof settings.env === 'object' && settings.env !== null ? settings.env : {}) as Record<string, string>;
  const sf = stateFile(io);
  const ask = (q: string) => (values.yes ? Promise.resolve(true) : deps.confirm(q));

  if (values.undo) {
    let state: SetupState | null;
    try {
      state = JSON.parse(fs.readFileSync(sf, 'utf8')) as SetupState;
    } catch {
      state = null;
    }
    const ours = state !== null && state.settingsFile === file;
    const urlOurs = ours && env.ANTHROPIC_BASE_URL === state!.url;
    const lineOurs = ours && state!.statusLine !== undefined && isCcoStatusLine(settings.statusLine);
    if (!urlOurs && !lineOurs) {
      io.out(`Nothing to undo: ${file} does not point Claude Code at CCO (ANTHROPIC_BASE_URL = ${env.ANTHROPIC_BASE_URL ?? 'unset'}).\n`);
      return 0;
    }
    if (urlOurs) {
      if (state!.previous === null) delete env.ANTHROPIC_BASE_URL;
      else env.ANTHROPIC_BASE_URL = state!.previous;
    }
    if (Object.keys(env).length) settings.env = env;
    else delete settings.env;
    if (lineOurs) {
      if (state!.statusLine === null) delete settings.statusLine;
      else settings.statusLine = state!.statusLine;
    }
    writeJson(file, settings);
    fs.rmSync(sf, { force: true });
    if (urlOurs) io.out(`Removed CCO from ${file}${state!.previous ? ` (ANTHROPIC_BASE_URL is ${state!.previous} again)` : ''}. New Claude Code sessions talk to Anthropic directly.\n`);
    if (lineOurs) io.out(`Removed the CCO status line from ${file}.\n`);
    return 0;
  }

  const port = parsePortArg(values.port);
  // Claude Code pointed at a daemon that is down hangs with no output: never write the setting unless one answers.
  let url = await answeringDaemon(io.env, port);
  if (url === null) {
    io.out('No CCO daemon answers. Claude Code pointed at a stopped daemon cannot reach Anthropic, so CCO must run whenever Claude Code does.\n');
    if (await ask('Install and start the CCO login service now (`cco install-service`)?')) {
      try {
        await deps.installService(io);
      } catch (err) {
        io.err(`cco: install-service failed: ${(err as Error).message}\n`);
      }
      url = await answeringDaemon(io.env, port, deps.waitMs ?? 15_000);
    }
    if (url === null) {
      io.out(`Nothing changed in ${file}. Start CCO first (\`cco install-service\`, or \`cco run\` in a terminal), then run \`cco setup claude\` again.\n`);
      return 1;
    }
  }
  const current = findDaemon(io.env, port);
  const wantLine = values['no-statusline'] ? false : values.statusline ? true : isCcoStatusLine(settings.statusLine) ? !/cco-statusline\.cjs/.test(String((settings.statusLine as { command?: unknown }).command)) : await ask(`Show CCO's cost line in Claude Code's status line (statusLine: "cco statusline")${settings.statusLine ? ', replacing the current one' : ''}?`);
  // The fast status-line program, pointed at this daemon's data folder (found whatever HOME it runs with).
  const line = wantLine ? await installStatusline(current?.record.data_dir ?? platformDirs(io.env).dataDir) : null;
  const urlDone = env.ANTHROPIC_BASE_URL === url;
  if (urlDone && !wantLine) {
    io.out(`${file} already points Claude Code at CCO (${url}).\n`);
    return 0;
  }
  let backup: string | null = null;
  if (fs.existsSync(file)) {
    backup = `${file}.cco-backup-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    fs.copyFileSync(file, backup);
  }
  let prior: SetupState | null;
  try {
    prior = JSON.parse(fs.readFileSync(sf, 'utf8')) as SetupState;
  } catch {
    prior = null;
  }
  const previous = urlDone && prior ? prior.previous : (env.ANTHROPIC_BASE_URL ?? null);
  const statusLine = wantLine ? (isCcoStatusLine(settings.statusLine) ? (prior?.statusLine ?? null) : ((settings.statusLine as unknown) ?? null)) : prior?.statusLine;
  settings.env = { ...env, ANTHROPIC_BASE_URL: url };
  if (line) settings.statusLine = { type: 'command', command: line.command };
  writeJson(file, settings);
  fs.mkdirSync(path.dirname(sf), { recursive: true });
  fs.writeFileSync(sf, JSON.stringify({ settingsFile: file, url, previous, backup, statusLine } satisfies SetupState, null, 2) + '\n', { mode: 0o600 });
  io.out(
    `Claude Code now uses CCO: ANTHROPIC_BASE_URL=${url} in ${file}\n${line ? `Status line: ${line.command}${line.fast ? '' : ' (needs `cco` on PATH)'}\n` : ''}${backup ? `Backup: ${backup}\n` : ''}New Claude Code sessions pick it up; \`cco setup claude --undo\` reverts.\n`,
  );
  return 0;
}

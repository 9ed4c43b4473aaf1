import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { claudeSettingsFile, setupCommand, shellLine } from './claude.ts';
import { browserCommand } from './browser.ts';

describe('shell lines and paths', () => {
  it.each([
    ['bash', 'export ANTHROPIC_BASE_URL=http://127.0.0.1:3000'],
    ['zsh', 'export ANTHROPIC_BASE_URL=http://127.0.0.1:3000'],
    ['fish', 'set -gx ANTHROPIC_BASE_URL http://127.0.0.1:3000'],
    ['powershell', '$env:ANTHROPIC_BASE_URL = "http://127.0.0.1:3000"'],
    ['cmd', 'set ANTHROPIC_BASE_URL=http://127.0.0.1:3000'],
  ])('%s', (shell, line) => {
    expect(shellLine(shell, 'http://127.0.0.1:3000')).toBe(line);
  });
  it('rejects unknown shells', () => {
    expect(() => shellLine('tcsh', 'u')).toThrow('--shell: "tcsh" is not one of');
  });
  it('finds Claude Code settings under HOME or CLAUDE_CONFIG_DIR', () => {
    expect(claudeSettingsFile({ HOME: '/h' })).toBe('/h/.claude/settings.json');
    expect(claudeSettingsFile({ HOME: '/h', CLAUDE_CONFIG_DIR: '/c' })).toBe('/c/settings.json');
  });
  it('picks the browser opener per platform, CCO_BROWSER first', () => {
    expect(browserCommand('u', {}, 'linux')).toEqual(['xdg-open', ['u']]);
    expect(browserCommand('u', {}, 'darwin')).toEqual(['open', ['u']]);
    expect(browserCommand('http://a/?x=1&y=2', {}, 'win32')).toEqual(['cmd', ['/c', 'start', '""', 'http://a/?x=1^&y=2']]);
    expect(browserCommand('u', { CCO_BROWSER: '/bin/b' }, 'linux')).toEqual(['/bin/b', ['u']]);
  });
});

describe('setup claude never points Claude Code at a daemon that does not answer', () => {
  const BIN = fileURLToPath(new URL('../../bin/cco.js', import.meta.url));
  let home: string;
  let env: NodeJS.ProcessEnv;
  let settings: string;
  const children: ChildProcess[] = [];
  beforeEach(() => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'cco-setup-'));
    env = {
      PATH: process.env.PATH,
      HOME: home,
      XDG_CONFIG_HOME: path.join(home, '.config'),
      XDG_DATA_HOME: path.join(home, '.local', 'share'),
      CCO_CREDENTIALS_BACKEND: 'file',
      NO_BROWSER: '1',
      ANTHROPIC_API_KEY: '',
    };
    settings = path.join(home, '.claude', 'settings.json');
    fs.mkdirSync(path.dirname(settings), { recursive: true });
    fs.writeFileSync(settings, JSON.stringify({ theme: 'dark', statusLine: { type: 'command', command: 'mine' } }));
  });
  afterEach(async () => {
    for (const c of children.splice(0)) {
      if (c.exitCode === null) {
        c.kill('SIGKILL');
        await new Promise((r) => c.once('exit', r));
      }
    }
    fs.rmSync(home, { recursive: true, force: true });
  });
  const io = () => {
    const o = { out: '', err: '' };
    return { o, io: { out: (t: string) => void (o.out += t), err: (t: string) => void (o.err += t), env } };
  };

  it('no daemon, service declined or failing: settings.json is left untouched, exit 1', async () => {
    const before = fs.readFileSync(settings, 'utf8');
    const declined = io();
    const asked: string[] = [];
    const installs: number[] = [];
    const code = await setupCommand(['claude'], declined.io, { confirm: async (q) => (asked.push(q), false), installService: async () => void installs.push(1) });
    expect(code).toBe(1);
    expect(asked[0]).toContain('Install and start the CCO login service');
    expect(installs).toEqual([]);
    expect(declined.o.out).toContain('Nothing changed');
    expect(fs.readFileSync(settings, 'utf8')).toBe(before);
    // --yes installs, but a service that never answers still changes nothing.
    const failing = io();
    expect(await setupCommand(['claude', '--yes'], failing.io, { confirm: async () => true, installService: async () => void installs.push(1), waitMs: 300 })).toBe(1);
    expect(installs).toEqual([1]);
    expect(fs.readFileSync(settings, 'utf8')).toBe(before);
  });

  it('writes the setting and the status line once the installed service answers; --undo reverses both', async () => {
    const ran = io();
    const start = async () => {
      // The "service": a real daemon started by the installer, answering only after setup has begun waiting.
      const child = spawn(process.execPath, [BIN, 'run', '--port', '0', '--upstream', 'http://127.0.0.1:9'], { env, stdio: 'ignore' });
      children.push(child);
    };
    const code = await setupCommand(['claude', '--yes'], ran.io, { confirm: async () => false, installService: start, waitMs: 30_000 });
    expect(code, ran.o.out + ran.o.err).toBe(0);
    const written = JSON.parse(fs.readFileSync(settings, 'utf8'));
    expect(written.env.ANTHROPIC_BASE_URL).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    // The fast path: this Node and the tiny status-line program in the daemon's data folder, by absolute path.
    const dataDir = path.join(home, '.local', 'share', 'cco');
    expect(written.statusLine).toEqual({ type: 'command', command: `"${process.execPath}" "${path.join(dataDir, 'statusline', 'cco-statusline.cjs')}" --data-dir "${dataDir}"` });
    const health = await fetch(`${written.env.ANTHROPIC_BASE_URL}/health`);
    expect(health.status).toBe(200);
    // Run as Claude Code runs it: through a shell, JSON on stdin, with another HOME and no cco on PATH.
    const otherHome = fs.mkdtempSync(path.join(os.tmpdir(), 'cco-other-home-'));
    const child = execFile('/bin/sh', ['-c', written.statusLine.command], { env: { HOME: otherHome, PATH: '/usr/bin:/bin', CCO_STATUSLINE_BUDGET_MS: '10000' }, encoding: 'utf8' });
    child.stdin!.end(JSON.stringify({ session_id: 'setup-test', model: { id: 'claude-sonnet-4-5', display_name: 'Sonnet 4.5' } }));
    const line = await new Promise<string>((resolve) => {
      let out = '';
      child.stdout!.on('data', (d) => (out += d));
      child.on('close', () => resolve(out));
    });
    expect(line).toMatch(/^CCO \$0\.00 today · \$0\.00 session · Sonnet 4\.5\n$/);
    fs.rmSync(otherHome, { recursive: true, force: true });
    // Setup again: the line is already ours, nothing is asked.
    const again = io();
    expect(await setupCommand(['claude'], again.io, { confirm: async () => { throw new Error('asked'); }, installService: async () => {} })).toBe(0);
    const undo = io();
    expect(await setupCommand(['claude', '--undo'], undo.io)).toBe(0);
    expect(JSON.parse(fs.readFileSync(settings, 'utf8'))).toEqual({ theme: 'dark', statusLine: { type: 'command', command: 'mine' } });
    expect(undo.o.out).toContain('Removed the CCO status line');
  }, 60_000);
});

import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { doctorCommand, formatChecks, runChecks } from './doctor.ts';

const BIN = fileURLToPath(new URL('../../bin/cco.js', import.meta.url));
let home: string;
let env: NodeJS.ProcessEnv;
const children: ChildProcess[] = [];

beforeAll(() => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'cco-doctor-'));
  env = { PATH: process.env.PATH, HOME: home, XDG_CONFIG_HOME: path.join(home, '.config'), XDG_DATA_HOME: path.join(home, '.local', 'share'), CCO_CREDENTIALS_BACKEND: 'file', NO_BROWSER: '1' };
});
afterAll(async () => {
  for (const c of children) {
    if (c.exitCode === null) {
      c.kill('SIGKILL');
      await new Promise((r) => c.once('exit', r));
    }
  }
  fs.rmSync(home, { recursive: true, force: true });
});

async function cmd(argv: string[]) {
  let out = '';
  const code = await doctorCommand(argv, { out: (t) => void (out += t), err: () => {}, env });
  return { code, out };
}

describe('cco doctor', () => {
  it('with no daemon: fails, and every check that is not ok says how to fix it', async () => {
    const settings = path.join(home, '.claude', 'settings.json');
    fs.mkdirSync(path.dirname(settings), { recursive: true });
    fs.writeFileSync(settings, JSON.stringify({ env: { ANTHROPIC_BASE_URL: 'http://127.0.0.1:3999' } }));
    const r = await cmd([]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/FAIL {2}daemon +no CCO daemon is running\n +fix: start it: cco install-service/);
    expect(r.out).toMatch(/FAIL {2}claude settings +ANTHROPIC_BASE_URL=http:\/\/127\.0\.0\.1:3999 but no daemon answers there: Claude Code will hang\n +fix: /);
    expect(r.out).toMatch(/warn {2}service .*\n +fix: cco install-service/);
    expect(r.out).toMatch(/ok {4}data folder +writable/);
    expect(r.out).toMatch(/ok {4}disk +[\d.]+ GB free/);
    const checks = await runChecks(env);
    for (const c of checks) if (c.level !== 'ok' && c.name !== 'disk') expect(c.fix, c.name).toBeTruthy();
    expect(formatChecks(checks).split('\n').filter((l) => l.includes('fix:')).length).toBe(checks.filter((c) => c.fix).length);
  });

  it('with a daemon the settings point at: daemon, settings, token and last request', async () => {
    const child = spawn(process.execPath, [BIN, 'run', '--port', '0', '--upstream', 'http://127.0.0.1:9'], { env, stdio: ['ignore', 'pipe', 'ignore'] });
    children.push(child);
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    const until = Date.now() + 30_000;
    while (!/listening on (http:\/\/\S+)/.test(out) && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
    const url = /listening on (http:\/\/\S+)/.exec(out)![1]!;
    fs.writeFileSync(path.join(home, '.claude', 'settings.json'), JSON.stringify({ env: { ANTHROPIC_BASE_URL: url } }));
    const checks = await runChecks(env);
    const by = Object.fromEntries(checks.map((c) => [c.name, c]));
    expect(by.daemon).toMatchObject({ level: 'ok' });
    expect(by.daemon!.detail).toContain(url);
    expect(by['claude settings']).toMatchObject({ level: 'ok', detail: `ANTHROPIC_BASE_URL=${url}` });
    expect(by.token).toMatchObject({ level: 'ok' });
    expect(by['last request']).toMatchObject({ level: 'warn', detail: 'nothing recorded yet' });
    // Pointing at another port is caught, with the command that fixes it.
    fs.writeFileSync(path.join(home, '.claude', 'settings.json'), JSON.stringify({ env: { ANTHROPIC_BASE_URL: 'http://127.0.0.1:1' } }));
    const wrong = (await runChecks(env)).find((c) => c.name === 'claude settings')!;
    expect(wrong.level).toBe('fail');
    expect(wrong.fix).toMatch(/^cco setup claude --port \d+$/);
  }, 60_000);
});

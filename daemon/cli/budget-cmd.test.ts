import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BudgetsResponse, LimitsResponse } from '../../shared/contract.ts';
import { platformDirs } from '../config/paths.ts';
import { startDaemon, type RunningDaemon } from '../index.ts';
import { silentLogger } from '../log.ts';
import { startFakeUpstream, type FakeUpstream } from '../../test/fake-upstream/server.ts';
import { addUser } from '../team/users.ts';
import { parseDurationText } from './budget-cmd.ts';
import { main } from './main.ts';

let home: string;
let env: NodeJS.ProcessEnv;
let up: FakeUpstream;

async function cco(args: string[]) {
  let out = '';
  let err = '';
  const code = await main(args, { out: (t) => void (out += t), err: (t) => void (err += t), env });
  return { code, out, err };
}

beforeAll(async () => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'cco-budget-cli-'));
  env = { HOME: home, XDG_CONFIG_HOME: path.join(home, '.config'), XDG_DATA_HOME: path.join(home, '.local', 'share'), TZ: 'UTC' };
  up = await startFakeUpstream({ seed: 2 });
});
afterAll(async () => {
  await up.close();
  fs.rmSync(home, { recursive: true, force: true });
});

describe('cco budget / cco limits', () => {
  it('without a daemon: edits config.toml (comments kept) and lists from it', async () => {
    const file = path.join(platformDirs(env).configDir, 'config.toml');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, '# mine\n[server]\nport = 3999 # keep\n');
    const set = await cco(['budget', 'set', 'daily', '12.5', '--hard']);
    expect(set).toMatchObject({ code: 0, err: '' });
    expect(set.out).toMatch(/daily budget: \$12\.50 \(hard: CCO refuses new requests once it is spent\) — saved in/);
    expect(fs.readFileSync(file, 'utf8')).toBe('# mine\n[server]\nport = 3999 # keep\n\n[budgets]\ndaily_usd = 12.5\ndaily_hard = true\n');
    expect((await cco(['budget', 'list'])).out).toMatch(/^daily\s+\$\s+12\.50\s+hard\s+all projects\n$/);
    expect((await cco(['budget', 'clear', 'daily'])).code).toBe(0);
    expect((await cco(['budget', 'list'])).out).toMatch(/No budgets/);
    expect(await cco(['budget', 'set', 'yearly', '3'])).toMatchObject({ code: 2 });
    expect((await cco(['budget', 'set', 'daily', 'lots'])).err).toMatch(/"lots" is not an amount in USD/);
    expect((await cco(['budget', 'override', '--for', '1h'])).err).toMatch(/no CCO daemon is running/);
    expect(parseDurationText('1h30m')).toBe(90);
    expect(parseDurationText('45m')).toBe(45);
    expect(() => parseDurationText('soon')).toThrow(/not a duration/);
  });

  it('with a daemon: changes apply at once through its API; override; limits', async () => {
    const dirs = platformDirs(env);
    const daemon: RunningDaemon = await startDaemon({ port: 0, upstreamUrl: up.url, dataDir: dirs.dataDir, configDir: dirs.configDir, rateLimit: false, log: silentLogger, apiKey: '' });
    try {
      const set = await cco(['budget', 'set', 'weekly', '5', '--project', '/srv/app']);
      expect(set.out).toBe('weekly budget for /srv/app: $5.00 (soft: notify only), applied now\n');
      const list = JSON.parse((await cco(['budget', 'list', '--json'])).out) as BudgetsResponse;
      expect(list.budgets).toEqual([expect.objectContaining({ period: 'weekly', usd: 5, project: '/srv/app', hard: false, spentNanoUsd: 0 })]);
      expect(fs.readFileSync(path.join(dirs.configDir, 'config.toml'), 'utf8')).toContain('[budgets.projects."/srv/app"]');
      const o = await cco(['budget', 'override', '--for', '1h']);
      expect(o.out).toMatch(/^Hard budgets and paused sessions lifted until /);

      expect((await cco(['limits'])).out).toMatch(/No rate-limit headers seen yet/);
      const r = await fetch(`${daemon.url}/v1/messages`, {
        method: 'POST',
        headers: { 'anthropic-version': '2023-06-01', 'content-type': 'application/json', authorization: 'Bearer sk-ant-oat01-cli', 'anthropic-beta': 'oauth-2025-04-20' },
        body: JSON.stringify({ model: 'claude-sonnet-4-6', max_tokens: 10, messages: [{ role: 'user', content: 'x' }] }),
      });
      expect(r.status).toBe(200);
      const json = JSON.parse((await cco(['limits', '--json'])).out) as LimitsResponse;
      expect(json.credentials[0]!.unified!.windows['5h']!.utilization).toBe(0);
      const text = (await cco(['limits'])).out;
      expect(text).toMatch(/credential [0-9a-f]{12} · allowed/);
      // When the 5 h reset falls on the next day, its clock is shown with the date (clockTime).
      expect(text).toMatch(/ {2}5h +░{20} +0% +resets (?:\w{3} \d{1,2} \w{3} )?\d\d:\d\d \(in 5 h\)/);
      expect(text).toMatch(/ {2}7d Sonnet/);
    } finally {
      await daemon.close();
    }
  });

  it('user budgets: --user and --per-user edit their tables; the list shows the default and each user under it', async () => {
    const dirs = platformDirs(env);
    const file = path.join(dirs.configDir, 'config.toml');
    fs.writeFileSync(file, '# team\n');
    expect((await cco(['budget', 'set', 'daily', '20', '--user', 'alice', '--hard'])).out).toMatch(/^daily budget for user alice: \$20\.00 \(hard: CCO refuses alice's new requests once it is spent\) — saved in/);
    expect((await cco(['budget', 'set', 'daily', '0.01', '--per-user', '--hard'])).out).toMatch(/^daily budget for every user: \$0\.01 \(hard: CCO refuses each user's new requests once it is spent\)/);
    expect(fs.readFileSync(file, 'utf8')).toBe('# team\n\n[budgets.users."alice"]\ndaily_usd = 20\ndaily_hard = true\n\n[budgets.per_user]\ndaily_usd = 0.01\ndaily_hard = true\n');
    expect((await cco(['budget', 'list'])).out).toMatch(/^daily\s+\$\s+20\.00\s+hard\s+user alice\ndaily\s+\$\s+0\.01\s+hard\s+every user \(per-user default\)\n$/);
    expect((await cco(['budget', 'set', 'daily', '5', '--user', 'bob', '--project', '/p'])).code).toBe(2);

    // a loopback daemon attributes a request that sends a token to its user
    const daemon: RunningDaemon = await startDaemon({ port: 0, upstreamUrl: up.url, dataDir: dirs.dataDir, configDir: dirs.configDir, rateLimit: false, log: silentLogger, apiKey: '' });
    try {
      const token = addUser(dirs.dataDir, 'carol');
      const r = await fetch(`${daemon.url}/v1/messages`, {
        method: 'POST',
        headers: { 'anthropic-version': '2023-06-01', 'content-type': 'application/json', 'x-api-key': 'sk-ant-api03-cli', 'x-cco-token': token, 'x-mock-scenario': 'output_tokens:2000' },
        body: JSON.stringify({ model: 'claude-sonnet-4-6', max_tokens: 4000, messages: [{ role: 'user', content: 'x' }] }),
      });
      expect(r.status).toBe(200);
      await r.arrayBuffer();
      const list = (await cco(['budget', 'list'])).out.split('\n');
      expect(list[0]).toMatch(/^daily\s+\$\s+20\.00\s+hard\s+user alice · \$0\.00 spent \(0%\)$/);
      expect(list[1]).toMatch(/^daily\s+\$\s+0\.01\s+hard\s+every user \(per-user default\)$/);
      expect(list[2]).toMatch(/^daily\s+\$\s+0\.01\s+hard\s+user carol \(per-user default\) · \$0\.03 spent \(300%\) · exceeded$/);
      expect((await cco(['budget', 'clear', 'daily', '--per-user'])).out).toBe('daily budget for every user cleared\n');
      expect((await cco(['budget', 'list', '--json'])).out).not.toContain('carol');
    } finally {
      await daemon.close();
    }
  });
});

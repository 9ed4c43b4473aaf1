/**
 * `cco tui` in a real pseudo-terminal (tmux), at 60 and 120 columns, beside a real daemon and the fake
 * upstream: after 1,000 requests the screen shows exactly what the API says. The daemon's API is rate
 * limited hard (30 reads a minute), which a TUI polling summaries could not live with: the numbers come
 * from the live feed.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Summary } from '../../shared/contract.ts';
import { formatCount, formatUsd } from '../api/format.ts';
import { startDaemon, type RunningDaemon } from '../index.ts';
import { silentLogger } from '../log.ts';
import { startFakeUpstream, type FakeUpstream } from '../../test/fake-upstream/server.ts';
import { blocksOf } from '../api/blocks-routes.ts';

const run = promisify(execFile);
const BIN = fileURLToPath(new URL('../../bin/cco.js', import.meta.url));
const SOCKET = `cco-tui-test-${process.pid}`;
const tmux = (...args: string[]) => run('tmux', ['-L', SOCKET, ...args], { encoding: 'utf8' });
const hasTmux = (() => {
  try {
    return fs.statSync('/usr/bin/tmux').isFile() || !!process.env.PATH?.split(':').some((d) => fs.existsSync(path.join(d, 'tmux')));
  } catch {
    return false;
  }
})();

let home: string;
let daemon: RunningDaemon;
let fake: FakeUpstream;

beforeAll(async () => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'cco-tui-tmux-'));
  fake = await startFakeUpstream();
  const dataDir = path.join(home, '.local', 'share', 'cco');
  daemon = await startDaemon({ port: 0, upstreamUrl: fake.url, dataDir, configDir: path.join(home, '.config', 'cco'), log: silentLogger, pidDir: path.join(dataDir, 'pids'), rateLimit: { requestsPerMinute: 30, maxConnections: 8 } });
});
afterAll(async () => {
  await tmux('kill-server').catch(() => {});
  await daemon?.close();
  await fake?.close();
  fs.rmSync(home, { recursive: true, force: true });
});

async function screen(name: string): Promise<string> {
  return (await tmux('capture-pane', '-p', '-t', name)).stdout;
}

async function waitScreen(name: string, ok: (s: string) => boolean, what: string, ms = 20_000): Promise<string> {
  const until = Date.now() + ms;
  let last = '';
  while (Date.now() < until) {
    last = await screen(name);
    if (ok(last)) return last;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}; screen:\n${last}`);
}

describe.skipIf(!hasTmux)('cco tui in tmux', () => {
  it('after 1,000 requests the numbers at 60 and 120 columns equal the API', async () => {
    const env = `HOME=${home} XDG_CONFIG_HOME=${home}/.config XDG_DATA_HOME=${home}/.local/share TZ=UTC NO_BROWSER=1 PATH=${process.env.PATH}`;
    for (const w of [60, 120]) {
      await tmux('new-session', '-d', '-s', `w${w}`, '-x', String(w), '-y', '40', `env ${env} "${process.execPath}" "${BIN}" tui`);
    }
    for (const w of [60, 120]) await waitScreen(`w${w}`, (s) => s.includes('[live]') && /Today\s+\$0\.00\s+0 req/.test(s), `tui ${w} live`);

    // 1,000 requests, 10 at a time: three models (one the price table does not know), two projects.
    const send = async (i: number) => {
      const model = ['claude-sonnet-4-5', 'claude-haiku-4-5', 'claude-test-unpriced'][i % 3];
      const system = `Primary working directory: /home/me/${i % 2 ? 'a' : 'b'}/my-app`;
      const res = await fetch(`${daemon.url}/v1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', 'x-api-key': 'sk-ant-api03-tmux-test-0123456789', 'x-claude-code-session-id': `session-${i % 4}` },
        body: JSON.stringify({ model, max_tokens: 16, system, messages: [{ role: 'user', content: `hello ${i}` }] }),
      });
      await res.arrayBuffer();
    };
    for (let i = 0; i < 1000; i += 10) await Promise.all(Array.from({ length: 10 }, (_, k) => send(i + k)));

    const today = await daemon.store.summary({ range: 'today', tz: 'UTC' });
    const month = await daemon.store.summary({ range: 'month', tz: 'UTC' });
    expect(today.totals.requests).toBe(1000);
    const block = (await blocksOf(daemon.store, Date.now() - 86_400_000, Date.now() + 1)).active!;
    const want = (t: Summary['totals']) => `${formatUsd(t.costNanoUsd)}  ${formatCount(t.requests)} req  ${formatCount(t.unpricedRequests)} unpriced`;
    const sonnet = month.byModel.find((m) => m.key.startsWith('claude-sonnet-4-5'))!;
    for (const w of [60, 120]) {
      const s = await waitScreen(`w${w}`, (x) => x.includes(`Today       ${want(today.totals)}`), `tui ${w} at 1,000 requests`);
      expect(s.split('\n')[0]).toMatch(/^CCO 127\.0\.0\.1:\d+ {2}\[live\] {2}q quits/);
      expect(s).toContain(`This month  ${want(month.totals)}`);
      expect(s).toMatch(new RegExp(`5h block +\\d\\d:00-\\d\\d:00  ${formatUsd(block.costNanoUsd).replace(/[$.]/g, '\\$&')} `));
      expect(s).toMatch(new RegExp(`${sonnet.key.slice(0, 20)}.*\\s${formatUsd(sonnet.costNanoUsd).replace(/[$.]/g, '\\$&')}\\s+${sonnet.requests} req`));
      expect(s).toMatch(/claude-test-unpriced\s+unpriced\s+333 req/);
      expect(s).not.toMatch(/\$0\.00(?!\d)/);
      expect(s.split('\n').filter((l) => l.length > w)).toEqual([]);
      // Views by key.
      await tmux('send-keys', '-t', `w${w}`, 'p');
      const projects = await waitScreen(`w${w}`, (x) => x.includes('By project (this month)'), 'projects view');
      for (const p of month.byProject) expect(projects).toMatch(new RegExp(`${p.key.split('/').slice(-2).join('/')}\\s+${formatUsd(p.costNanoUsd).replace(/[$.]/g, '\\$&')}`));
      await tmux('send-keys', '-t', `w${w}`, 's');
      const sessions = await waitScreen(`w${w}`, (x) => x.includes('By session (this month)'), 'sessions view');
      expect(sessions).toMatch(/session-\d [ab]\/my-app\s+\$/);
      await tmux('send-keys', '-t', `w${w}`, 'q');
    }
    // q ends the program (and with it the tmux session).
    const until = Date.now() + 10_000;
    while (Date.now() < until && (await tmux('list-sessions').then((r) => r.stdout, () => '')).includes('w')) await new Promise((r) => setTimeout(r, 200));
    expect(await tmux('list-sessions').then((r) => r.stdout, () => '')).toBe('');
  }, 240_000);
});

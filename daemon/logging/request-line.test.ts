/**
 * The per-request log line: pure rules, then the real thing — `cco run`'s host (file logger with its
 * secrets) in front of the fake upstream, followed by `cco logs -f`: one line per finished request with
 * status, model, tokens, cost and duration, upstream errors as warnings, and no credential anywhere.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeRecord } from '../store/test-fixtures.ts';
import { hostDaemon } from '../host.ts';
import { logsCommand } from '../cli/logs.ts';
import { startFakeUpstream } from '../../test/fake-upstream/server.ts';
import { requestLogEntry } from './request-line.ts';

const KEY = 'sk-ant-api03-LOGLINE-secret-ABCDEFGHIJKLMNOP0123456789';
const OAUTH = 'sk-ant-oat01-LOGLINE-oauth-ABCDEFGHIJKLMNOP0123456789';

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

describe('request log line', () => {
  it('Messages calls at info with status, model, tokens, cost, duration; errors at warn; the rest at debug', () => {
    expect(requestLogEntry(makeRecord({ id: 'r1', durationMs: 1234, costNanoUsd: 12_300_000 }))).toEqual({
      level: 'info',
      msg: 'request',
      fields: { status: 200, model: 'claude-sonnet-4-5', in: 100, out: 50, cost: '$0.01', ms: 1234, session: 'sess-1', path: '/v1/messages?beta=true', id: 'r1' },
    });
    const overloaded = requestLogEntry(makeRecord({ status: 529, billable: false, costNanoUsd: 0, errorType: 'overloaded_error' }));
    expect(overloaded).toMatchObject({ level: 'warn', msg: 'upstream error', fields: { status: 529, outcome: '529 overloaded', error: 'overloaded_error' } });
    expect(requestLogEntry(makeRecord({ status: null, state: 'upstream_error', billable: false, costNanoUsd: 0 }))).toMatchObject({ level: 'warn', fields: { status: '-', outcome: 'upstream error' } });
    expect(requestLogEntry(makeRecord({ costNanoUsd: null }))).toMatchObject({ level: 'info', fields: { cost: 'unpriced' } });
    expect(requestLogEntry(makeRecord({ path: '/v1/models', billable: false, costNanoUsd: null }))).toMatchObject({ level: 'debug', fields: { cost: '-' } });
  });

  it('cco logs -f shows each finished request and upstream error from a real daemon, with no secret', async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'cco-reqlog-'));
    const fake = await startFakeUpstream();
    const env: NodeJS.ProcessEnv = {
      HOME: home,
      XDG_CONFIG_HOME: path.join(home, '.config'),
      XDG_DATA_HOME: path.join(home, '.local', 'share'),
      CCO_PORT: String(await freePort()),
      CCO_UPSTREAM_URL: fake.url,
      ANTHROPIC_API_KEY: KEY,
      CCO_HISTORY: 'off',
      NO_BROWSER: '1',
    };
    const hosted = await hostDaemon({ env });
    let out = '';
    let stop!: () => void;
    const stopped = new Promise<void>((r) => (stop = r));
    const following = logsCommand(['-f', '-n', '0'], { out: (t) => void (out += t), err: () => {}, env }, stopped);
    try {
      const base = hosted.daemon.url;
      const body = JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 20, messages: [{ role: 'user', content: 'hello' }] });
      const post = (p: string, headers: Record<string, string>) =>
        fetch(`${base}${p}`, { method: 'POST', headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', ...headers }, body }).then(async (r) => {
          await r.text();
          return r.status;
        });
      // A client key, a key in the query string, an OAuth bearer, and the stored key added by CCO.
      expect(await post(`/v1/messages?key=${KEY}`, { 'x-api-key': KEY })).toBe(200);
      expect(await post('/v1/messages', { authorization: `Bearer ${OAUTH}`, 'anthropic-beta': 'oauth-2025-04-20' })).toBe(200);
      fake.script({ status: 529 });
      expect(await post('/v1/messages', {})).toBe(529);
      const deadline = Date.now() + 10_000;
      while (!out.includes('upstream error') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    } finally {
      stop();
      await following;
      await hosted.close();
      await fake.close();
    }
    const lines = out.trim().split('\n');
    const requests = lines.filter((l) => / INFO {2}request /.test(l));
    expect(requests).toHaveLength(2);
    for (const l of requests) expect(l).toMatch(/request status=200 model=claude-sonnet-4-5-\d+ in=\d+ out=\d+ cost=\$[\d.]+ ms=\d+ path=\S+ id=\w+/);
    expect(requests[0]).toContain('path=/v1/messages?key=[redacted]');
    expect(lines.filter((l) => l.includes('upstream error'))).toEqual([expect.stringMatching(/ WARN {2}upstream error status=529 outcome="529 overloaded" .*error=overloaded_error/)]);
    const file = fs.readFileSync(path.join(home, '.local', 'share', 'cco', 'logs', 'cco.log'), 'utf8');
    for (const secret of [KEY, OAUTH, hosted.daemon.token, 'LOGLINE']) {
      expect(file).not.toContain(secret);
      expect(out).not.toContain(secret);
    }
    fs.rmSync(home, { recursive: true, force: true });
  }, 60_000);
});

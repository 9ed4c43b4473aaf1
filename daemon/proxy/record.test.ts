/**
 * buildRecord through the real daemon: a credential in a proxied query string is forwarded as sent but never
 * reaches the journal, the snapshot or the API; a successful response whose usage cannot be read is booked
 * as billable with an unknown cost, never as a free call.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import zlib from 'node:zlib';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UNPRICED_USAGE_UNREADABLE, type RequestDetail, type RequestPage, type Summary } from '../../shared/contract.ts';
import { startDaemon, type RunningDaemon } from '../index.ts';
import { silentLogger } from '../log.ts';
import { startFakeUpstream, type FakeUpstream } from '../../test/fake-upstream/server.ts';

process.env.CCO_CONFIG_DIR ??= fs.mkdtempSync(path.join(os.tmpdir(), 'cco-config-'));

const KEY_IN_QUERY = 'sk-ant-api03-query-string-secret-0123456789';
const TOKEN_IN_QUERY = 'opaque-access-token-value-42';

let fake: FakeUpstream;
let daemon: RunningDaemon;
let dataDir: string;

beforeAll(async () => {
  fake = await startFakeUpstream({ seed: 9 });
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cco-record-'));
  daemon = await startDaemon({ port: 0, upstreamUrl: fake.url, dataDir, log: silentLogger, apiKey: '', rateLimit: false, pidDir: false });
});
afterAll(async () => {
  await daemon?.close();
  await fake?.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe('a credential in a proxied query string', () => {
  it('is forwarded unchanged but never stored: journal, snapshot, API list, detail and export are clean', async () => {
    const headers = { 'x-api-key': 'sk-ant-api03-header-key-is-fine-000', 'anthropic-version': '2023-06-01', 'content-type': 'application/json' };
    const models = await fetch(`${daemon.url}/v1/models?key=${KEY_IN_QUERY}&limit=5`, { headers });
    expect(models.status).toBe(200);
    const msg = await fetch(`${daemon.url}/v1/messages?beta=true&access_token=${TOKEN_IN_QUERY}`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ model: 'claude-haiku-4-5', max_tokens: 8, messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(msg.status).toBe(200);
    await msg.text();
    // byte for byte upstream
    expect(fake.requests().map((r) => r.url)).toEqual([`/v1/models?key=${KEY_IN_QUERY}&limit=5`, `/v1/messages?beta=true&access_token=${TOKEN_IN_QUERY}`]);

    await daemon.store.flush();
    const auth = { authorization: `Bearer ${daemon.token}` };
    const page = (await (await fetch(`${daemon.url}/api/requests?limit=10`, { headers: auth })).json()) as RequestPage;
    expect(page.items.map((r) => r.path).sort()).toEqual(['/v1/messages?beta=true&access_token=[redacted]', '/v1/models?key=[redacted]&limit=5']);
    const texts = [JSON.stringify(page)];
    for (const r of page.items) texts.push(await (await fetch(`${daemon.url}/api/requests/${r.id}`, { headers: auth })).text());
    texts.push(await (await fetch(`${daemon.url}/api/export.csv`, { headers: auth })).text());
    texts.push(await (await fetch(`${daemon.url}/api/export.json`, { headers: auth })).text());
    for (const t of texts) {
      expect(t).not.toContain(KEY_IN_QUERY);
      expect(t).not.toContain(TOKEN_IN_QUERY);
    }

    // journal before the snapshot, then the snapshot
    const scanDisk = () => {
      for (const f of fs.readdirSync(dataDir, { recursive: true }).map(String)) {
        const full = path.join(dataDir, f);
        if (!fs.statSync(full).isFile()) continue;
        const bytes = fs.readFileSync(full);
        expect(bytes.includes(KEY_IN_QUERY), f).toBe(false);
        expect(bytes.includes(TOKEN_IN_QUERY), f).toBe(false);
        expect(bytes.includes('sk-ant-api03-query'), f).toBe(false);
      }
    };
    scanDisk();
    await daemon.store.snapshot();
    scanDisk();
  });
});

describe('a 200 whose usage cannot be read', () => {
  const message = (usage: boolean) =>
    JSON.stringify({ id: 'msg_u', type: 'message', role: 'assistant', model: 'claude-sonnet-4-6', content: [{ type: 'text', text: 'hi' }], stop_reason: 'end_turn', ...(usage ? { usage: { input_tokens: 10, output_tokens: 5 } } : {}) });
  const sseNoBlankLines = [
    'event: message_start',
    `data: {"type":"message_start","message":{"id":"msg_s","type":"message","role":"assistant","model":"claude-sonnet-4-6","content":[],"usage":{"input_tokens":10,"output_tokens":1}}}`,
    'event: message_delta',
    'data: {"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":5}}',
    'event: message_stop',
    'data: {"type":"message_stop"}',
    '',
  ].join('\n');
  const cases: Record<string, (res: http.ServerResponse) => void> = {
    '/v1/messages?case=bad-gzip': (res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip', 'request-id': 'req_badgzip' });
      res.end(Buffer.concat([Buffer.from([0x1f, 0x8b, 0x08, 0x00]), Buffer.from('this is not deflate data at all, just bytes')]));
    },
    '/v1/messages?case=sse-no-blank-lines': (res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'request-id': 'req_sse' });
      res.end(sseNoBlankLines);
    },
    '/v1/messages?case=no-usage': (res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'request-id': 'req_nousage' });
      res.end(message(false));
    },
    '/v1/messages?case=ok-gzip': (res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip', 'request-id': 'req_ok' });
      res.end(zlib.gzipSync(message(true)));
    },
    '/v1/messages/count_tokens?case=not-billable': (res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'request-id': 'req_count' });
      res.end('{"input_tokens":10}');
    },
  };

  it('is booked billable with an unknown cost (usage_unreadable), counted with the unpriced, never as $0', async () => {
    const upstream = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => cases[req.url ?? '']!(res));
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', () => r()));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cco-unreadable-'));
    const d = await startDaemon({ port: 0, upstreamUrl: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`, dataDir: dir, log: silentLogger, apiKey: '', rateLimit: false, pidDir: false });
    try {
      for (const p of Object.keys(cases)) {
        const res = await fetch(d.url + p, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': 'sk-ant-api03-test-000000' }, body: '{"model":"claude-sonnet-4-6","max_tokens":8,"messages":[]}' });
        expect(res.status).toBe(200);
        await res.arrayBuffer().catch(() => null); // the bad gzip body may not decode on this side either
      }
      await d.store.flush();
      const auth = { authorization: `Bearer ${d.token}` };
      const page = (await (await fetch(`${d.url}/api/requests?limit=10`, { headers: auth })).json()) as RequestPage;
      const by = Object.fromEntries(page.items.map((r) => [r.upstreamRequestId, r]));
      for (const rid of ['req_badgzip', 'req_sse', 'req_nousage']) {
        expect(by[rid], rid).toMatchObject({ billable: true, costNanoUsd: null, unpricedReason: UNPRICED_USAGE_UNREADABLE });
      }
      expect(by.req_ok).toMatchObject({ billable: true, unpricedReason: null });
      expect(by.req_ok!.costNanoUsd).toBeGreaterThan(0);
      expect(by.req_count).toMatchObject({ billable: false, costNanoUsd: 0, unpricedReason: null });
      // every total counts them with the unpriced
      const summary = (await (await fetch(`${d.url}/api/summary?range=all`, { headers: auth })).json()) as Summary;
      expect(summary.totals.unpricedRequests).toBe(3);
      expect(summary.totals.costNanoUsd).toBe(by.req_ok!.costNanoUsd);
      const detail = (await (await fetch(`${d.url}/api/requests/${by.req_sse!.id}`, { headers: auth })).json()) as RequestDetail;
      expect(detail.unpricedReason).toBe(UNPRICED_USAGE_UNREADABLE);
      // and a reprice does not turn them into $0
      expect((await fetch(`${d.url}/api/reprice`, { method: 'POST', headers: auth })).status).toBe(200);
      await d.store.flush();
      const after = (await (await fetch(`${d.url}/api/summary?range=all`, { headers: auth })).json()) as Summary;
      expect(after.totals.unpricedRequests).toBe(3);
    } finally {
      await d.close();
      upstream.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the thread of a proxied request', () => {
  it('is a sidechain when Claude Code names an agent, the main thread with only a session, unknown otherwise; detail and exports carry it', async () => {
    fake.reset();
    const base = { 'x-api-key': 'sk-ant-api03-thread-test-key-0000000', 'anthropic-version': '2023-06-01', 'content-type': 'application/json' };
    const send = async (text: string, extra: Record<string, string>) => {
      const res = await fetch(`${daemon.url}/v1/messages`, {
        method: 'POST',
        headers: { ...base, ...extra },
        body: JSON.stringify({ model: 'claude-haiku-4-5', max_tokens: 8, messages: [{ role: 'user', content: text }] }),
      });
      expect(res.status).toBe(200);
      return res.headers.get('request-id')!;
    };
    const sub = await send('sub', { 'x-claude-code-session-id': 'sess-thread', 'x-claude-code-agent-id': 'agent-42' });
    const main = await send('main', { 'x-claude-code-session-id': 'sess-thread' });
    const other = await send('other', {});
    await daemon.store.flush();
    const auth = { authorization: `Bearer ${daemon.token}` };
    const page = (await (await fetch(`${daemon.url}/api/requests?limit=50`, { headers: auth })).json()) as RequestPage;
    const by = Object.fromEntries(page.items.map((r) => [r.upstreamRequestId, r]));
    expect([by[sub]!.isSidechain, by[main]!.isSidechain, by[other]!.isSidechain]).toEqual([true, false, null]);
    expect([by[sub]!.gitBranch, by[main]!.gitBranch]).toEqual([null, null]); // only a transcript knows the branch
    const detail = (await (await fetch(`${daemon.url}/api/requests/${by[sub]!.id}`, { headers: auth })).json()) as RequestDetail;
    expect(detail).toMatchObject({ isSidechain: true, agentId: 'agent-42', gitBranch: null });
    const items = (await (await fetch(`${daemon.url}/api/export.json`, { headers: auth })).json()) as RequestPage['items'];
    expect(items.find((r) => r.upstreamRequestId === main)).toMatchObject({ isSidechain: false, gitBranch: null });
    const csv = (await (await fetch(`${daemon.url}/api/export.csv`, { headers: auth })).text()).split('\r\n');
    const head = csv[0]!.split(',');
    const row = csv.find((l) => l.includes(sub))!.split(',');
    expect(row[head.indexOf('is_sidechain')]).toBe('true');
    expect(row[head.indexOf('git_branch')]).toBe('');
  });
});

/**
 * Limits end to end: the in-process fake upstream with plan limits, the daemon on a real port, the live feed.
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { LimitsResponse, LiveMessage, RequestPage } from '../../shared/contract.ts';
import { startDaemon, type RunningDaemon } from '../index.ts';
import { silentLogger } from '../log.ts';
import { startFakeUpstream, type FakeUpstream } from '../../test/fake-upstream/server.ts';
import { credentialId } from '../proxy/attribution.ts';

process.env.CCO_CONFIG_DIR ??= fs.mkdtempSync(path.join(os.tmpdir(), 'cco-config-'));

const TOKEN = 'sk-ant-oat01-limits-e2e';
let up: FakeUpstream;
let dataDir: string;
let daemon: RunningDaemon;

const start = () => startDaemon({ port: 0, upstreamUrl: up.url, dataDir, pidDir: false, rateLimit: false, log: silentLogger, apiKey: '' });

function call(d: RunningDaemon, body: Record<string, unknown> = {}) {
  return fetch(`${d.url}/v1/messages`, {
    method: 'POST',
    headers: { 'anthropic-version': '2023-06-01', 'content-type': 'application/json', authorization: `Bearer ${TOKEN}`, 'anthropic-beta': 'oauth-2025-04-20' },
    body: JSON.stringify({ model: 'claude-sonnet-4-6', max_tokens: 40, messages: [{ role: 'user', content: 'hi' }], ...body }),
  });
}

async function limits(d: RunningDaemon): Promise<LimitsResponse> {
  const r = await fetch(`${d.url}/api/limits`, { headers: { authorization: `Bearer ${d.token}` } });
  expect(r.status).toBe(200);
  return (await r.json()) as LimitsResponse;
}

beforeAll(async () => {
  up = await startFakeUpstream({ seed: 9, planLimits: { fiveHour: 5000, warnAt: 0.8 } });
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cco-limits-e2e-'));
  daemon = await start();
});
afterAll(async () => {
  await daemon?.close();
  await up?.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe('limits through the daemon', () => {
  it('tracks the unified state per credential, pushes live changes, survives a restart', async () => {
    const ws = new WebSocket(`${daemon.url.replace('http', 'ws')}/api/live?token=${daemon.token}`);
    const frames: LiveMessage[] = [];
    ws.on('message', (d) => frames.push(JSON.parse(String(d)) as LiveMessage));
    await new Promise((r) => ws.once('open', r));

    for (let i = 0; i < 3; i++) expect((await call(daemon)).status).toBe(200);
    const ledger = up.ledger();
    const weight = (u: NonNullable<(typeof ledger)[number]['usage']>) => u.input_tokens + u.cache_creation_input_tokens + 5 * u.output_tokens;
    const afterTwo = (weight(ledger[0]!.usage!) + weight(ledger[1]!.usage!)) / 5000;

    const id = credentialId(TOKEN);
    const snap = await limits(daemon);
    const mine = snap.credentials.find((c) => c.credentialId === id)!;
    expect(mine.unified!.windows['5h']!.utilization).toBeCloseTo(afterTwo, 3);
    expect(mine.unified!.windows['7d_sonnet']).toBeDefined();
    expect(mine.standard!.requests!.limit).toBe(4000);
    expect(mine.history['5h']!.length).toBeGreaterThanOrEqual(2);
    expect(snap.binding).toMatchObject({ credentialId: id });
    const f5 = mine.forecasts.find((f) => f.window === '5h')!;
    expect(f5.spendNanoUsd).toBeGreaterThan(0);
    await daemon.store.flush();

    await new Promise((r) => setTimeout(r, 400));
    const live = frames.filter((m) => m.type === 'limits');
    expect(live.length).toBeGreaterThanOrEqual(1);
    expect(live.at(-1)!.type === 'limits' && live.at(-1)!.limits.credentialId).toBe(id);

    // 100 % → the upstream answers 429 with the headers; the state says rejected
    up.plan.setUtilization('5h', 1, createHash('sha256').update(TOKEN).digest('hex').slice(0, 16));
    const refused = await call(daemon);
    expect(refused.status).toBe(429);
    const rejected = (await limits(daemon)).credentials.find((c) => c.credentialId === id)!;
    expect(rejected.unified!.status).toBe('rejected');
    expect(rejected.unified!.windows['5h']).toMatchObject({ utilization: 1, status: 'rejected' });
    ws.close();

    await daemon.close();
    daemon = await start();
    const again = (await limits(daemon)).credentials.find((c) => c.credentialId === id)!;
    expect(again.unified!.status).toBe('rejected');
    expect(again.history['5h']!.length).toBe(rejected.history['5h']!.length);
  });

  it('garbled rate-limit headers: forwarded byte for byte, record kept, good fields used', async () => {
    const body = '{"id":"msg_x","type":"message","role":"assistant","model":"claude-sonnet-4-6","content":[],"usage":{"input_tokens":10,"output_tokens":5}}';
    const rawHeaders = [
      'Content-Type', 'application/json',
      'request-id', 'req_garbage',
      'anthropic-ratelimit-unified-status', '"rejected"; DROP',
      'anthropic-ratelimit-unified-5h-utilization', '1e400',
      'anthropic-ratelimit-unified-5h-reset', '-1',
      'anthropic-ratelimit-unified-7d-utilization', '0.25',
      'anthropic-ratelimit-tokens-reset', 'yesterday',
      'Content-Length', String(Buffer.byteLength(body)),
    ];
    const garbage = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, rawHeaders);
        res.end(body);
      });
    });
    await new Promise<void>((r) => garbage.listen(0, '127.0.0.1', r));
    const gdir = fs.mkdtempSync(path.join(os.tmpdir(), 'cco-limits-garbage-'));
    const d = await startDaemon({ port: 0, upstreamUrl: `http://127.0.0.1:${(garbage.address() as AddressInfo).port}`, dataDir: gdir, pidDir: false, rateLimit: false, log: silentLogger, apiKey: '' });
    try {
      const got = await new Promise<{ raw: string[]; body: string }>((resolve, reject) => {
        const req = http.request(`${d.url}/v1/messages`, { method: 'POST', headers: { 'x-api-key': 'sk-ant-garbage', 'content-type': 'application/json' } }, (res) => {
          let text = '';
          res.setEncoding('latin1');
          res.on('data', (c: string) => (text += c));
          res.on('end', () => resolve({ raw: res.rawHeaders, body: text }));
        });
        req.on('error', reject);
        req.end('{"model":"claude-sonnet-4-6","max_tokens":5,"messages":[]}');
      });
      expect(got.body).toBe(body);
      const pairs = (raw: string[]) => raw.reduce<string[]>((acc, v, i) => (i % 2 ? acc : [...acc, `${v}: ${raw[i + 1]}`]), []);
      expect(pairs(got.raw)).toEqual(expect.arrayContaining(pairs(rawHeaders)));
      await d.store.flush();
      const page = (await (await fetch(`${d.url}/api/requests`, { headers: { authorization: `Bearer ${d.token}` } })).json()) as RequestPage;
      expect(page.items).toHaveLength(1);
      expect(page.items[0]!.tokens.input).toBe(10);
      const c = (await limits(d)).credentials[0]!;
      expect(c.unified!.status).toBeNull();
      expect(Object.keys(c.unified!.windows)).toEqual(['7d']);
      expect(c.unified!.windows['7d']!.utilization).toBe(0.25);
    } finally {
      await d.close();
      garbage.close();
      fs.rmSync(gdir, { recursive: true, force: true });
    }
  });
});

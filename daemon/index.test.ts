/**
 * The daemon end to end, with real parts: the fake Anthropic upstream in its own process, the daemon on a real
 * port, and the official @anthropic-ai/sdk as the client.
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { LiveMessage, RequestDetail, RequestPage, RequestRecord, Summary } from '../shared/contract.ts';
import { DaemonStartError, startDaemon, type RunningDaemon } from './index.ts';
import { silentLogger } from './log.ts';
import { spawnFakeUpstream } from '../test/fake-upstream/process.ts';
import type { LedgerEntry, RecordedRequest } from '../test/fake-upstream/types.ts';

type Fake = Awaited<ReturnType<typeof spawnFakeUpstream>>;

// Never read the developer's own config (pricing.json) or write to the real home.
process.env.CCO_CONFIG_DIR = fs.mkdtempSync(path.join(os.tmpdir(), 'cco-config-'));

let fake: Fake;
let daemon: RunningDaemon;
let dataDir: string;

const API_KEY = 'sk-ant-api03-integration-test-key';
const longSystem = 'You are a careful assistant. '.repeat(400); // > 1024 tokens: cacheable

function client(opts: Partial<ConstructorParameters<typeof Anthropic>[0]> = {}) {
  return new Anthropic({ apiKey: API_KEY, baseURL: daemon.url, maxRetries: 0, ...opts });
}

async function api<T>(p: string): Promise<T> {
  const res = await fetch(daemon.url + p, { headers: { authorization: `Bearer ${daemon.token}` } });
  expect(res.status, `${p} → ${res.status}`).toBe(200);
  return (await res.json()) as T;
}

/** Records for upstream request ids, once the store has them. */
async function recordsFor(requestIds: string[]): Promise<RequestRecord[]> {
  await daemon.store.flush();
  const page = await api<RequestPage>('/api/requests?limit=500');
  return requestIds.map((rid) => {
    const matches = page.items.filter((r) => r.upstreamRequestId === rid);
    expect(matches, `record for ${rid}`).toHaveLength(1);
    return matches[0]!;
  });
}

function expectBooked(record: RequestRecord, entry: LedgerEntry) {
  const u = entry.usage!;
  const w1h = u.cache_creation?.ephemeral_1h_input_tokens ?? 0;
  expect(record.tokens).toEqual({
    input: u.input_tokens,
    cacheWrite5m: u.cache_creation_input_tokens - w1h,
    cacheWrite1h: w1h,
    cacheRead: u.cache_read_input_tokens,
    output: u.output_tokens,
  });
  expect(record.messageId).toBe(entry.messageId);
  expect(record.model).toBe(entry.model);
}

async function lastLedger(fakeUp: Fake): Promise<LedgerEntry> {
  const ledger = await fakeUp.ledger();
  return ledger[ledger.length - 1]!;
}

beforeAll(async () => {
  fake = await spawnFakeUpstream({ seed: 7 });
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cco-daemon-'));
  daemon = await startDaemon({ port: 0, upstreamUrl: fake.url, dataDir, log: silentLogger, apiKey: '' });
});

afterAll(async () => {
  await daemon?.close();
  await fake?.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

beforeEach(async () => {
  await fake.reset();
});

describe('forwarding through the daemon with the official SDK', () => {
  it('streams a message with the same content and usage as a direct call, and books the ledger usage', async () => {
    const params = {
      model: 'claude-sonnet-4-6',
      max_tokens: 256,
      system: [{ type: 'text' as const, text: longSystem, cache_control: { type: 'ephemeral' as const, ttl: '1h' as const } }],
      messages: [{ role: 'user' as const, content: 'Say hello in three languages.' }],
    };
    const direct = await new Anthropic({ apiKey: API_KEY, baseURL: fake.url, maxRetries: 0 }).messages.stream(params).finalMessage();
    const directLedger = await lastLedger(fake);
    await fake.reset();
    const viaCco = await client().messages.stream(params).finalMessage();
    const entry = await lastLedger(fake);

    expect(viaCco.content).toEqual(direct.content);
    expect(viaCco.usage).toEqual(direct.usage);
    // The SDK accepts gzip, so the stream came back compressed: CCO passed the gzip bytes on and read a copy.
    const [seen] = await fake.requests();
    expect(seen!.rawHeaders.find(([k]) => k.toLowerCase() === 'accept-encoding')?.[1]).toMatch(/gzip/);
    expect(entry.status).toBe('complete');
    expect(entry.usage).toEqual(directLedger.usage);
    const [record] = await recordsFor([entry.requestId]);
    expectBooked(record!, entry);
    expect(record!.state).toBe('complete');
    expect(record!.stream).toBe(true);
    expect(record!.tokens.cacheWrite1h).toBeGreaterThan(1000); // the 1h cache write of the long system prompt
    expect(record!.costNanoUsd).toBeGreaterThan(0);
    expect(record!.priceVersion).toBeTruthy();
  });

  it('returns a JSON message equal to a direct call, and books it', async () => {
    const params = { model: 'claude-haiku-4-5', max_tokens: 64, messages: [{ role: 'user' as const, content: 'héllo wörld ✓ 日本' }] };
    const direct = await new Anthropic({ apiKey: API_KEY, baseURL: fake.url, maxRetries: 0 }).messages.create(params);
    await fake.reset();
    const viaCco = await client().messages.create(params);
    expect(viaCco.content).toEqual(direct.content);
    expect(viaCco.usage).toEqual(direct.usage);
    const entry = await lastLedger(fake);
    const [record] = await recordsFor([entry.requestId]);
    expectBooked(record!, entry);
    expect(record!.stream).toBe(false);
  });

  it('delivers request bytes and headers to the upstream unchanged (minus hop-by-hop and host)', async () => {
    const body = Buffer.from('{"model":"claude-sonnet-4-6","max_tokens":16,  "messages":[{"role":"user","content":"bytes \\u00e9 é"}]}');
    const raw = [
      'X-Api-Key', API_KEY,
      'anthropic-version', '2023-06-01',
      'Anthropic-Beta', 'interleaved-thinking-2025-05-14',
      'anthropic-beta', 'context-management-2025-06-27',
      'X-Claude-Code-Session-Id', 'sess-123',
      'X-Custom-Unknown', 'kept',
      'Content-Type', 'application/json',
      'Content-Length', String(body.length),
      'Connection', 'keep-alive',
      'Host', `127.0.0.1:${daemon.port}`,
    ];
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: daemon.port, method: 'POST', path: '/v1/messages?beta=true', headers: raw, setHost: false }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode!));
      });
      req.on('error', reject);
      req.end(body);
    });
    expect(status).toBe(200);
    const [seen] = (await fake.requests()) as RecordedRequest[];
    expect(seen!.url).toBe('/v1/messages?beta=true');
    expect(Buffer.from(seen!.bodyBase64, 'base64').equals(body)).toBe(true);
    const sent: [string, string][] = [];
    for (let i = 0; i < raw.length; i += 2) if (!/^(connection|host)$/i.test(raw[i]!)) sent.push([raw[i]!, raw[i + 1]!]);
    expect(seen!.rawHeaders.filter(([k]) => !/^(connection|host)$/i.test(k))).toEqual(sent);
    expect(seen!.rawHeaders.find(([k]) => k.toLowerCase() === 'host')![1]).toBe(new URL(fake.url).host);
  });

  it('sends exactly one upstream request per client request and passes error statuses through, so SDK retries behave as direct', async () => {
    await fake.script({ retryThenOk: 2, retryStatus: 529 });
    const msg = await client({ maxRetries: 2 }).messages.create({ model: 'claude-sonnet-4-6', max_tokens: 32, messages: [{ role: 'user', content: 'retry me' }] });
    expect(msg.type).toBe('message');
    const requests = await fake.requests();
    expect(requests).toHaveLength(3); // the SDK's own two retries, nothing added by CCO
    const ledger = await fake.ledger();
    const records = await recordsFor(ledger.map((e) => e.requestId));
    expect(records.map((r) => r.status)).toEqual([529, 529, 200]);
    expect(records.slice(0, 2).every((r) => r.errorType === 'overloaded_error' && r.costNanoUsd === 0)).toBe(true);
  });

  it.each([
    [400, Anthropic.BadRequestError],
    [401, Anthropic.AuthenticationError],
    [429, Anthropic.RateLimitError],
    [500, Anthropic.InternalServerError],
    [529, Anthropic.InternalServerError],
  ])('passes a %i error with its Anthropic body and headers to the client', async (status, ErrorClass) => {
    await fake.script({ status });
    const err = await client()
      .messages.create({ model: 'claude-sonnet-4-6', max_tokens: 8, messages: [{ role: 'user', content: 'x' }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ErrorClass);
    const apiErr = err as InstanceType<typeof Anthropic.APIError>;
    expect(apiErr.status).toBe(status);
    const entry = await lastLedger(fake);
    expect(apiErr.requestID).toBe(entry.requestId);
    expect((apiErr.error as { error: { type: string } }).error.type).toBe(entry.errorType);
    if (status === 429) expect(apiErr.headers?.get('retry-after')).toBeTruthy();
    const [record] = await recordsFor([entry.requestId]);
    expect(record!.errorType).toBe(entry.errorType);
    expect(record!.status).toBe(status);
  });
});

describe('pricing end to end', () => {
  it('stores the exact cost of the ledger usage (Sonnet 4.6: $3 in, $3.75 5m, $6 1h, $0.30 read, $15 out per MTok)', async () => {
    const system = [
      { type: 'text' as const, text: longSystem, cache_control: { type: 'ephemeral' as const, ttl: '1h' as const } },
      { type: 'text' as const, text: 'Context block. '.repeat(500), cache_control: { type: 'ephemeral' as const } },
    ];
    const params = { model: 'claude-sonnet-4-6', max_tokens: 128, system, messages: [{ role: 'user' as const, content: 'price me' }] };
    await client().messages.stream(params).finalMessage(); // writes both cache entries
    await client().messages.create({ ...params, messages: [{ role: 'user', content: 'price me again' }] }); // reads them
    const ledger = await fake.ledger();
    const records = await recordsFor(ledger.map((e) => e.requestId));
    expect(ledger[0]!.usage!.cache_creation!.ephemeral_1h_input_tokens).toBeGreaterThan(0);
    expect(ledger[0]!.usage!.cache_creation!.ephemeral_5m_input_tokens).toBeGreaterThan(0);
    expect(ledger[1]!.usage!.cache_read_input_tokens).toBeGreaterThan(0);
    for (const [i, entry] of ledger.entries()) {
      const u = entry.usage!;
      const w1h = u.cache_creation!.ephemeral_1h_input_tokens;
      const w5m = u.cache_creation_input_tokens - w1h;
      // nano-USD per token = USD per MTok × 1000
      const expected = u.input_tokens * 3000 + w5m * 3750 + w1h * 6000 + u.cache_read_input_tokens * 300 + u.output_tokens * 15000;
      expect(records[i]!.costNanoUsd, `request ${i}`).toBe(expected);
      expect(records[i]!.cacheSavingsNanoUsd).toBe(u.cache_read_input_tokens * (3000 - 300));
    }
    const detail = await api<RequestDetail>(`/api/requests/${records[0]!.id}`);
    expect(detail.breakdown).not.toBeNull();
    const b = detail.breakdown!;
    expect(b.input + b.cacheWrite5m + b.cacheWrite1h + b.cacheRead + b.output + b.webSearch).toBe(records[0]!.costNanoUsd);
  });

  it('stores a model the table does not know as unpriced (NULL cost), counted apart in the summary', async () => {
    const before = await api<Summary>('/api/summary?range=today&tz=UTC');
    await client().messages.create({ model: 'claude-test-unknown-1', max_tokens: 16, messages: [{ role: 'user', content: 'who am I' }] });
    const entry = await lastLedger(fake);
    const [record] = await recordsFor([entry.requestId]);
    expect(record!.costNanoUsd).toBeNull();
    expect(record!.unpricedReason).toBeTruthy();
    const after = await api<Summary>('/api/summary?range=today&tz=UTC');
    expect(after.totals.unpricedRequests).toBe(before.totals.unpricedRequests + 1);
    expect(after.totals.costNanoUsd).toBe(before.totals.costNanoUsd);
  });
});

describe('terminal states match the upstream ledger', () => {
  async function streamOutcome(scenario: string) {
    const stream = client().messages.stream(
      { model: 'claude-sonnet-4-6', max_tokens: 512, messages: [{ role: 'user', content: 'tell me a long story' }] },
      { headers: { 'x-mock-scenario': scenario } },
    );
    return stream.finalMessage().then(
      () => 'ok',
      (e: unknown) => (e instanceof Error ? e.message : String(e)),
    );
  }

  it.each([
    ['mid_error:3', 'error_event', 'error_event'],
    ['truncate:2', 'truncated', 'truncated'],
    ['cut:2', 'cut', 'upstream_error'],
  ])('%s → ledger %s, record %s, with the usage the client saw', async (scenario, ledgerStatus, state) => {
    const outcome = await streamOutcome(scenario);
    expect(outcome).not.toBe('ok');
    const entry = await lastLedger(fake);
    expect(entry.status).toBe(ledgerStatus);
    const [record] = await recordsFor([entry.requestId]);
    expect(record!.state).toBe(state);
    expectBooked(record!, entry);
  });

  it('aborts the upstream call when the client goes away, and records client_aborted', async () => {
    const controller = new AbortController();
    const stream = client().messages.stream(
      { model: 'claude-sonnet-4-6', max_tokens: 512, messages: [{ role: 'user', content: 'slow story' }] },
      { headers: { 'x-mock-scenario': 'slow:gap=100' }, signal: controller.signal },
    );
    let deltas = 0;
    stream.on('text', () => {
      if (++deltas === 2) controller.abort();
    });
    await stream.finalMessage().catch(() => undefined);
    // The upstream sees the disconnect too (CCO aborted its request).
    let entry: LedgerEntry | undefined;
    for (let i = 0; i < 50 && entry?.status !== 'client_aborted'; i++) {
      await new Promise((r) => setTimeout(r, 50));
      entry = await lastLedger(fake);
    }
    expect(entry!.status).toBe('client_aborted');
    const [record] = await recordsFor([entry!.requestId]);
    expect(record!.state).toBe('client_aborted');
    expect(record!.tokens.input).toBe(entry!.usage!.input_tokens);
  });
});

describe('edges of the proxy', () => {
  it('answers HEAD / locally and forwards count_tokens and models at cost 0', async () => {
    const head = await fetch(daemon.url + '/', { method: 'HEAD' });
    expect(head.status).toBe(200);
    const count = await client().messages.countTokens({ model: 'claude-sonnet-4-6', messages: [{ role: 'user', content: 'count me' }] });
    expect(count.input_tokens).toBeGreaterThan(0);
    const models = await client().models.list();
    expect(models.data.length).toBeGreaterThan(0);
    await daemon.store.flush();
    const page = await api<RequestPage>('/api/requests?limit=5');
    const paths = page.items.map((r) => r.path);
    expect(paths).toContain('/v1/messages/count_tokens');
    expect(page.items.filter((r) => r.path.startsWith('/v1/models') || r.path.includes('count_tokens')).every((r) => r.costNanoUsd === 0 && !r.billable)).toBe(true);
  });

  it('adds the configured key only when the client sends none, and never stores it', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cco-key-'));
    const withKey = await startDaemon({ port: 0, upstreamUrl: fake.url, dataDir: dir, log: silentLogger, apiKey: 'sk-ant-configured-secret' });
    try {
      const res = await fetch(withKey.url + '/v1/messages', {
        method: 'POST',
        headers: { 'anthropic-version': '2023-06-01', 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'claude-haiku-4-5', max_tokens: 8, messages: [{ role: 'user', content: 'hi' }] }),
      });
      expect(res.status).toBe(200);
      const [seen] = await fake.requests();
      expect(seen!.rawHeaders).toContainEqual(['x-api-key', 'sk-ant-configured-secret']);
      await withKey.store.flush();
      await withKey.store.snapshot();
      const onDisk = fs.readdirSync(dir, { recursive: true }).map(String);
      for (const f of onDisk) {
        const full = path.join(dir, f);
        if (fs.statSync(full).isFile()) expect(fs.readFileSync(full).includes('sk-ant-configured-secret'), f).toBe(false);
      }
    } finally {
      await withKey.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('answers 502 in the Anthropic envelope when the upstream is unreachable', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cco-502-'));
    const closed = await new Promise<number>((resolve) => {
      const s = http.createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const d = await startDaemon({ port: 0, upstreamUrl: `http://127.0.0.1:${closed}`, dataDir: dir, log: silentLogger });
    try {
      const err = await new Anthropic({ apiKey: API_KEY, baseURL: d.url, maxRetries: 0 })
        .messages.create({ model: 'claude-sonnet-4-6', max_tokens: 8, messages: [{ role: 'user', content: 'x' }] })
        .then(
          () => null,
          (e: unknown) => e as InstanceType<typeof Anthropic.APIError>,
        );
      expect(err).not.toBeNull();
      if (!err) return;
      expect(err.status).toBe(502);
      expect(err.error).toEqual({ type: 'error', error: { type: 'api_error', message: expect.stringMatching(new RegExp(`^CCO could not reach http://127.0.0.1:${closed}: ECONNREFUSED`)) } });
      await d.store.flush();
      const page = await d.store.listRequests({ limit: 5 });
      expect(page.items[0]!.state).toBe('upstream_error');
    } finally {
      await d.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a second daemon on a busy port with one clear error', async () => {
    const err = await startDaemon({ port: daemon.port, upstreamUrl: fake.url, dataDir: fs.mkdtempSync(path.join(os.tmpdir(), 'cco-busy-')), log: silentLogger }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DaemonStartError);
    expect((err as Error).message).toMatch(new RegExp(`Port ${daemon.port} on 127.0.0.1 is already in use`));
  });
});

describe('API and live feed', () => {
  it('serves health and readiness without a token', async () => {
    const health = await (await fetch(daemon.url + '/health')).json();
    expect(health).toEqual({ status: 'ok', uptime: expect.any(Number), version: expect.any(String) });
    const ready = await (await fetch(daemon.url + '/ready')).json();
    expect(ready).toEqual({ ready: true, timestamp: expect.any(String) });
  });

  it('guards the API: no token → 401, foreign Host → 403, loopback bind by default', async () => {
    expect((await fetch(daemon.url + '/api/summary')).status).toBe(401);
    const foreign = await new Promise<number>((resolve) => {
      http.get({ host: '127.0.0.1', port: daemon.port, path: '/api/summary', headers: { host: `evil.example:${daemon.port}`, authorization: `Bearer ${daemon.token}` } }, (res) => {
        res.resume();
        resolve(res.statusCode!);
      });
    });
    expect(foreign).toBe(403);
    expect(daemon.host).toBe('127.0.0.1');
    expect((await fetch(daemon.url + '/api/summary?range=bogus', { headers: { authorization: `Bearer ${daemon.token}` } })).status).toBe(400);
  });

  it('trades the dashboard token for an HttpOnly cookie', async () => {
    const res = await fetch(daemon.dashboardUrl, { redirect: 'manual' });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('/');
    expect(res.headers.get('set-cookie')).toMatch(/cco_token=.*HttpOnly.*SameSite=Strict/i);
  });

  it('a browser without the token gets a page that says how to get in; scripts get plain text', async () => {
    const page = await fetch(daemon.url + '/', { headers: { accept: 'text/html,application/xhtml+xml' } });
    expect(page.status).toBe(401);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    const html = await page.text();
    expect(html).toContain('cco dashboard');
    expect(html).not.toContain(daemon.token);
    const wrong = await fetch(daemon.url + '/?token=not-the-token', { headers: { accept: 'text/html' }, redirect: 'manual' });
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).toContain('not this daemon');
    const script = await fetch(daemon.url + '/');
    expect(script.status).toBe(401);
    expect(script.headers.get('content-type')).toMatch(/text\/plain/);
  });

  it('pushes each finished request on WS /api/live at once (about 5 ms), and sums it in the summary', async () => {
    const ws = new WebSocket(daemon.url.replace('http', 'ws') + '/api/live', { headers: { authorization: `Bearer ${daemon.token}` } });
    const messages: LiveMessage[] = [];
    await new Promise<void>((resolve, reject) => {
      ws.on('message', (data) => {
        const msg = JSON.parse(String(data)) as LiveMessage;
        messages.push(msg);
        if (msg.type === 'hello') resolve();
      });
      ws.on('error', reject);
    });
    const before = await api<Summary>('/api/summary?range=today&tz=UTC');
    const msg = await client().messages.create({ model: 'claude-haiku-4-5', max_tokens: 16, messages: [{ role: 'user', content: 'live' }] });
    const doneAt = Date.now();
    while (!messages.some((m) => m.type === 'request' && m.record.messageId === msg.id) && Date.now() - doneAt < 1000) {
      await new Promise((r) => setTimeout(r, 5));
    }
    const live = messages.find((m) => m.type === 'request' && m.record.messageId === msg.id);
    expect(live, 'live message').toBeDefined();
    expect(Date.now() - doneAt).toBeLessThan(1000); // ~5 ms alone; a bound, not a benchmark (loaded runners)
    ws.close();
    // The feed sends the journal line itself: the very record the store keeps.
    const { breakdown: _b, multipliers: _m, ...stored } = await api<RequestDetail>(`/api/requests/${(live as { record: RequestRecord }).record.id}`);
    expect((live as { record: RequestRecord }).record).toEqual(stored);
    await daemon.store.flush();
    const after = await api<Summary>('/api/summary?range=today&tz=UTC');
    expect(after.totals.requests).toBe(before.totals.requests + 1);
    expect(after.totals.tokens.output - before.totals.tokens.output).toBe(msg.usage.output_tokens);
  });

  it('skips the per-session list on request (sessions=0), and validates the flag', async () => {
    await client().messages.create({ model: 'claude-haiku-4-5', max_tokens: 8, messages: [{ role: 'user', content: 's' }] }, { headers: { 'x-claude-code-session-id': 'sess-flag' } });
    await daemon.store.flush();
    const full = await api<Summary>('/api/summary?range=today&tz=UTC');
    expect(full.bySession?.some((s) => s.key === 'sess-flag')).toBe(true);
    const lean = await api<Summary>('/api/summary?range=today&tz=UTC&sessions=0');
    expect(lean.bySession).toEqual([]);
    expect(lean.totals).toEqual(full.totals);
    expect((await fetch(daemon.url + '/api/summary?sessions=maybe', { headers: { authorization: `Bearer ${daemon.token}` } })).status).toBe(400);
  });

  it("gives a Claude Code side call (session, no working directory) its session's project", async () => {
    const headers = { 'x-claude-code-session-id': 'sess-side-call' };
    const main = await client().messages.create(
      { model: 'claude-sonnet-4-6', max_tokens: 8, system: 'Env\nPrimary working directory: /home/u/b/my-app\nPlatform: linux', messages: [{ role: 'user', content: 'main' }] },
      { headers },
    );
    const side = await client().messages.create({ model: 'claude-haiku-4-5', max_tokens: 8, messages: [{ role: 'user', content: 'title please' }] }, { headers });
    const other = await client().messages.create({ model: 'claude-haiku-4-5', max_tokens: 8, messages: [{ role: 'user', content: 'x' }] }, { headers: { 'x-claude-code-session-id': 'sess-never-named' } });
    await daemon.store.flush();
    const page = await api<RequestPage>('/api/requests?limit=500');
    const byMessage = (id: string) => page.items.find((r) => r.messageId === id)!;
    expect(byMessage(main.id).project).toBe('/home/u/b/my-app');
    expect(byMessage(side.id).project).toBe('/home/u/b/my-app');
    expect(byMessage(other.id).project).toBeNull();
  });

  it('refuses the live feed without a token', async () => {
    const ws = new WebSocket(daemon.url.replace('http', 'ws') + '/api/live');
    const code = await new Promise<number>((resolve) => ws.on('unexpected-response', (_req, res) => resolve(res.statusCode!)));
    expect(code).toBe(401);
  });
});

describe('desktop integration', () => {
  it('pauses and resumes recording while still forwarding', async () => {
    const before = (await daemon.store.stats()).requests;
    daemon.setRecording(false);
    try {
      const msg = await client().messages.create({ model: 'claude-haiku-4-5', max_tokens: 8, messages: [{ role: 'user', content: 'not recorded' }] });
      expect(msg.type).toBe('message');
      await daemon.store.flush();
      expect((await daemon.store.stats()).requests).toBe(before);
    } finally {
      daemon.setRecording(true);
    }
    await client().messages.create({ model: 'claude-haiku-4-5', max_tokens: 8, messages: [{ role: 'user', content: 'recorded' }] });
    await daemon.store.flush();
    expect((await daemon.store.stats()).requests).toBe(before + 1);
  });

  it('grants CORS to the Electron app origin (preflight without token) and to no other origin', async () => {
    const preflight = await fetch(daemon.url + '/api/summary', {
      method: 'OPTIONS',
      headers: { origin: 'app://cco', 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('app://cco');
    expect(preflight.headers.get('access-control-allow-headers')).toContain('authorization');
    const get = await fetch(daemon.url + '/api/summary', { headers: { origin: 'app://cco', authorization: `Bearer ${daemon.token}` } });
    expect(get.status).toBe(200);
    expect(get.headers.get('access-control-allow-origin')).toBe('app://cco');
    // The popover reads the live seq of each answer (renderer/src/hooks/daemon.tsx): exposed cross-origin.
    expect(get.headers.get('access-control-expose-headers')).toBe('x-cco-live-seq');
    expect(Number.isSafeInteger(Number(get.headers.get('x-cco-live-seq')))).toBe(true);
    const evil = await fetch(daemon.url + '/api/summary', { method: 'OPTIONS', headers: { origin: 'https://evil.example' } });
    expect(evil.headers.get('access-control-allow-origin')).toBeNull();
    expect(evil.status).toBe(403);
  });
});

import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import Anthropic, { APIError } from '@anthropic-ai/sdk';
import { createHash } from 'node:crypto';
import { startFakeUpstream, type FakeUpstream } from './server.ts';
import { MODELS } from './catalog.ts';
import { API_KEY, JSON_HEADERS, messagesBody, rawRequest, socketRequest } from './testkit.ts';

let up: FakeUpstream;

beforeAll(async () => {
  up = await startFakeUpstream({ seed: 5 });
});
afterAll(() => up.close());
beforeEach(() => up.reset());

async function errorOf(headers: Record<string, string>, body = messagesBody(), path = '/v1/messages') {
  const r = await rawRequest(`${up.url}${path}`, { headers, body });
  const parsed = JSON.parse(r.text) as { type: string; error: { type: string; message: string }; request_id: string };
  expect(parsed.type).toBe('error');
  expect(parsed.request_id).toBe(r.headers['request-id']);
  return { status: r.status, type: parsed.error.type, message: parsed.error.message, headers: r.headers };
}

describe('validation in §9.2 order with Anthropic wording', () => {
  const base = { 'anthropic-version': '2023-06-01', 'content-type': 'application/json' };
  it.each([
    ['no credential', base, undefined, 401, 'authentication_error', 'x-api-key header is required'],
    ['bad key', { ...base, 'x-api-key': 'nope' }, undefined, 401, 'authentication_error', 'invalid x-api-key'],
    ['OAuth without beta', { ...base, authorization: 'Bearer sk-ant-oat01-abc' }, undefined, 401, 'authentication_error', 'OAuth authentication is currently not supported.'],
    ['auth before version', { 'x-api-key': 'nope' }, undefined, 401, 'authentication_error', 'invalid x-api-key'],
    ['no version', { 'x-api-key': API_KEY }, undefined, 400, 'invalid_request_error', 'anthropic-version: header is required'],
    ['duplicated version', { ...JSON_HEADERS, 'anthropic-version': '2023-06-01, 2023-06-01' }, undefined, 400, 'invalid_request_error', 'anthropic-version: "2023-06-01, 2023-06-01" is not a valid version'],
    ['unknown beta', { ...JSON_HEADERS, 'anthropic-beta': 'claude-code-20250219,bogus-2020-01-01' }, undefined, 400, 'invalid_request_error', 'Unexpected value(s) `bogus-2020-01-01` for the `anthropic-beta` header. Please consult our documentation at docs.claude.com or try again without the header.'],
    ['bad JSON', JSON_HEADERS, '{"model":', 400, 'invalid_request_error', /^The request body is not valid JSON: /],
    ['no max_tokens', JSON_HEADERS, JSON.stringify({ model: 'claude-sonnet-4-6', messages: [] }), 400, 'invalid_request_error', 'max_tokens: Field required'],
    ['no messages', JSON_HEADERS, JSON.stringify({ model: 'claude-sonnet-4-6', max_tokens: 5 }), 400, 'invalid_request_error', 'messages: Field required'],
    ['no model', JSON_HEADERS, JSON.stringify({ max_tokens: 5, messages: [] }), 400, 'invalid_request_error', 'model: Field required'],
    ['unknown model', JSON_HEADERS, messagesBody({ model: 'claude-3-5-sonnet-20241022' }), 404, 'not_found_error', 'model: claude-3-5-sonnet-20241022'],
    ['beta body field without beta', JSON_HEADERS, messagesBody({ context_management: {} }), 400, 'invalid_request_error', 'context_management: Extra inputs are not permitted'],
    ['speed without beta', JSON_HEADERS, messagesBody({ speed: 'fast' }), 400, 'invalid_request_error', 'speed: Extra inputs are not permitted'],
  ] as const)('%s', async (_name, headers, body, status, type, message) => {
    const e = await errorOf(headers as Record<string, string>, body);
    expect(e.status).toBe(status);
    expect(e.type).toBe(type);
    if (typeof message === 'string') expect(e.message).toBe(message);
    else expect(e.message).toMatch(message);
    expect(e.headers['x-should-retry']).toBe('false');
    expect(e.headers['content-type']).toBe('application/json');
    expect(up.ledger().at(-1)).toMatchObject({ status: 'error_status', httpStatus: status, errorType: type });
  });

  it('accepts OAuth with the beta (unified headers), claude-test- models and every known model', async () => {
    const r = await rawRequest(`${up.url}/v1/messages?beta=true`, {
      headers: { ...JSON_HEADERS, 'x-api-key': '', authorization: 'Bearer sk-ant-oat01-secret', 'anthropic-beta': 'oauth-2025-04-20,claude-code-20250219' },
      body: messagesBody(),
    }).catch((e: unknown) => e);
    expect((r as { status: number }).status).toBe(401); // an empty x-api-key is still an (invalid) x-api-key
    const ok = await rawRequest(`${up.url}/v1/messages?beta=true`, {
      headers: { 'anthropic-version': '2023-06-01', authorization: 'Bearer sk-ant-oat01-secret', 'anthropic-beta': 'oauth-2025-04-20,claude-code-20250219' },
      body: messagesBody(),
    });
    expect(ok.status).toBe(200);
    expect(ok.headers['anthropic-ratelimit-unified-status']).toBe('allowed');
    expect(ok.headers['anthropic-ratelimit-unified-representative-claim']).toBe('five_hour');
    expect(Number(ok.headers['anthropic-ratelimit-unified-5h-reset'])).toBeGreaterThan(Date.now() / 1000);
    const keyed = await rawRequest(`${up.url}/v1/messages`, { headers: JSON_HEADERS, body: messagesBody({ model: 'claude-test-unpriced' }) });
    expect(keyed.status).toBe(200);
    expect(keyed.headers['anthropic-ratelimit-unified-status']).toBeUndefined();
    for (const id of ['claude-opus-5-5', 'claude-haiku-5-5', 'claude-sonnet-4-5-20250929', 'claude-fable-5-2']) {
      expect(MODELS.some((m) => m.id === id)).toBe(true);
    }
  });
});

describe('headers, routes and recording', () => {
  it('every response carries request-id, organization id, Cloudflare headers and the rate-limit set', async () => {
    const r = await rawRequest(`${up.url}/v1/messages`, { headers: JSON_HEADERS, body: messagesBody() });
    expect(r.headers['request-id']).toMatch(/^req_011C[1-9A-HJ-NP-Za-km-z]{20}$/);
    expect(r.headers['anthropic-organization-id']).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-a[0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(r.headers.server).toBe('cloudflare');
    expect(r.headers['cf-ray']).toMatch(/^[0-9a-f]{16}-SJC$/);
    expect(r.headers['x-robots-tag']).toBe('none');
    expect(r.headers.date).toBeDefined();
    for (const kind of ['requests', 'tokens', 'input-tokens', 'output-tokens']) {
      for (const f of ['limit', 'remaining', 'reset']) expect(r.headers[`anthropic-ratelimit-${kind}-${f}`]).toBeDefined();
    }
    expect(r.headers['anthropic-ratelimit-requests-reset']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });

  it('HEAD / → 200; unknown route → 404 not_found_error; models list, paging and lookup', async () => {
    const head = await fetch(`${up.url}/`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    const nf = await errorOf(JSON_HEADERS, '{}', '/v1/nope');
    expect(nf).toMatchObject({ status: 404, type: 'not_found_error', message: 'Not Found' });
    const client = new Anthropic({ apiKey: API_KEY, baseURL: up.url, maxRetries: 0 });
    const all = [];
    for await (const m of client.models.list({ limit: 5 })) all.push(m.id);
    expect(all).toEqual(MODELS.map((m) => m.id));
    const one = await client.models.retrieve('claude-opus-5-5');
    expect(one).toMatchObject({ type: 'model', id: 'claude-opus-5-5', display_name: 'Claude Opus 5.5', max_input_tokens: 1_000_000 });
    expect(await client.models.retrieve('claude-nope').catch((e: unknown) => (e as APIError).status)).toBe(404);
    expect(up.ledger()).toHaveLength(0); // none of these is billable
  });

  it('requests() records method, raw path+query, raw headers byte-exact (casing, order, duplicates) and the body', async () => {
    const body = Buffer.from(messagesBody({ note: 'héllo ✓' }));
    const headers: [string, string][] = [
      ['X-Api-Key', API_KEY],
      ['anthropic-version', '2023-06-01'],
      ['X-Claude-Code-Session-Id', 'abc'],
      ['x-custom', 'one'],
      ['X-Custom', 'two'],
      ['Content-Type', 'application/json'],
      ['Content-Length', String(body.length)],
    ];
    const response = await socketRequest(up.url, 'POST', '/v1/messages?beta=true&x=%20y', headers, body);
    expect(response).toMatch(/^HTTP\/1.1 200 OK\r\n/);
    const [rec] = up.requests();
    expect(rec).toMatchObject({ method: 'POST', url: '/v1/messages?beta=true&x=%20y', bodyBytes: body.length, bodyTooLarge: false });
    expect(response).toContain(`request-id: ${rec!.requestId}\r\n`);
    expect(rec!.rawHeaders.slice(1, -1)).toEqual(headers);
    expect(rec!.rawHeaders[0]![0]).toBe('Host');
    expect(Buffer.from(rec!.bodyBase64, 'base64')).toEqual(body);
    expect(rec!.bodySha256).toBe(createHash('sha256').update(body).digest('hex'));
  });

  it('admin routes over HTTP: script, clock, ledger, requests, reset', async () => {
    const post = (p: string, b: unknown) => fetch(`${up.url}/__mock/${p}`, { method: 'POST', body: JSON.stringify(b) });
    expect((await post('script', [{ status: 500 }, { outputTokens: 9 }])).status).toBe(200);
    expect((await rawRequest(`${up.url}/v1/messages`, { headers: JSON_HEADERS, body: messagesBody() })).status).toBe(500);
    const ok = await rawRequest(`${up.url}/v1/messages`, { headers: JSON_HEADERS, body: messagesBody() });
    expect(JSON.parse(ok.text).usage.output_tokens).toBe(9);
    expect(((await post('clock', { ms: 1000 }).then((r) => r.json())) as { now: number }).now).toBe(Date.UTC(2026, 10, 22) + 1000);
    expect((await post('clock', { ms: -1 })).status).toBe(400);
    const ledger = (await (await fetch(`${up.url}/__mock/ledger`)).json()) as unknown[];
    expect(ledger).toHaveLength(2);
    expect(((await (await fetch(`${up.url}/__mock/requests`)).json()) as unknown[]).length).toBe(2);
    await post('reset', {});
    expect(up.ledger()).toHaveLength(0);
    expect(up.requests()).toHaveLength(0);
  });

  it('413 for bodies over 32 MB, and /v1/complete answers the legacy shape', async () => {
    const big = Buffer.alloc(32 * 1024 * 1024 + 10, 0x20);
    const e = await errorOf(JSON_HEADERS, big as unknown as string);
    expect(e).toMatchObject({ status: 413, type: 'request_too_large' });
    expect(up.requests()[0]).toMatchObject({ bodyTooLarge: true, bodyBytes: big.length, bodyBase64: '' });
    const c = await rawRequest(`${up.url}/v1/complete`, { headers: JSON_HEADERS, body: JSON.stringify({ model: 'claude-sonnet-4-6', prompt: '\n\nHuman: hi\n\nAssistant:', max_tokens_to_sample: 20 }) });
    expect(JSON.parse(c.text)).toMatchObject({ type: 'completion', stop_reason: 'stop_sequence', model: 'claude-sonnet-4-6' });
    const s = await rawRequest(`${up.url}/v1/complete`, { headers: JSON_HEADERS, body: JSON.stringify({ model: 'claude-sonnet-4-6', prompt: 'x', max_tokens_to_sample: 20, stream: true }) });
    expect(s.text).toMatch(/^event: completion\ndata: /);
    expect(up.ledger().slice(-2).map((x) => [x.path, x.status, x.usage])).toEqual([['/v1/complete', 'complete', null], ['/v1/complete', 'complete', null]]);
  });
});

import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import Anthropic, {
  APIError, AuthenticationError, BadRequestError, ConflictError, ContentTooLargeError, GatewayTimeoutError, InternalServerError,
  NotFoundError, OverloadedError, PaymentRequiredError, PermissionDeniedError, RateLimitError,
} from '@anthropic-ai/sdk';
import { request } from 'node:http';
import { startFakeUpstream, type FakeUpstream } from './server.ts';
import { STATUS_ERRORS } from './catalog.ts';
import { API_KEY, JSON_HEADERS, messagesBody, parseSse, rawRequest } from './testkit.ts';

let up: FakeUpstream;
let client: Anthropic;

beforeAll(async () => {
  up = await startFakeUpstream({ seed: 9, pingIntervalMs: 100 });
  client = new Anthropic({ apiKey: API_KEY, baseURL: up.url, maxRetries: 0 });
});
afterAll(() => up.close());
beforeEach(() => up.reset());

const params = { model: 'claude-sonnet-4-6', max_tokens: 512, messages: [{ role: 'user' as const, content: 'a story' }] };

describe('scripted status errors', () => {
  const classes: [number, abstract new (...a: never[]) => APIError][] = [
    [400, BadRequestError], [401, AuthenticationError], [402, PaymentRequiredError], [403, PermissionDeniedError],
    [404, NotFoundError], [409, ConflictError], [413, ContentTooLargeError], [429, RateLimitError],
    [500, InternalServerError], [504, GatewayTimeoutError], [529, OverloadedError],
  ];
  it.each(classes)('%i → SDK %o with the §1.5 body and headers', async (status, cls) => {
    up.script({ status });
    const err = await client.messages.create(params).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(cls);
    const e = err as APIError;
    expect(e.status).toBe(status);
    expect(e.type).toBe(STATUS_ERRORS[status]!.type);
    expect(e.apiMessage).toBe(STATUS_ERRORS[status]!.message);
    expect(e.requestID).toMatch(/^req_011C/);
    expect((e.error as { request_id: string }).request_id).toBe(e.requestID);
    expect(e.headers?.get('x-should-retry')).toBe(String(status === 429 || status >= 500));
    expect(e.headers?.get('content-type')).toBe('application/json');
    if (status === 429) {
      expect(e.headers?.get('retry-after')).toBe('15');
      expect(e.headers?.get('anthropic-ratelimit-requests-remaining')).toBe('0');
    }
    expect(up.ledger()).toMatchObject([{ status: 'error_status', httpStatus: status, errorType: STATUS_ERRORS[status]!.type, usage: null }]);
  });

  it('x-mock-scenario and claude-test- model keywords select the same errors', async () => {
    const viaHeader = await client.messages.create(params, { headers: { 'x-mock-scenario': 'status:529' } }).catch((e: unknown) => e);
    expect(viaHeader).toBeInstanceOf(OverloadedError);
    const viaModel = await client.messages.create({ ...params, model: 'claude-test-status-429' }).catch((e: unknown) => e);
    expect(viaModel).toBeInstanceOf(RateLimitError);
    const bad = await client.messages.create(params, { headers: { 'x-mock-scenario': 'explode:1' } }).catch((e: unknown) => e);
    expect((bad as APIError).apiMessage).toContain('unknown item');
  });

  it('scripts are FIFO and honour match by path and model', async () => {
    up.script([{ status: 500, match: { model: 'claude-haiku-5-5' } }, { outputTokens: 33 }, { status: 404, match: { path: '/v1/models' } }]);
    const first = await client.messages.create(params);
    expect(first.usage.output_tokens).toBe(33);
    expect(await client.messages.create({ ...params, model: 'claude-haiku-5-5' }).catch((e: unknown) => e)).toBeInstanceOf(InternalServerError);
    expect(await client.models.list().catch((e: unknown) => e)).toBeInstanceOf(NotFoundError);
  });

  it('retry_then_ok: k failures then success (script, and header per body); SDK retries see each attempt', async () => {
    up.script({ retryThenOk: 2, retryStatus: 529, outputTokens: 21 });
    const retrying = new Anthropic({ apiKey: API_KEY, baseURL: up.url, maxRetries: 3 });
    const ok = await retrying.messages.create(params);
    expect(ok.usage.output_tokens).toBe(21);
    expect(up.ledger().map((e) => e.status)).toEqual(['error_status', 'error_status', 'complete']);
    expect(up.requests()).toHaveLength(3);
    up.reset();
    const h = { headers: { 'x-mock-scenario': 'retry_then_ok:1;retry_status:429;retry_after:0' } };
    expect(await client.messages.create(params, h).catch((e: unknown) => e)).toBeInstanceOf(RateLimitError);
    expect((await client.messages.create(params, h)).type).toBe('message');
  });
});

describe('broken streams', () => {
  it('mid_error: error event after n deltas, clean end, no message_delta; ledger error_event with start usage', async () => {
    const r = await rawRequest(`${up.url}/v1/messages`, { headers: { ...JSON_HEADERS, 'x-mock-scenario': 'mid_error:3' }, body: messagesBody({ stream: true }) });
    expect(r.status).toBe(200);
    expect(r.ending).toBe('end');
    const events = parseSse(r.text);
    expect(events.filter((e) => e.event === 'content_block_delta')).toHaveLength(3);
    expect(events.at(-1)).toEqual({ event: 'error', data: { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } } });
    expect(events.some((e) => e.event === 'message_delta')).toBe(false);
    const [entry] = up.ledger();
    expect(entry!.status).toBe('error_event');
    expect(entry!.usage!.output_tokens).toBe(1);
    expect(entry!.usage!.input_tokens).toBe(entry!.plannedUsage!.input_tokens);
    expect(entry!.emittedOutputTokens).toBeGreaterThan(0);
    const sdkErr = await client.messages.stream(params, { headers: { 'x-mock-scenario': 'mid_error:3' } }).finalMessage().catch((e: unknown) => e);
    expect(sdkErr).toBeInstanceOf(Error);
    // The SDK rejects at the error event, before the server has finished and ledgered that response: wait for it
    // here, or its entry lands after the next test's reset and becomes that test's ledger()[0].
    expect((await up.waitForLedger(2)).map((e) => e.status)).toEqual(['error_event', 'error_event']);
  });

  it('truncate: clean EOF without message_stop; truncate past the last delta keeps message_delta', async () => {
    const r = await rawRequest(`${up.url}/v1/messages`, { headers: { ...JSON_HEADERS, 'x-mock-scenario': 'truncate:2' }, body: messagesBody({ stream: true }) });
    expect(r.ending).toBe('end');
    expect(parseSse(r.text).at(-1)!.event).toBe('content_block_delta');
    expect(up.ledger()[0]).toMatchObject({ status: 'truncated', usage: { output_tokens: 1 } });
    const late = await rawRequest(`${up.url}/v1/messages`, { headers: { ...JSON_HEADERS, 'x-mock-scenario': 'truncate:100000' }, body: messagesBody({ stream: true }) });
    expect(parseSse(late.text).at(-1)!.event).toBe('message_delta');
    const entry = up.ledger()[1]!;
    expect(entry.status).toBe('truncated');
    expect(entry.usage).toEqual(entry.plannedUsage);
  });

  it('cut: socket destroyed without the terminating chunk; the SDK sees an error', async () => {
    const r = await rawRequest(`${up.url}/v1/messages`, { headers: { ...JSON_HEADERS, 'x-mock-scenario': 'cut:2' }, body: messagesBody({ stream: true }) });
    expect(r.ending).toBe('error');
    expect(parseSse(r.raw.toString('utf8')).filter((e) => e.event === 'content_block_delta')).toHaveLength(2);
    expect(up.ledger()[0]).toMatchObject({ status: 'cut', usage: { output_tokens: 1 } });
    const sdkErr = await client.messages.stream(params, { headers: { 'x-mock-scenario': 'cut:2' } }).finalMessage().catch((e: unknown) => e);
    expect(sdkErr).toBeInstanceOf(Error);
    const gz = await rawRequest(`${up.url}/v1/messages`, { headers: { ...JSON_HEADERS, 'accept-encoding': 'gzip', 'x-mock-scenario': 'cut:2' }, body: messagesBody({ stream: true }) });
    expect(gz.ending).toBe('error');
    expect(parseSse(gz.text).filter((e) => e.event === 'content_block_delta')).toHaveLength(2);
  });

  it('client abort mid-stream is recorded as client_aborted with the usage sent so far', async () => {
    const controller = new AbortController();
    const stream = client.messages.stream(params, { headers: { 'x-mock-scenario': 'slow:ttfb=0,gap=30' }, signal: controller.signal });
    let n = 0;
    stream.on('text', () => {
      if (++n === 2) controller.abort();
    });
    await stream.finalMessage().catch(() => undefined);
    const [entry] = await up.waitForLedger(1);
    expect(entry!.status).toBe('client_aborted');
    expect(entry!.usage!.output_tokens).toBe(1);
    expect(entry!.emittedOutputTokens).toBeLessThan(entry!.plannedUsage!.output_tokens);
  });

  it('slow: ttfb delays the head; stall_after keeps the socket open with pings only (or silent)', async () => {
    const t0 = Date.now();
    await client.messages.create(params, { headers: { 'x-mock-scenario': 'slow:ttfb=300,gap=0' } });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(290);

    const seen = await new Promise<string>((resolve) => {
      const req = request(`${up.url}/v1/messages`, { method: 'POST', headers: { ...JSON_HEADERS, 'x-mock-scenario': 'stall_after:1' } }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        setTimeout(() => {
          req.destroy();
          resolve(text);
        }, 450);
      });
      req.end(messagesBody({ stream: true }));
    });
    const events = parseSse(seen);
    expect(events.filter((e) => e.event === 'content_block_delta')).toHaveLength(1);
    expect(events.filter((e) => e.event === 'ping').length).toBeGreaterThanOrEqual(3); // 1 after block start + ≥2 at 100 ms
    const [entry] = await up.waitForLedger(2);
    expect(up.ledger()[1]!.status).toBe('client_aborted');
    expect(entry!.status).toBe('complete');
  });

  it('JSON (stream:false) faults: truncated and cut bodies', async () => {
    const t = await rawRequest(`${up.url}/v1/messages`, { headers: { ...JSON_HEADERS, 'x-mock-scenario': 'truncate:1' }, body: messagesBody() });
    expect(t.ending).toBe('end');
    expect(() => JSON.parse(t.text)).toThrow();
    const c = await rawRequest(`${up.url}/v1/messages`, { headers: { ...JSON_HEADERS, 'x-mock-scenario': 'cut:1' }, body: messagesBody() });
    expect(c.ending).toBe('error');
    expect(up.ledger().map((e) => e.status)).toEqual(['truncated', 'cut']);
  });
});

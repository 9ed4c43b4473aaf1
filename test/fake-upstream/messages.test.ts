import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import Anthropic from '@anthropic-ai/sdk';
import { startFakeUpstream, type FakeUpstream } from './server.ts';
import { API_KEY, JSON_HEADERS, messagesBody, parseSse, rawRequest } from './testkit.ts';
import { SIGNATURE_TEXT } from './generate.ts';

let up: FakeUpstream;
let client: Anthropic;

beforeAll(async () => {
  up = await startFakeUpstream({ seed: 42 });
  client = new Anthropic({ apiKey: API_KEY, baseURL: up.url, maxRetries: 0 });
});
afterAll(() => up.close());
beforeEach(() => up.reset());

const params = { model: 'claude-sonnet-4-6', max_tokens: 512, messages: [{ role: 'user' as const, content: 'Tell me about caching' }] };

describe('POST /v1/messages through the official SDK', () => {
  it('JSON: body usage equals the ledger, key order of §9.5, model echoed, ids in Anthropic format', async () => {
    const { data: msg, response } = await client.messages.create(params).withResponse();
    const [entry] = up.ledger();
    expect(entry).toMatchObject({ status: 'complete', stream: false, httpStatus: 200, messageId: msg.id, model: 'claude-sonnet-4-6' });
    expect(msg.usage).toEqual(entry!.usage);
    expect(msg.model).toBe('claude-sonnet-4-6');
    expect(msg.id).toMatch(/^msg_011C[1-9A-HJ-NP-Za-km-z]{20}$/);
    expect(response.headers.get('request-id')).toBe(entry!.requestId);
    expect(entry!.requestId).toMatch(/^req_011C[1-9A-HJ-NP-Za-km-z]{20}$/);
    const raw = await rawRequest(`${up.url}/v1/messages`, { headers: JSON_HEADERS, body: messagesBody() });
    expect(Object.keys(JSON.parse(raw.text))).toEqual(['model', 'id', 'type', 'role', 'content', 'stop_reason', 'stop_sequence', 'stop_details', 'usage']);
    expect(msg.content[0]!.type === 'text' && msg.content[0].text.startsWith(SIGNATURE_TEXT)).toBe(true);
  });

  it('stream: finalMessage() usage equals the ledger and equals the non-streaming usage of the same body', async () => {
    const streamed = await client.messages.stream(params).finalMessage();
    const json = await client.messages.create(params);
    const [s, j] = up.ledger();
    expect(s).toMatchObject({ status: 'complete', stream: true, messageId: streamed.id });
    expect(streamed.usage).toEqual(s!.usage);
    expect(s!.usage).toEqual(s!.plannedUsage);
    expect(j!.usage).toEqual(s!.usage);
    expect(json.content).toEqual(streamed.content);
    expect(s!.emittedOutputTokens).toBe(s!.usage!.output_tokens);
  });

  it('stream wire format: message_start placeholder output, padded compact JSON, ping after first block start', async () => {
    const r = await rawRequest(`${up.url}/v1/messages`, { headers: JSON_HEADERS, body: messagesBody({ stream: true }) });
    expect(r.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(r.headers['cache-control']).toBe('no-cache');
    expect(r.headers['transfer-encoding']).toBe('chunked');
    const events = parseSse(r.text);
    expect(events.map((e) => e.event).slice(0, 3)).toEqual(['message_start', 'content_block_start', 'ping']);
    expect(events.slice(-2).map((e) => e.event)).toEqual(['message_delta', 'message_stop']);
    for (const e of events) expect(e.data.type).toBe(e.event);
    const start = (events[0]!.data.message as { usage: Record<string, unknown> }).usage;
    expect(start.output_tokens).toBe(1);
    expect(start.cache_creation).toEqual({ ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 0 });
    const delta = events.at(-2)!.data.usage as Record<string, unknown>;
    expect(delta.cache_creation).toBeUndefined();
    expect(r.text).toMatch(/^data: \{"type":"message_stop" {1,16}\}$/m);
    const spaced = await rawRequest(`${up.url}/v1/messages`, { headers: { ...JSON_HEADERS, 'x-mock-scenario': 'spaced;pad:0' }, body: messagesBody({ stream: true }) });
    expect(spaced.text).toContain('data: {"type": "message_stop"}\n\n');
    expect(spaced.text).toContain('data: {"type": "ping"}\n\n');
  });

  it('gzip: JSON and SSE compressed when accepted and enabled; identity otherwise', async () => {
    const gz = await rawRequest(`${up.url}/v1/messages`, { headers: { ...JSON_HEADERS, 'accept-encoding': 'gzip, deflate' }, body: messagesBody() });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gz.headers.vary).toBe('Accept-Encoding');
    expect(gz.raw.subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
    expect(JSON.parse(gz.text).type).toBe('message');
    const sse = await rawRequest(`${up.url}/v1/messages`, { headers: { ...JSON_HEADERS, 'accept-encoding': 'gzip' }, body: messagesBody({ stream: true }) });
    expect(sse.headers['content-encoding']).toBe('gzip');
    expect(parseSse(sse.text).at(-1)!.event).toBe('message_stop');
    expect(sse.chunks.length).toBeGreaterThan(3); // sync-flushed per event, so it still streams
    const plain = await rawRequest(`${up.url}/v1/messages`, { headers: JSON_HEADERS, body: messagesBody() });
    expect(plain.headers['content-encoding']).toBeUndefined();
    const refused = await rawRequest(`${up.url}/v1/messages`, { headers: { ...JSON_HEADERS, 'accept-encoding': 'gzip;q=0' }, body: messagesBody() });
    expect(refused.headers['content-encoding']).toBeUndefined();

    const off = await startFakeUpstream({ gzip: false });
    try {
      const r = await rawRequest(`${off.url}/v1/messages`, { headers: { ...JSON_HEADERS, 'accept-encoding': 'gzip' }, body: messagesBody({ stream: true }) });
      expect(r.headers['content-encoding']).toBeUndefined();
      expect(parseSse(r.raw.toString('utf8')).at(-1)!.event).toBe('message_stop');
    } finally {
      await off.close();
    }
  });

  it('random chunking splits inside UTF-8 and between the two newlines, and the SDK still parses it', async () => {
    const r = await rawRequest(`${up.url}/v1/messages`, { headers: { ...JSON_HEADERS, 'x-mock-scenario': 'chunking:random;output_tokens:400' }, body: messagesBody({ stream: true, max_tokens: 1000 }) });
    const joined = Buffer.concat(r.chunks);
    let insideUtf8 = 0;
    let betweenNewlines = 0;
    let offset = 0;
    for (const c of r.chunks.slice(0, -1)) {
      offset += c.length;
      if ((joined[offset]! & 0xc0) === 0x80) insideUtf8++;
      if (joined[offset - 1] === 0x0a && joined[offset] === 0x0a) betweenNewlines++;
    }
    // TCP may merge writes on the way, but with hundreds of random splits some survive.
    expect(r.chunks.length).toBeGreaterThan(20);
    expect(insideUtf8 + betweenNewlines).toBeGreaterThan(0);
    const msg = await client.messages.stream({ ...params, max_tokens: 1000 }, { headers: { 'x-mock-scenario': 'chunking:random;output_tokens:400' } }).finalMessage();
    const entry = up.ledger().at(-1)!;
    expect(msg.usage).toEqual(entry.usage);
    expect(msg.usage.output_tokens).toBe(400);
    const coalesced = await client.messages.stream(params, { headers: { 'x-mock-scenario': 'chunking:coalesce' } }).finalMessage();
    expect(coalesced.usage).toEqual(up.ledger().at(-1)!.usage);
  });

  it('thinking: thinking_delta + signature_delta, thinking_tokens inside output_tokens', async () => {
    const body = { ...params, max_tokens: 2000, thinking: { type: 'enabled' as const, budget_tokens: 1024 } };
    const r = await rawRequest(`${up.url}/v1/messages`, { headers: JSON_HEADERS, body: JSON.stringify({ ...body, stream: true }) });
    const deltas = parseSse(r.text).filter((e) => e.event === 'content_block_delta' && e.data.index === 0).map((e) => (e.data.delta as { type: string }).type);
    expect(deltas.at(-1)).toBe('signature_delta');
    expect(new Set(deltas.slice(0, -1))).toEqual(new Set(['thinking_delta']));
    const msg = await client.messages.stream(body).finalMessage();
    expect(msg.content.map((b) => b.type)).toEqual(['thinking', 'text']);
    const u = msg.usage as unknown as { output_tokens: number; output_tokens_details: { thinking_tokens: number } };
    expect(u.output_tokens_details.thinking_tokens).toBeGreaterThan(0);
    expect(u.output_tokens_details.thinking_tokens).toBeLessThan(u.output_tokens);
    expect(msg.usage).toEqual(up.ledger().at(-1)!.usage);
  });

  it('tool_use: input_json_delta starting with "" and stop_reason tool_use', async () => {
    const tools = [{ name: 'get_weather', description: 'weather', input_schema: { type: 'object' as const, properties: { city: { type: 'string' }, days: { type: 'integer' } } } }];
    const body = { ...params, tools, tool_choice: { type: 'any' as const } };
    const r = await rawRequest(`${up.url}/v1/messages`, { headers: JSON_HEADERS, body: JSON.stringify({ ...body, stream: true }) });
    const events = parseSse(r.text);
    const toolStart = events.find((e) => e.event === 'content_block_start' && (e.data.content_block as { type: string }).type === 'tool_use')!;
    const firstJson = events.find((e) => e.event === 'content_block_delta' && e.data.index === toolStart.data.index)!;
    expect(firstJson.data.delta).toEqual({ type: 'input_json_delta', partial_json: '' });
    const msg = await client.messages.stream(body).finalMessage();
    expect(msg.stop_reason).toBe('tool_use');
    const tool = msg.content.find((b) => b.type === 'tool_use')!;
    expect(tool.type === 'tool_use' && Object.keys(tool.input as object)).toEqual(['city', 'days']);
  });

  it('web search: server_tool_use counted, final input_tokens larger than message_start', async () => {
    const body = { ...params, tools: [{ type: 'web_search_20250305' as const, name: 'web_search' as const }] };
    const r = await rawRequest(`${up.url}/v1/messages`, { headers: JSON_HEADERS, body: JSON.stringify({ ...body, stream: true }) });
    const events = parseSse(r.text);
    const startIn = ((events[0]!.data.message as { usage: { input_tokens: number } }).usage).input_tokens;
    const delta = events.find((e) => e.event === 'message_delta')!.data.usage as { input_tokens: number; server_tool_use: { web_search_requests: number } };
    expect(delta.input_tokens).toBeGreaterThan(startIn);
    expect(delta.server_tool_use.web_search_requests).toBe(1);
    const msg = await client.messages.stream(body, { headers: { 'x-mock-scenario': 'web_search:2' } }).finalMessage();
    expect(msg.usage.server_tool_use?.web_search_requests).toBe(2);
    expect(msg.content.map((b) => b.type)).toEqual(['server_tool_use', 'web_search_tool_result', 'server_tool_use', 'web_search_tool_result', 'text']);
    expect(msg.usage).toEqual(up.ledger().at(-1)!.usage);
  });

  it('output tokens follow the script, cap at max_tokens, and are deterministic for a seed', async () => {
    up.script({ outputTokens: 77 });
    const a = await client.messages.create(params);
    expect(a.usage.output_tokens).toBe(77);
    const capped = await client.messages.create({ ...params, max_tokens: 10 }, { headers: { 'x-mock-scenario': 'output_tokens:50' } });
    expect(capped.usage.output_tokens).toBe(10);
    expect(capped.stop_reason).toBe('max_tokens');
    const other = await startFakeUpstream({ seed: 42 });
    try {
      const b = await new Anthropic({ apiKey: API_KEY, baseURL: other.url }).messages.create({ ...params, messages: [{ role: 'user', content: 'fresh' }] });
      const c = await client.messages.create({ ...params, messages: [{ role: 'user', content: 'fresh' }] });
      expect(b.content).toEqual(c.content);
      expect(b.usage.output_tokens).toBe(c.usage.output_tokens);
    } finally {
      await other.close();
    }
  });

  it('fast mode and inference_geo show in usage; alias answers with the dated model id', async () => {
    const r = await rawRequest(`${up.url}/v1/messages`, {
      headers: { ...JSON_HEADERS, 'anthropic-beta': 'fast-mode-2026-02-01' },
      body: JSON.stringify({ model: 'claude-opus-4-6', max_tokens: 50, speed: 'fast', inference_geo: 'us', messages: [{ role: 'user', content: 'hi' }] }),
    });
    const usage = JSON.parse(r.text).usage;
    expect(usage.speed).toBe('fast');
    expect(usage.inference_geo).toBe('us');
    const alias = await client.messages.create({ ...params, model: 'claude-sonnet-4-5' });
    expect(alias.model).toBe('claude-sonnet-4-5-20250929');
    expect(up.ledger().at(-1)).toMatchObject({ model: 'claude-sonnet-4-5-20250929', modelRequested: 'claude-sonnet-4-5' });
  });
});

describe('structured outputs', () => {
  const schema = { type: 'object', properties: { title: { type: 'string' }, n: { type: 'integer' } }, required: ['title', 'n'], additionalProperties: false };
  it('output_config.format json_schema (and the older output_format): the text is JSON of the schema, its tokens are the output', async () => {
    for (const extra of [{ output_config: { format: { type: 'json_schema', schema } } }, { output_format: { type: 'json_schema', schema } }]) {
      const raw = await rawRequest(`${up.url}/v1/messages`, {
        headers: { ...JSON_HEADERS, 'anthropic-beta': 'structured-outputs-2025-12-15' },
        body: JSON.stringify({ ...params, ...extra }),
      });
      expect(raw.status, raw.text).toBe(200);
      const msg = JSON.parse(raw.text) as { content: { type: string; text: string }[]; usage: { output_tokens: number } };
      const text = msg.content.find((b) => b.type === 'text')!.text;
      const v = JSON.parse(text) as { title: unknown; n: unknown };
      expect(Object.keys(v)).toEqual(['title', 'n']);
      expect(typeof v.title).toBe('string');
      expect(Number.isInteger(v.n)).toBe(true);
      expect(msg.usage.output_tokens).toBe(Math.ceil(Buffer.byteLength(text) / 4));
    }
  });
});

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SseParser } from './sse.ts';
import { StreamUsageAccumulator, readJsonResponse, readJsonResponseBytes, reconcileCacheSplit, type StreamObservation } from './usage.ts';
import type { AnthropicUsage } from '../../shared/contract.ts';

const dir = join(import.meta.dirname, 'testdata');
const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as Record<string, StreamObservation>;

function observe(text: string | Buffer): StreamObservation {
  const acc = new StreamUsageAccumulator();
  const parser = new SseParser((e, d) => acc.onEvent(e, d));
  parser.push(typeof text === 'string' ? new TextEncoder().encode(text) : text);
  parser.end();
  return acc.result();
}

const sse = (...events: [string, unknown][]): string =>
  events.map(([e, d]) => `event: ${e}\ndata: ${typeof d === 'string' ? d : JSON.stringify(d)}\n\n`).join('');

describe('StreamUsageAccumulator', () => {
  for (const name of Object.keys(expected)) {
    it(`reads ${name}.sse as expected`, () => {
      expect(observe(readFileSync(join(dir, `${name}.sse`)))).toEqual(expected[name]);
    });
  }

  it('overwrites with fields present in message_delta, never adds, and ignores null', () => {
    const r = observe(
      sse(
        ['message_start', { type: 'message_start', message: { id: 'm', model: 'x', usage: { input_tokens: 10, cache_read_input_tokens: 7, output_tokens: 1 } } }],
        ['message_delta', { type: 'message_delta', delta: { stop_reason: null }, usage: { output_tokens: 5 } }],
        ['message_delta', { type: 'message_delta', delta: { stop_reason: 'max_tokens' }, usage: { output_tokens: 9, input_tokens: 12, cache_read_input_tokens: null } }],
        ['message_stop', { type: 'message_stop' }],
      ),
    );
    expect(r.usage).toEqual({ input_tokens: 12, cache_read_input_tokens: 7, output_tokens: 9 });
    expect(r.stopReason).toBe('max_tokens');
  });

  it('takes the 5m/1h split from message_start only', () => {
    const r = observe(
      sse(
        ['message_start', { type: 'message_start', message: { usage: { cache_creation_input_tokens: 100, cache_creation: { ephemeral_5m_input_tokens: 100, ephemeral_1h_input_tokens: 0 } } } }],
        ['message_delta', { type: 'message_delta', usage: { output_tokens: 3, cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 100 } } }],
      ),
    );
    expect(r.usage?.cache_creation).toEqual({ ephemeral_5m_input_tokens: 100, ephemeral_1h_input_tokens: 0 });
  });

  it('ignores pings, unknown events and a second message_start', () => {
    const r = observe(
      sse(
        ['message_start', { type: 'message_start', message: { id: 'a', usage: { input_tokens: 1 } } }],
        ['ping', '{"type": "ping"}'],
        ['brand_new_event', '{not json at all'],
        ['message_start', { type: 'message_start', message: { id: 'b', usage: { input_tokens: 99 } } }],
      ),
    );
    expect(r).toMatchObject({ messageId: 'a', usage: { input_tokens: 1 }, parseError: null, sawMessageStop: false });
  });

  it('records malformed usage-bearing events as a parse error and keeps what it has', () => {
    const r = observe(
      sse(
        ['message_start', { type: 'message_start', message: { id: 'a', usage: { input_tokens: 4, output_tokens: 1 } } }],
        ['message_delta', '{"type":"message_delta","usage":{"output_tok'],
        ['message_stop', '{"type":"message_stop"}'],
      ),
    );
    expect(r.usage).toEqual({ input_tokens: 4, output_tokens: 1 });
    expect(r.sawMessageStop).toBe(true);
    expect(r.parseError).toMatch(/^message_delta: /);
  });

  it('captures the error type of an error event, with or without request_id', () => {
    const r = observe(sse(['error', { type: 'error', error: { type: 'api_error', message: 'x' }, request_id: 'req_1' }]));
    expect(r).toMatchObject({ errorType: 'api_error', sawMessageStart: false, usage: null });
    expect(observe(sse(['error', { type: 'error' }])).errorType).toBe('unknown_error');
  });

  it('reads data-only events (no event: line) by their JSON type', () => {
    const r = observe(
      'data: {"type":"message_start","message":{"id":"m","usage":{"input_tokens":3}}}\n\n' +
        'data: {"type":"message_delta","usage":{"output_tokens":8}}\n\ndata: {"type":"message_stop"}\n\n',
    );
    expect(r).toMatchObject({ messageId: 'm', usage: { input_tokens: 3, output_tokens: 8 }, sawMessageStop: true });
  });
});

describe('reconcileCacheSplit', () => {
  const split = (m5: number, h1: number) => ({ ephemeral_5m_input_tokens: m5, ephemeral_1h_input_tokens: h1 });
  it.each([
    [1500, split(400, 600), split(600, 900)],
    [1000, split(1000, 0), split(1000, 0)],
    [7, split(1, 2), split(2, 5)],
    [500, split(0, 0), split(500, 0)],
    [0, split(10, 10), split(0, 0)],
  ])('total %i with split %j → %j', (total, before, after) => {
    const u: AnthropicUsage = { cache_creation_input_tokens: total, cache_creation: before };
    reconcileCacheSplit(u);
    expect(u.cache_creation).toEqual(after);
    expect(u.cache_creation!.ephemeral_5m_input_tokens! + u.cache_creation!.ephemeral_1h_input_tokens!).toBe(total);
  });
  it('leaves usage without a split alone', () => {
    const u: AnthropicUsage = { cache_creation_input_tokens: 10 };
    reconcileCacheSplit(u);
    expect(u).toEqual({ cache_creation_input_tokens: 10 });
  });
});

describe('readJsonResponse', () => {
  it('reads the real non-streaming capture', () => {
    const body =
      '{"model":"claude-sonnet-4-6","id":"msg_01QCj5VkxPS3NQUtrt5Npjcr","type":"message","role":"assistant",' +
      '"content":[{"type":"text","text":"Quantum computing uses ..."}],"stop_reason":"end_turn","stop_sequence":null,' +
      '"usage":{"input_tokens":15,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,' +
      '"cache_creation":{"ephemeral_5m_input_tokens":0,"ephemeral_1h_input_tokens":0},' +
      '"output_tokens":35,"service_tier":"standard","inference_geo":"global"}}';
    expect(readJsonResponse(body)).toEqual({
      messageId: 'msg_01QCj5VkxPS3NQUtrt5Npjcr',
      model: 'claude-sonnet-4-6',
      usage: {
        input_tokens: 15,
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: 0,
        cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 0 },
        output_tokens: 35,
        service_tier: 'standard',
        inference_geo: 'global',
      },
      sawMessageStart: false,
      sawMessageStop: false,
      errorType: null,
      stopReason: 'end_turn',
      parseError: null,
    });
  });

  it('reads the error envelope', () => {
    const r = readJsonResponse('{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"},"request_id":"req_011CZ"}');
    expect(r).toMatchObject({ errorType: 'overloaded_error', usage: null, parseError: null });
  });

  it('reports invalid JSON and tolerates bodies without usage', () => {
    expect(readJsonResponse('{"type":"mess').parseError).toMatch(/^invalid JSON body/);
    expect(readJsonResponse('{"input_tokens": 12}')).toMatchObject({ usage: null, parseError: null, errorType: null });
    expect(readJsonResponse('[1,2]')).toMatchObject({ usage: null, parseError: null });
  });
});

describe('readJsonResponseBytes', () => {
  const msg = (over: Record<string, unknown>) =>
    JSON.stringify({ id: 'msg_1', type: 'message', role: 'assistant', model: 'claude-sonnet-4-6', content: [{ type: 'text', text: 'Grüße, 日本語, 😀 ∑' }], stop_reason: 'end_turn', usage: { input_tokens: 3, output_tokens: 9, service_tier: 'standard' }, ...over });
  const utf8 = (s: string) => new Uint8Array(Buffer.from(s, 'utf8'));

  it('reads what readJsonResponse reads from the UTF-8 text, non-ASCII text in the content', () => {
    const body = msg({});
    expect(readJsonResponseBytes(utf8(body))).toEqual(readJsonResponse(body));
    expect(readJsonResponseBytes(utf8(body)).usage).toEqual({ input_tokens: 3, output_tokens: 9, service_tier: 'standard' });
  });

  it('decodes as UTF-8 when a field it reads holds non-ASCII', () => {
    for (const over of [{ model: 'modèle-ü' }, { id: 'msg_é' }, { stop_reason: 'fin_ñ' }, { usage: { input_tokens: 1, service_tier: 'ünïcode' } }, { type: 'error', error: { type: 'überlastet' } }]) {
      const body = msg(over);
      const read = readJsonResponseBytes(utf8(body));
      expect(read).toEqual(readJsonResponse(body));
    }
    expect(readJsonResponseBytes(utf8(msg({ model: 'modèle-ü' }))).model).toBe('modèle-ü');
  });

  it('skips a BOM and reports a body that does not parse as the UTF-8 read does', () => {
    const body = msg({});
    expect(readJsonResponseBytes(new Uint8Array([0xef, 0xbb, 0xbf, ...utf8(body)]))).toEqual(readJsonResponse(body));
    const broken = '{"id":"msg_ü", "model": ';
    expect(readJsonResponseBytes(utf8(broken))).toEqual(readJsonResponse(broken));
    expect(readJsonResponseBytes(utf8(broken)).parseError).toMatch(/invalid JSON body/);
  });

  it('reads a slice of a larger buffer (byteOffset honoured)', () => {
    const body = msg({});
    const big = Buffer.from('xxxx' + body + 'yyyy', 'utf8');
    expect(readJsonResponseBytes(big.subarray(4, big.length - 4))).toEqual(readJsonResponse(body));
  });
});

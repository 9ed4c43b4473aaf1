import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { MAX_JSON_BYTES, contentKind, createObserver, decideState, type Observation } from './observer.ts';

const dir = join(import.meta.dirname, 'testdata');
const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as Record<string, Omit<Observation, 'kind'>>;
const names = Object.keys(expected);
const SSE_CT = 'text/event-stream; charset=utf-8';

function observe(body: Buffer, chunks: number[], contentEncoding?: string, contentType = SSE_CT, decodeBatchBytes?: number): Observation {
  const obs = createObserver({ status: 200, contentType, contentEncoding }, { decodeBatchBytes });
  let at = 0;
  for (const cut of [...chunks, body.length]) {
    obs.write(body.subarray(at, cut));
    at = cut;
  }
  return obs.end();
}

describe('createObserver on the recorded streams', () => {
  for (const name of names) {
    const plain = readFileSync(join(dir, `${name}.sse`));
    const gz = readFileSync(join(dir, `${name}.sse.gz`));
    const want: Observation = { kind: 'sse', ...expected[name]! };

    it(`${name}: whole body, plain and gzip, matches expected.json`, () => {
      expect(observe(plain, [])).toEqual(want);
      expect(observe(gz, [], 'gzip')).toEqual(want);
      expect(observe(gz, [], 'x-gzip')).toEqual(want);
    });

    it(`${name}: deflate, raw deflate and br copies read the same`, () => {
      for (const [enc, body] of [
        ['deflate', zlib.deflateSync(plain)],
        ['deflate', zlib.deflateRawSync(plain)],
        ['br', zlib.brotliCompressSync(plain)],
      ] as const) {
        const everyByte = Array.from({ length: body.length - 1 }, (_, i) => i + 1);
        expect(observe(body, everyByte, enc, SSE_CT, 1)).toEqual(want);
        expect(observe(body, everyByte, enc)).toEqual(want);
        expect(observe(body, [Math.floor(body.length / 2)], enc)).toEqual(want);
      }
    });
  }
});

describe('createObserver', () => {
  it('reads a gzip JSON body split anywhere, including the error envelope', () => {
    const msg = Buffer.from(
      JSON.stringify({
        model: 'claude-sonnet-4-6', id: 'msg_01', type: 'message', role: 'assistant', content: [{ type: 'text', text: 'ünï 🌍' }],
        stop_reason: 'end_turn', stop_sequence: null, usage: { input_tokens: 15, output_tokens: 35, service_tier: 'standard' },
      }),
    );
    const gz = zlib.gzipSync(msg);
    for (let cut = 0; cut <= gz.length; cut++) {
      const o = observe(gz, [cut], 'gzip', 'application/json');
      expect(o).toEqual({
        kind: 'json', messageId: 'msg_01', model: 'claude-sonnet-4-6', usage: { input_tokens: 15, output_tokens: 35, service_tier: 'standard' },
        sawMessageStart: false, sawMessageStop: false, errorType: null, parseError: null, stopReason: 'end_turn',
      });
    }
    const err = Buffer.from('{"type":"error","error":{"type":"rate_limit_error","message":"slow down"},"request_id":"req_1"}');
    expect(observe(zlib.brotliCompressSync(err), [3, 9], 'br', 'application/json')).toMatchObject({ kind: 'json', errorType: 'rate_limit_error', usage: null });
  });

  it('reads a plain JSON body cut at every byte (inside multi-byte characters too), with or without a BOM', () => {
    const msg = JSON.stringify({ id: 'msg_02', type: 'message', model: 'claude-haiku-4-5', content: [{ type: 'text', text: 'ünï 🌍 日本' }], stop_reason: 'end_turn', usage: { input_tokens: 3, output_tokens: 4 } });
    for (const body of [Buffer.from(msg), Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(msg)])]) {
      for (let cut = 0; cut <= body.length; cut++) {
        const o = observe(body, [cut], undefined, 'application/json');
        expect(o.parseError).toBeNull();
        expect(o).toMatchObject({ kind: 'json', messageId: 'msg_02', usage: { input_tokens: 3, output_tokens: 4 } });
      }
    }
  });

  it('stops buffering JSON past the cap and says so', () => {
    const big = Buffer.from(`{"pad":"${'x'.repeat(MAX_JSON_BYTES)}","usage":{"input_tokens":1}}`);
    const o = observe(big, [1000, 2_000_000]);
    expect(o.kind).toBe('sse'); // content type decides: this SSE body has no events
    const j = observe(big, [1000, 2_000_000], undefined, 'application/json');
    expect(j).toMatchObject({ kind: 'json', usage: null });
    expect(j.parseError).toMatch(/over 4194304 bytes/);
  });

  it('counts nothing for other content types and empty JSON bodies', () => {
    const sse = readFileSync(join(dir, 'docs-example.sse'));
    expect(observe(sse, [10], undefined, 'text/plain')).toEqual({
      kind: 'other', messageId: null, model: null, usage: null, sawMessageStart: false, sawMessageStop: false,
      errorType: null, parseError: null, stopReason: null,
    });
    expect(observe(Buffer.alloc(0), [], undefined, 'application/json')).toMatchObject({ kind: 'json', parseError: null, usage: null });
  });

  it('never throws: corrupt gzip and unknown encodings become parseError, usage read so far is kept', () => {
    const gz = readFileSync(join(dir, 'docs-example.sse.gz'));
    const corrupt = Buffer.concat([gz.subarray(0, 300), Buffer.from('garbage that is not deflate data at all'.repeat(4))]);
    const o = observe(corrupt, [50, 150, 310]);
    expect(o.parseError).toBeNull(); // not declared gzip: parsed as text (garbage lines are ignored)
    const g = observe(corrupt, [50, 150, 310], 'gzip', SSE_CT, 1);
    expect(g.parseError).not.toBeNull();
    expect(g).toMatchObject({ messageId: 'msg_1nZdL29xx5MUA1yADyHTEsnR8uuvGzszyY', usage: { input_tokens: 25, output_tokens: 1 } });
    expect(observe(gz, [], 'compress').parseError).toBe('unsupported content-encoding: compress');
  });

  it('end() is idempotent and later writes are ignored', () => {
    const sse = readFileSync(join(dir, 'docs-example.sse'));
    const obs = createObserver({ status: 200, contentType: 'Text/Event-Stream', contentEncoding: undefined });
    obs.write(sse.subarray(0, 500));
    const first = obs.end();
    obs.write(sse.subarray(500));
    expect(obs.end()).toBe(first);
    expect(first).toMatchObject({ sawMessageStart: true, sawMessageStop: false, usage: { input_tokens: 25, output_tokens: 1 } });
  });

  it('classifies content types by prefix, case-insensitively', () => {
    expect(contentKind('text/event-stream')).toBe('sse');
    expect(contentKind('TEXT/EVENT-STREAM;charset=utf-8')).toBe('sse');
    expect(contentKind('application/json; charset=utf-8')).toBe('json');
    expect(contentKind('application/x-ndjson')).toBe('other');
    expect(contentKind(undefined)).toBe('other');
  });
});

describe('decideState', () => {
  const sse = (o: Partial<Observation>): Observation => ({
    kind: 'sse', messageId: null, model: null, usage: null, sawMessageStart: true, sawMessageStop: false,
    errorType: null, parseError: null, stopReason: null, ...o,
  });
  const ended = { upstreamEnded: true, clientAborted: false, upstreamErrored: false };
  it.each([
    ['client abort mid-stream', { ...ended, upstreamEnded: false, observation: sse({}), clientAborted: true }, 'client_aborted'],
    ['client abort wins over an upstream error', { ...ended, upstreamEnded: false, observation: sse({}), clientAborted: true, upstreamErrored: true }, 'client_aborted'],
    ['client gone after message_stop: complete', { ...ended, upstreamEnded: false, observation: sse({ sawMessageStop: true }), clientAborted: true }, 'complete'],
    ['client gone after an error event (the SDK closes on it): error_event', { ...ended, upstreamEnded: false, observation: sse({ errorType: 'overloaded_error' }), clientAborted: true }, 'error_event'],
    ['upstream socket error', { ...ended, upstreamEnded: false, observation: sse({}), upstreamErrored: true }, 'upstream_error'],
    ['upstream reset after an error event: error_event', { ...ended, upstreamEnded: false, observation: sse({ errorType: 'api_error' }), upstreamErrored: true }, 'error_event'],
    ['JSON client abort', { ...ended, upstreamEnded: false, observation: { ...sse({}), kind: 'json' }, clientAborted: true }, 'client_aborted'],
    ['SSE error event', { ...ended, observation: sse({ errorType: 'overloaded_error' }) }, 'error_event'],
    ['SSE through message_stop', { ...ended, observation: sse({ sawMessageStop: true }) }, 'complete'],
    ['SSE ended early', { ...ended, observation: sse({}) }, 'truncated'],
    ['JSON error body ended', { ...ended, observation: { ...sse({}), kind: 'json', errorType: 'api_error' } }, 'complete'],
    ['other ended', { ...ended, observation: { ...sse({}), kind: 'other' } }, 'complete'],
    ['JSON cut off', { ...ended, upstreamEnded: false, observation: { ...sse({}), kind: 'json' } }, 'upstream_error'],
  ] as const)('%s', (_label, facts, state) => {
    expect(decideState(facts)).toBe(state);
  });
});

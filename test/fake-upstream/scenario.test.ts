import { describe, expect, it } from 'vitest';
import { parseScenarioHeader, RetryCounter, scenarioFromModel, ScriptQueue } from './scenario.ts';
import { formatEvent, spacedJson } from './sse.ts';

describe('x-mock-scenario parsing', () => {
  it('reads every documented item', () => {
    expect(parseScenarioHeader('status:529')).toEqual({ status: 529 });
    expect(parseScenarioHeader('mid_error:3; chunking:random')).toEqual({ midError: 3, chunking: 'random' });
    expect(parseScenarioHeader('slow:ttfb=200,gap=50')).toEqual({ ttfbMs: 200, gapMs: 50 });
    expect(parseScenarioHeader('slow')).toEqual({ ttfbMs: 200, gapMs: 50 });
    expect(parseScenarioHeader('stall_after:2 pings:false')).toEqual({ stallAfter: 2, pings: false });
    expect(parseScenarioHeader('truncate:2 cut:1 retry_then_ok:2 retry_status:429')).toEqual({ truncate: 2, cut: 1, retryThenOk: 2, retryStatus: 429 });
    expect(parseScenarioHeader('spaced;pad:0;gzip:false;tool_use;web_search')).toEqual({ compact: false, pad: 0, gzip: false, toolUse: true, webSearch: 1 });
  });
  it('rejects unknown items and bad numbers', () => {
    expect(() => parseScenarioHeader('explode')).toThrow(/unknown item/);
    expect(() => parseScenarioHeader('status:abc')).toThrow(/needs a number/);
    expect(() => parseScenarioHeader('chunking:bytes')).toThrow(/bad chunking/);
  });
  it('reads claude-test- model keywords, ignores other models', () => {
    expect(scenarioFromModel('claude-test-status-529')).toEqual({ status: 529 });
    expect(scenarioFromModel('claude-test-mid-error-3-random')).toEqual({ midError: 3, chunking: 'random' });
    expect(scenarioFromModel('claude-test-unpriced')).toBeNull();
    expect(scenarioFromModel('claude-sonnet-4-6')).toBeNull();
  });
});

describe('ScriptQueue and RetryCounter', () => {
  it('is FIFO, matches by path/model, keeps unmatched entries, expands retryThenOk', () => {
    const q = new ScriptQueue();
    q.push([{ status: 500, match: { model: 'm2' } }, { outputTokens: 1 }, { retryThenOk: 2, retryStatus: 429, outputTokens: 3 }]);
    expect(q.take('/v1/messages', 'm1', true)).toEqual({ outputTokens: 1 });
    expect(q.take('/v1/models', null, false)).toBeNull();
    expect(q.take('/v1/messages', 'm2', true)).toEqual({ status: 500, match: { model: 'm2' } });
    expect([q.take('/v1/messages', 'x', true), q.take('/v1/messages', 'x', true), q.take('/v1/messages', 'x', true)]).toEqual([{ status: 429 }, { status: 429 }, { outputTokens: 3 }]);
    expect(q.pending()).toBe(0);
  });
  it('counts attempts per key', () => {
    const r = new RetryCounter();
    expect([r.next('a'), r.next('a'), r.next('b')]).toEqual([0, 1, 0]);
  });
});

describe('SSE event format', () => {
  it('compact, padded, spaced', () => {
    expect(formatEvent('ping', { type: 'ping' }, { compact: true, pad: () => 0 }).toString()).toBe('event: ping\ndata: {"type":"ping"}\n\n');
    expect(formatEvent('ping', { type: 'ping' }, { compact: true, pad: () => 3 }).toString()).toBe('event: ping\ndata: {"type":"ping"   }\n\n');
    expect(spacedJson({ a: [1, { b: null }], c: 'é' })).toBe('{"a": [1, {"b": null}], "c": "é"}');
  });
});

import { describe, expect, it } from 'vitest';
import { createPricer } from '../pricing/index.ts';
import { createHash } from 'node:crypto';
import { ulid } from 'ulid';
import { historyRecord, historyRecordId } from './record.ts';
import type { TranscriptEntry } from './transcript.ts';

const pricer = createPricer(null);
const entry: TranscriptEntry = {
  messageId: 'msg_01A', requestId: 'req_011CA', at: Date.UTC(2026, 9, 2, 10), model: 'claude-sonnet-4-5-20250929',
  usage: {
    input_tokens: 10, cache_creation_input_tokens: 1000, cache_read_input_tokens: 5000, output_tokens: 300,
    cache_creation: { ephemeral_5m_input_tokens: 600, ephemeral_1h_input_tokens: 400 }, server_tool_use: { web_search_requests: 1 },
    output_tokens_details: { thinking_tokens: 120 }, service_tier: 'standard',
  },
  sessionId: 'sess-1', project: '/p', gitBranch: 'main', agentId: 'ag1', isSidechain: true, version: '2.0.31',
};

describe('historyRecord', () => {
  it('prices the entry with the shared engine (5m/1h split, web search) and marks it as history', () => {
    const r = historyRecord(entry, pricer);
    const expected = pricer.cost(entry.usage, entry.model, entry.at);
    if (!expected.priced) throw new Error('test model must be priced');
    expect(r.costNanoUsd).toBe(expected.nanoUsd);
    expect(r.tokens).toEqual({ input: 10, cacheWrite5m: 600, cacheWrite1h: 400, cacheRead: 5000, output: 300 });
    expect(r).toMatchObject({
      source: 'history', upstreamRequestId: 'req_011CA', messageId: 'msg_01A', model: 'claude-sonnet-4-5-20250929', startedAt: entry.at,
      sessionId: 'sess-1', agentId: 'ag1', gitBranch: 'main', isSidechain: true, project: '/p', client: 'claude-cli/2.0.31', webSearchRequests: 1, thinkingTokens: 120,
      serviceTier: 'standard', status: null, ttfbMs: null, modelRequested: null, credentialId: null, billable: true, unpricedReason: null,
    });
  });

  it('gives the same id for the same response, a different one for another, with the timestamp as ULID time', () => {
    expect(historyRecordId(entry)).toBe(historyRecordId({ ...entry, usage: {} }));
    expect(historyRecordId(entry)).not.toBe(historyRecordId({ ...entry, requestId: 'req_other' }));
    expect(historyRecordId(entry)).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(historyRecordId(entry) < historyRecordId({ ...entry, at: entry.at + 1 })).toBe(true);
  });

  it('gives exactly the ids of the first version (ulid with a sha256-fed prng): a re-import after an upgrade stores nothing twice', () => {
    const first = (e: TranscriptEntry): string => {
      const digest = createHash('sha256').update(`${e.messageId}:${e.requestId ?? ''}`).digest();
      let i = 0;
      return ulid(e.at, () => digest[i++]! / 256);
    };
    for (let k = 0; k < 500; k++) {
      const e = { ...entry, messageId: `msg_${k.toString(36)}é`, requestId: k % 7 ? `req_${(k * 7919).toString(36)}` : null, at: entry.at + k * 1_234_567 };
      expect(historyRecordId(e)).toBe(first(e));
    }
  });

  it('applies the long-context tier when the prompt is over 200k tokens (only possible with the 1M beta)', () => {
    const big = { ...entry, model: 'claude-sonnet-4-5-20250929', usage: { input_tokens: 150_000, cache_read_input_tokens: 60_000, output_tokens: 100 } };
    const r = historyRecord(big, pricer);
    const tiered = pricer.cost(big.usage, big.model, big.at, { context1m: true });
    const base = pricer.cost(big.usage, big.model, big.at, { context1m: false });
    expect(tiered.priced && base.priced && tiered.nanoUsd !== base.nanoUsd).toBe(true);
    expect(r.costNanoUsd).toBe(tiered.priced ? tiered.nanoUsd : NaN);
  });

  it('an unknown model is stored unpriced with its reason, never guessed', () => {
    const r = historyRecord({ ...entry, model: 'claude-unknown-9' }, pricer);
    expect(r.costNanoUsd).toBe(null);
    expect(r.unpricedReason).toMatch(/unknown model/);
  });
});

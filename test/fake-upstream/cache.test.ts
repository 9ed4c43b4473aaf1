import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import Anthropic, { APIError } from '@anthropic-ai/sdk';
import { startFakeUpstream, type FakeUpstream } from './server.ts';
import { PromptCache } from './cache.ts';
import { countTextTokens, MESSAGE_OVERHEAD, renderPrompt, TOOLS_OVERHEAD } from './tokens.ts';
import { API_KEY } from './testkit.ts';

const LONG_SYSTEM = 'You are a careful assistant. '.repeat(200); // 5800 bytes → 1450 tokens
const LONG_CONTEXT = 'Here is a long document about prompt caching. '.repeat(100); // 4700 bytes → 1175 tokens

function body(question: string): Anthropic.MessageCreateParamsNonStreaming {
  return {
    model: 'claude-sonnet-4-6',
    max_tokens: 100,
    system: [{ type: 'text', text: LONG_SYSTEM, cache_control: { type: 'ephemeral', ttl: '1h' } }],
    messages: [
      {
        role: 'user',
        content: [
          { type: 'text', text: LONG_CONTEXT, cache_control: { type: 'ephemeral' } },
          { type: 'text', text: question },
        ],
      },
    ],
  };
}

describe('tokenizer', () => {
  it('counts ceil(UTF-8 bytes / 4) per block, message overhead, tools overhead', () => {
    expect(countTextTokens('abcd')).toBe(1);
    expect(countTextTokens('abcde')).toBe(2);
    expect(countTextTokens('日本')).toBe(2); // 6 bytes
    const p = renderPrompt({ messages: [{ role: 'user', content: 'abcdefgh' }] });
    expect(p.total).toBe(2 + MESSAGE_OVERHEAD);
    const withTools = renderPrompt({ tools: [{ name: 't', input_schema: {} }], messages: [{ role: 'user', content: 'abcdefgh' }] });
    expect(withTools.total).toBe(p.total + TOOLS_OVERHEAD + countTextTokens(JSON.stringify({ name: 't', input_schema: {} })));
    const auto = renderPrompt({ cache_control: { type: 'ephemeral' }, messages: [{ role: 'user', content: 'x' }] });
    expect(auto.breakpoints).toBe(1);
  });
});

describe('PromptCache', () => {
  it('writes, reads, refreshes on read and expires on the fake clock', () => {
    const cache = new PromptCache(10, 0);
    const prompt = renderPrompt({ messages: [{ role: 'user', content: [{ type: 'text', text: 'x'.repeat(100), cache_control: { type: 'ephemeral' } }, { type: 'text', text: 'tail' }] }] });
    expect(cache.apply('k', 'm', prompt)).toEqual({ input: 1, read: 0, write5m: 28, write1h: 0 });
    cache.advance(299_000);
    expect(cache.apply('k', 'm', prompt)).toEqual({ input: 1, read: 28, write5m: 0, write1h: 0 });
    cache.advance(299_000); // refreshed by the read above
    expect(cache.apply('k', 'm', prompt).read).toBe(28);
    expect(cache.apply('other-credential', 'm', prompt).read).toBe(0);
    expect(cache.apply('k', 'other-model', prompt).read).toBe(0);
    cache.advance(300_001);
    expect(cache.apply('k', 'm', prompt)).toEqual({ input: 1, read: 0, write5m: 28, write1h: 0 });
  });

  it('does not cache prefixes below the minimum length', () => {
    const cache = new PromptCache(1024, 0);
    const prompt = renderPrompt({ messages: [{ role: 'user', content: [{ type: 'text', text: 'short', cache_control: { type: 'ephemeral' } }] }] });
    expect(cache.apply('k', 'm', prompt)).toEqual({ input: prompt.total, read: 0, write5m: 0, write1h: 0 });
    expect(cache.apply('k', 'm', prompt).read).toBe(0);
  });
});

describe('prompt caching through the server (1h / 5m split)', () => {
  let up: FakeUpstream;
  let client: Anthropic;
  beforeAll(async () => {
    up = await startFakeUpstream();
    client = new Anthropic({ apiKey: API_KEY, baseURL: up.url, maxRetries: 0 });
  });
  afterAll(() => up.close());
  beforeEach(() => up.reset());

  it('cache write, then read on a repeated prompt, 5m expiry keeps the 1h part, count_tokens sees the total', async () => {
    const sys = Math.ceil(Buffer.byteLength(LONG_SYSTEM) / 4);
    const ctx = Math.ceil(Buffer.byteLength(LONG_CONTEXT) / 4) + MESSAGE_OVERHEAD;
    const first = await client.messages.create(body('question one?'));
    expect(first.usage.cache_creation).toEqual({ ephemeral_1h_input_tokens: sys, ephemeral_5m_input_tokens: ctx });
    expect(first.usage.cache_creation_input_tokens).toBe(sys + ctx);
    expect(first.usage.cache_read_input_tokens).toBe(0);
    expect(first.usage.input_tokens).toBe(countTextTokens('question one?'));

    const second = await client.messages.stream(body('question two!')).finalMessage();
    expect(second.usage.cache_read_input_tokens).toBe(sys + ctx);
    expect(second.usage.cache_creation_input_tokens).toBe(0);
    expect(second.usage).toEqual(up.ledger()[1]!.usage);

    up.advanceClock(301_000);
    const third = await client.messages.create(body('question three'));
    expect(third.usage.cache_read_input_tokens).toBe(sys);
    expect(third.usage.cache_creation).toEqual({ ephemeral_1h_input_tokens: 0, ephemeral_5m_input_tokens: ctx });

    up.advanceClock(3_601_000);
    const fourth = await client.messages.create(body('question four'));
    expect(fourth.usage.cache_read_input_tokens).toBe(0);
    expect(fourth.usage.cache_creation_input_tokens).toBe(sys + ctx);

    const count = await client.messages.countTokens({ model: 'claude-sonnet-4-6', system: body('q').system!, messages: body('question four').messages });
    const u = fourth.usage;
    expect(count.input_tokens).toBe(u.input_tokens + u.cache_creation_input_tokens! + u.cache_read_input_tokens!);
    const fifth = await client.messages.create(body('question five'));
    expect(fifth.usage.cache_read_input_tokens).toBe(sys + ctx); // count_tokens did not touch the cache
  });

  it('a 1h breakpoint after a 5m one is rejected; more than 4 breakpoints are rejected', async () => {
    const bad = body('q');
    bad.system = [{ type: 'text', text: LONG_SYSTEM, cache_control: { type: 'ephemeral', ttl: '5m' } }];
    (bad.messages[0]!.content as Anthropic.TextBlockParam[])[0]!.cache_control = { type: 'ephemeral', ttl: '1h' };
    const e1 = await client.messages.create(bad).then(() => null, (e: unknown) => e as APIError);
    expect(e1?.status).toBe(400);
    expect(e1?.apiMessage).toMatch(/1h.*5m/);
    const many = body('q');
    many.messages = [{ role: 'user', content: Array.from({ length: 5 }, (_, i) => ({ type: 'text' as const, text: `b${i}`, cache_control: { type: 'ephemeral' as const } })) }];
    const e2 = await client.messages.create(many).then(() => null, (e: unknown) => e as APIError);
    expect(e2?.apiMessage).toBe('A maximum of 4 blocks with cache_control may be provided. Found 6.');
  });
});

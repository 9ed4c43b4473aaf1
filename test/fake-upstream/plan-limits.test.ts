import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { startFakeUpstream, type FakeUpstream } from './server.ts';
import { messagesBody, rawRequest } from './testkit.ts';
import { PlanLimits } from './plan-limits.ts';

const oauth = (token: string) => ({
  'anthropic-version': '2023-06-01',
  'content-type': 'application/json',
  authorization: `Bearer ${token}`,
  'anthropic-beta': 'oauth-2025-04-20',
});
const hash = (secret: string) => createHash('sha256').update(secret).digest('hex').slice(0, 16);

let up: FakeUpstream;
beforeAll(async () => {
  // 5h capacity small enough that a few requests move it visibly
  up = await startFakeUpstream({ seed: 3, planLimits: { fiveHour: 2000, warnAt: 0.5 } });
});
afterAll(() => up.close());
beforeEach(() => up.reset());

const send = (token: string, extra: Record<string, unknown> = {}) =>
  rawRequest(`${up.url}/v1/messages`, { headers: oauth(token), body: messagesBody({ model: 'claude-sonnet-4-5', ...extra }) });

describe('fake upstream plan limits', () => {
  it('utilization grows with the tokens each credential spends, per credential', async () => {
    const first = await send('sk-ant-oat01-a', { max_tokens: 50 });
    expect(first.headers['anthropic-ratelimit-unified-5h-utilization']).toBe('0');
    expect(first.headers['anthropic-ratelimit-unified-status']).toBe('allowed');
    const usage = (JSON.parse(first.text) as { usage: { input_tokens: number; output_tokens: number } }).usage;
    const expected = (usage.input_tokens + 5 * usage.output_tokens) / 2000;
    const second = await send('sk-ant-oat01-a', { max_tokens: 50 });
    expect(Number(second.headers['anthropic-ratelimit-unified-5h-utilization'])).toBeCloseTo(expected, 3);
    expect(Number(second.headers['anthropic-ratelimit-unified-7d_sonnet-utilization'])).toBeGreaterThan(0);
    const other = await send('sk-ant-oat01-b', { max_tokens: 50 });
    expect(other.headers['anthropic-ratelimit-unified-5h-utilization']).toBe('0');
  });

  it('warns, then rejects with a 429 carrying the headers, then resets', async () => {
    up.plan.setUtilization('5h', 0.6, hash('sk-ant-oat01-c'));
    const warn = await send('sk-ant-oat01-c', { max_tokens: 5 });
    expect(warn.status).toBe(200);
    expect(warn.headers['anthropic-ratelimit-unified-status']).toBe('allowed_warning');
    expect(warn.headers['anthropic-ratelimit-unified-5h-status']).toBe('allowed_warning');
    up.plan.setUtilization('5h', 1, hash('sk-ant-oat01-c'));
    const refused = await send('sk-ant-oat01-c');
    expect(refused.status).toBe(429);
    expect(JSON.parse(refused.text)).toMatchObject({ error: { type: 'rate_limit_error' } });
    expect(refused.headers['anthropic-ratelimit-unified-status']).toBe('rejected');
    expect(refused.headers['anthropic-ratelimit-unified-5h-utilization']).toBe('1');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(3600);
    up.advanceClock(5 * 3_600_000 + 1000);
    const after = await send('sk-ant-oat01-c', { max_tokens: 5 });
    expect(after.status).toBe(200);
    expect(after.headers['anthropic-ratelimit-unified-5h-utilization']).toBe('0');
    expect(after.headers['anthropic-ratelimit-unified-status']).toBe('allowed');
  });

  it('API keys get no unified headers unless appliesTo is "all"', async () => {
    const keyed = await rawRequest(`${up.url}/v1/messages`, {
      headers: { 'anthropic-version': '2023-06-01', 'content-type': 'application/json', 'x-api-key': 'sk-ant-k' },
      body: messagesBody(),
    });
    expect(keyed.headers['anthropic-ratelimit-unified-status']).toBeUndefined();
    const all = new PlanLimits({ appliesTo: 'all' });
    expect(all.appliesTo).toBe('all');
  });

  it('POST /__mock/plan sets a window', async () => {
    await send('sk-ant-oat01-d', { max_tokens: 5 });
    const r = await rawRequest(`${up.url}/__mock/plan`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ window: '7d', utilization: 0.42 }) });
    expect(r.status).toBe(200);
    const next = await send('sk-ant-oat01-d', { max_tokens: 5 });
    expect(Number(next.headers['anthropic-ratelimit-unified-7d-utilization'])).toBeCloseTo(0.42, 2);
    const bad = await rawRequest(`${up.url}/__mock/plan`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ window: 'x' }) });
    expect(bad.status).toBe(400);
  });
});

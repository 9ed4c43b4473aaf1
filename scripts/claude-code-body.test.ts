import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeUpstream, type FakeUpstream } from '../test/fake-upstream/server.ts';
import { claudeCodeBody } from './claude-code-body.ts';

describe('claudeCodeBody', () => {
  let fake: FakeUpstream;
  beforeAll(async () => {
    fake = await startFakeUpstream({ seed: 3 });
  });
  afterAll(() => fake.close());

  it('is about the size asked, deterministic, and shaped like Claude Code', () => {
    const body = claudeCodeBody(1 << 20);
    expect(body.length).toBeGreaterThanOrEqual(1 << 20);
    expect(body.length).toBeLessThan((1 << 20) + 16_384);
    expect(claudeCodeBody(1 << 20)).toBe(body);
    const b = JSON.parse(body) as { stream: boolean; system: unknown[]; tools: unknown[]; messages: { role: string }[] };
    expect(b.stream).toBe(true);
    expect(b.system.length).toBe(2);
    expect(b.tools.length).toBe(20);
    expect(b.messages.length).toBeGreaterThan(100);
    expect(b.messages.every((m, i) => m.role === (i % 2 === 0 ? 'user' : 'assistant'))).toBe(true);
  });

  it('is a request the fake upstream accepts (200, SSE)', async () => {
    const res = await fetch(`${fake.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': 'sk-ant-bench', 'anthropic-version': '2023-06-01' },
      body: claudeCodeBody(200_000),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
    expect(await res.text()).toContain('message_stop');
  });
});

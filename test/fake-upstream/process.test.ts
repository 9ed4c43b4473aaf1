import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Anthropic from '@anthropic-ai/sdk';
import { spawnFakeUpstream, type SpawnedFakeUpstream } from './process.ts';
import { API_KEY } from './testkit.ts';

let up: SpawnedFakeUpstream;

beforeAll(async () => {
  up = await spawnFakeUpstream({ seed: 3, gzip: false });
});
afterAll(() => up.close());

describe('spawnFakeUpstream', () => {
  it('runs the server in a separate process and drives it over the admin routes', async () => {
    expect(up.pid).not.toBe(process.pid);
    expect(() => process.kill(up.pid, 0)).not.toThrow();
    const client = new Anthropic({ apiKey: API_KEY, baseURL: up.url, maxRetries: 0 });
    await up.script({ outputTokens: 12 });
    const msg = await client.messages.stream({ model: 'claude-haiku-5-5', max_tokens: 50, messages: [{ role: 'user', content: 'hi' }] }).finalMessage();
    expect(msg.usage.output_tokens).toBe(12);
    const [entry] = await up.ledger();
    expect(entry!.usage).toEqual(msg.usage);
    const [rec] = await up.requests();
    expect(rec!.url).toBe('/v1/messages');
    const gz = await fetch(`${up.url}/v1/models`, { headers: { 'x-api-key': API_KEY, 'anthropic-version': '2023-06-01', 'accept-encoding': 'gzip' } });
    expect(gz.headers.get('content-encoding')).toBeNull(); // --no-gzip reached the child
    await up.reset();
    expect(await up.ledger()).toEqual([]);
  });

  it('close() ends the child process', async () => {
    const other = await spawnFakeUpstream();
    await other.close();
    expect(() => process.kill(other.pid, 0)).toThrow();
    await expect(fetch(`${other.url}/`, { method: 'HEAD' })).rejects.toThrow();
  });
});

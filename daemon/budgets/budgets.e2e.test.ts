/**
 * Hard budgets end to end with the official SDK: the daemon on a real port, the in-process fake upstream.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Anthropic, { APIError } from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BudgetsResponse, RequestPage, Summary } from '../../shared/contract.ts';
import { startDaemon, type RunningDaemon } from '../index.ts';
import { silentLogger } from '../log.ts';
import { startFakeUpstream, type FakeUpstream } from '../../test/fake-upstream/server.ts';

let up: FakeUpstream;
let daemon: RunningDaemon;
let dirs: string[] = [];

beforeAll(async () => {
  up = await startFakeUpstream({ seed: 11 });
  const configDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cco-budget-config-'));
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cco-budget-data-'));
  dirs = [configDir, dataDir];
  // one 2000-token answer from Sonnet 4.6 costs $0.03: a $0.02 hard daily budget is crossed by it
  fs.writeFileSync(path.join(configDir, 'config.toml'), '# budgets for the test\n[budgets]\ndaily_usd = 0.02\ndaily_hard = true\n');
  daemon = await startDaemon({ port: 0, upstreamUrl: up.url, dataDir, configDir, pidDir: false, rateLimit: false, log: silentLogger, apiKey: '' });
});
afterAll(async () => {
  await daemon?.close();
  await up?.close();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

async function api<T>(p: string, body?: unknown): Promise<T> {
  const res = await fetch(daemon.url + p, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { authorization: `Bearer ${daemon.token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  expect(res.status, `${p}`).toBe(200);
  return (await res.json()) as T;
}

describe('hard budget', () => {
  it('refuses new requests once spent (one attempt, no upstream), lets in-flight ones finish and books them; override lifts it', async () => {
    let attempts = 0;
    const client = new Anthropic({
      apiKey: 'sk-ant-api03-budget',
      baseURL: daemon.url,
      maxRetries: 2,
      fetch: (url, init) => {
        attempts++;
        return fetch(url, init);
      },
    });
    const ask = (scenario?: string, max_tokens = 4000) =>
      client.messages.create(
        { model: 'claude-sonnet-4-6', max_tokens, messages: [{ role: 'user', content: 'hello' }], stream: false },
        scenario ? { headers: { 'x-mock-scenario': scenario } } : undefined,
      );

    // in flight: a slow answer that starts before the cap is crossed
    const inFlight = ask('ttfb:600;output_tokens:100', 100);
    await new Promise((r) => setTimeout(r, 100));
    // this one crosses the cap
    const big = await ask('output_tokens:2000');
    expect(big.usage.output_tokens).toBe(2000);
    await new Promise((r) => setTimeout(r, 50));
    const status = await api<BudgetsResponse>('/api/budgets');
    expect(status.budgets[0]).toMatchObject({ period: 'daily', hard: true, state: 'exceeded' });

    const upstreamBefore = up.requests().length;
    attempts = 0;
    const err = await ask().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(APIError);
    const e = err as APIError;
    expect(e.status).toBe(400);
    expect(e.headers?.get('x-should-retry')).toBe('false');
    expect((e.error as { type: string; error: { type: string; message: string } }).error.type).toBe('invalid_request_error');
    expect((e.error as { error: { message: string } }).error.message).toMatch(/daily budget of \$0\.02 is spent .*cco budget override --for 1h/);
    expect(attempts).toBe(1);
    expect(up.requests().length).toBe(upstreamBefore);

    // the request already in flight completes and is booked
    const done = await inFlight;
    expect(done.usage.output_tokens).toBe(100);
    await daemon.store.flush();
    const page = await api<RequestPage>('/api/requests?limit=10');
    const ran = page.items.filter((r) => r.state !== 'refused');
    expect(ran).toHaveLength(2);
    expect(ran.every((r) => (r.costNanoUsd ?? 0) > 0)).toBe(true);
    const slow = ran.find((r) => r.tokens.output === 100)!;
    const crossing = ran.find((r) => r.tokens.output === 2000)!;
    expect(slow.startedAt).toBeLessThan(crossing.endedAt); // it was in flight when the cap was crossed…
    expect(slow.endedAt).toBeGreaterThan(crossing.endedAt); // …and finished after

    // regression: the refusal is stored, so the user can see what was refused ($0, never billable, counted apart)
    const refused = await api<RequestPage>('/api/requests?state=refused');
    expect(refused.items).toHaveLength(1);
    expect(refused.items[0]).toMatchObject({
      state: 'refused', status: 400, billable: false, costNanoUsd: 0, upstreamRequestId: null, errorType: 'invalid_request_error',
      modelRequested: 'claude-sonnet-4-6', method: 'POST', path: '/v1/messages',
    });
    const today = await api<Summary>(`/api/summary?range=today&tz=${encodeURIComponent(status.tz)}`);
    expect(today.errors.byKind).toContainEqual({ kind: 'refused', requests: 1 });
    expect(today.errors.byKind.some((k) => k.kind === '400')).toBe(false);
    expect(today.totals.costNanoUsd).toBe(ran.reduce((a, r) => a + r.costNanoUsd!, 0));
    expect((await api<BudgetsResponse>('/api/budgets')).budgets[0]!.spentNanoUsd).toBe(today.totals.costNanoUsd);

    const lifted = await api<BudgetsResponse>('/api/budgets/override', { minutes: 60 });
    expect(lifted.overrideUntil).toBeGreaterThan(Date.now());
    expect((await ask(undefined, 10)).usage.output_tokens).toBeLessThanOrEqual(10);
    await api<BudgetsResponse>('/api/budgets/override', { minutes: 0 });
    expect(await ask(undefined, 10).catch((x: unknown) => (x as APIError).status)).toBe(400);
  });

  it('a hard per-project budget set through the API refuses only that project, checked on the body', async () => {
    await api<BudgetsResponse>('/api/budgets', { period: 'daily', usd: 0 }); // lift the global one
    const r = await api<BudgetsResponse>('/api/budgets', { period: 'weekly', usd: 0.01, project: '/work/proj', hard: true });
    expect(r.budgets).toEqual([expect.objectContaining({ period: 'weekly', project: '/work/proj', hard: true })]);
    expect(fs.readFileSync(path.join(dirs[0]!, 'config.toml'), 'utf8')).toContain('# budgets for the test');
    const client = new Anthropic({ apiKey: 'sk-ant-api03-budget', baseURL: daemon.url, maxRetries: 0 });
    const inProject = (max_tokens: number) =>
      client.messages.create({ model: 'claude-sonnet-4-6', max_tokens, system: 'Primary working directory: /work/proj\nBe brief.', messages: [{ role: 'user', content: 'x' }] }, { headers: { 'x-mock-scenario': 'output_tokens:2000' } });
    await inProject(4000); // crosses the project budget
    await new Promise((res) => setTimeout(res, 50));
    const refused = await inProject(10).catch((e: unknown) => e as APIError);
    expect((refused as APIError).status).toBe(400);
    await daemon.store.flush();
    const stored = await api<RequestPage>('/api/requests?state=refused&limit=10');
    expect(stored.items[0]).toMatchObject({ state: 'refused', project: '/work/proj', costNanoUsd: 0, billable: false });
    const other = await client.messages.create({ model: 'claude-sonnet-4-6', max_tokens: 10, messages: [{ role: 'user', content: 'y' }] });
    expect(other.type).toBe('message');
  });
});

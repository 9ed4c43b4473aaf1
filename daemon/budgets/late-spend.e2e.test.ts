/**
 * Budget spend of a daemon started with no budget rule: it reads no spend at start (no local-time summary in
 * the store, no Intl formatter: ICU's data stays unloaded), and the first rule set through the API makes it
 * read the day's, week's and month's spend then, while requests go on being booked. The store's summaries
 * are asked at once but their answers held back (a gate on the real store) to make that window wide: a record
 * booked in it must be counted once, neither missed nor also taken from a summary asked after it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import { afterAll, describe, expect, it, vi } from 'vitest';
import type { BudgetChange, BudgetsResponse, RequestPage, Summary } from '../../shared/contract.ts';
import { startDaemon, type RunningDaemon } from '../index.ts';
import { silentLogger } from '../log.ts';
import { startFakeUpstream } from '../../test/fake-upstream/server.ts';

const gate = vi.hoisted(() => {
  let open!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  let asked!: () => void;
  const firstAsked = new Promise<void>((r) => (asked = r));
  return { holding: false, calls: 0, opened, open, firstAsked, asked };
});

vi.mock('../store/index.ts', async (importOriginal) => {
  const real = await importOriginal<typeof import('../store/index.ts')>();
  return {
    ...real,
    openStore: async (...args: Parameters<typeof real.openStore>) => {
      const store = await real.openStore(...args);
      const summary = store.summary.bind(store);
      store.summary = (q) => {
        gate.calls++;
        const answer = summary(q); // asked now: the store answers with the records it took before this call
        if (!gate.holding) return answer;
        gate.asked();
        return gate.opened.then(() => answer);
      };
      return store;
    },
  };
});

const dirs: string[] = [];
let daemon: RunningDaemon | null = null;
let closeUp: (() => Promise<void>) | null = null;
afterAll(async () => {
  gate.open();
  await daemon?.close();
  await closeUp?.();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

async function api<T>(d: RunningDaemon, p: string, body?: unknown): Promise<T> {
  const res = await fetch(d.url + p, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { authorization: `Bearer ${d.token}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  expect(res.status, p).toBe(200);
  return (await res.json()) as T;
}

describe('budget spend of a daemon started without budgets', () => {
  it('reads none at start; the first rule reads it then, and a record booked meanwhile is counted once', async () => {
    const up = await startFakeUpstream({ seed: 6 });
    closeUp = () => up.close();
    const configDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cco-latespend-config-'));
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cco-latespend-data-'));
    dirs.push(configDir, dataDir);
    const formatters = vi.spyOn(Intl, 'DateTimeFormat');
    daemon = await startDaemon({ port: 0, upstreamUrl: up.url, dataDir, configDir, pidDir: false, rateLimit: false, log: silentLogger, apiKey: '' });
    const d = daemon;
    expect(gate.calls).toBe(0); // no spend read at start
    expect(formatters).not.toHaveBeenCalled(); // nor the system time zone asked
    formatters.mockRestore();

    const ask = () =>
      new Anthropic({ apiKey: 'sk-ant-api03-latespend', baseURL: d.url, maxRetries: 0 }).messages.create(
        { model: 'claude-sonnet-4-6', max_tokens: 500, messages: [{ role: 'user', content: 'hi' }] },
        { headers: { 'x-mock-scenario': 'output_tokens:400' } },
      );
    await ask(); // before any rule: in the store only
    await d.store.flush();

    gate.holding = true;
    const daily: BudgetChange = { period: 'daily', usd: 100 };
    const setting = api<BudgetsResponse>(d, '/api/budgets', daily);
    await gate.firstAsked;
    expect((await api<BudgetsResponse>(d, '/api/budgets')).ready).toBe(false); // reading
    await ask(); // booked after the summaries were asked, before they answer
    await d.store.flush();
    gate.open();
    const afterSet = await setting;
    expect(afterSet.ready).toBe(true);
    for (const period of ['weekly', 'monthly'] as const) await api<BudgetsResponse>(d, '/api/budgets', { period, usd: 100 } satisfies BudgetChange);

    const page = await api<RequestPage>(d, '/api/requests?limit=10');
    expect(page.items).toHaveLength(2);
    const cost = page.items.reduce((n, r) => n + r.costNanoUsd!, 0);
    expect(page.items.every((r) => r.costNanoUsd! > 0)).toBe(true);
    const budgets = await api<BudgetsResponse>(d, '/api/budgets');
    const today = await api<Summary>(d, `/api/summary?range=today&tz=${encodeURIComponent(budgets.tz)}`);
    expect(today.totals.costNanoUsd).toBe(cost);
    expect(afterSet.budgets.map((b) => b.spentNanoUsd)).toEqual([cost]);
    expect(budgets.budgets.map((b) => [b.period, b.spentNanoUsd])).toEqual([
      ['daily', cost],
      ['weekly', cost],
      ['monthly', cost],
    ]);
  });
});

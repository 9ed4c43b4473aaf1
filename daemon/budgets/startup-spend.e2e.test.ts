/**
 * Budget spend at daemon start: the tracker reads the current periods' totals from the store (three summaries)
 * while records may already be booked live. A record booked before those summaries ran is in them too, so it
 * was counted twice. The store's summary is held back here (a gate on the real store) to make that window wide.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import { afterAll, describe, expect, it, vi } from 'vitest';
import type { BudgetsResponse, RequestPage, Summary } from '../../shared/contract.ts';
import { startDaemon, type RunningDaemon } from '../index.ts';
import { silentLogger } from '../log.ts';
import { startFakeUpstream } from '../../test/fake-upstream/server.ts';

const gate = vi.hoisted(() => {
  let open!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  let asked!: () => void;
  const summaryAsked = new Promise<void>((r) => (asked = r));
  return { opened, open, summaryAsked, asked };
});

vi.mock('../store/index.ts', async (importOriginal) => {
  const real = await importOriginal<typeof import('../store/index.ts')>();
  return {
    ...real,
    openStore: async (...args: Parameters<typeof real.openStore>) => {
      const store = await real.openStore(...args);
      const summary = store.summary.bind(store);
      store.summary = async (q) => {
        gate.asked();
        await gate.opened;
        return summary(q);
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

async function api<T>(d: RunningDaemon, p: string): Promise<T> {
  const res = await fetch(d.url + p, { headers: { authorization: `Bearer ${d.token}` } });
  expect(res.status, p).toBe(200);
  return (await res.json()) as T;
}

describe('budget spend at daemon start', () => {
  it('regression: a request booked while the start-up summaries run is counted once, not twice', async () => {
    const up = await startFakeUpstream({ seed: 5 });
    closeUp = () => up.close();
    const configDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cco-startspend-config-'));
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cco-startspend-data-'));
    dirs.push(configDir, dataDir);
    fs.writeFileSync(path.join(configDir, 'config.toml'), '[budgets]\ndaily_usd = 100\n');
    const starting = startDaemon({ port: 0, upstreamUrl: up.url, dataDir, configDir, pidDir: false, rateLimit: false, log: silentLogger, apiKey: '' });
    await gate.summaryAsked;
    const ask = (d: RunningDaemon) =>
      new Anthropic({ apiKey: 'sk-ant-api03-startspend', baseURL: d.url, maxRetries: 0 }).messages.create(
        { model: 'claude-sonnet-4-6', max_tokens: 500, messages: [{ role: 'user', content: 'hi' }] },
        { headers: { 'x-mock-scenario': 'output_tokens:400' } },
      );
    // If the daemon serves while its spend is still being read, a request now lands in that window.
    const early = await Promise.race([starting, new Promise<null>((r) => setTimeout(() => r(null), 300))]);
    if (early) {
      await ask(early);
      await early.store.flush(); // applied: the held-back summaries will see it
    }
    gate.open();
    daemon = await starting;
    if (!early) await ask(daemon);
    await daemon.store.flush();

    let budgets = await api<BudgetsResponse>(daemon, '/api/budgets');
    for (let i = 0; i < 100 && !budgets.ready; i++) {
      await new Promise((r) => setTimeout(r, 20));
      budgets = await api<BudgetsResponse>(daemon, '/api/budgets');
    }
    expect(budgets.ready).toBe(true);
    const page = await api<RequestPage>(daemon, '/api/requests?limit=10');
    expect(page.items).toHaveLength(1);
    const cost = page.items[0]!.costNanoUsd!;
    expect(cost).toBeGreaterThan(0);
    const today = await api<Summary>(daemon, `/api/summary?range=today&tz=${encodeURIComponent(budgets.tz)}`);
    expect(today.totals.costNanoUsd).toBe(cost);
    expect(budgets.budgets[0]!.spentNanoUsd).toBe(cost);
  });
});

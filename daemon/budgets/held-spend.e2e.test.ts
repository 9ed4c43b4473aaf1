/**
 * Budget spend and the records held while the store opens (store/standby.ts). Budgets read their spend from
 * summaries the store answers as it opens, before the held records reach it; records booked live from then on are
 * counted by the tracker. Records held before that — before a rule added while the store opens, or in the held
 * file a killed run left — were counted by neither. Real daemons on real ports, the fake upstream, a store whose
 * open is held back by a real slow file (a journal segment that is a FIFO).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BudgetsResponse, RequestPage } from '../../shared/contract.ts';
import { startDaemon, type RunningDaemon } from '../index.ts';
import { silentLogger } from '../log.ts';
import { openStore } from '../store/index.ts';
import { heldDir } from '../store/standby.ts';
import { makeRecord, releaseFifo, storeOpeningOnFifo } from '../store/test-fixtures.ts';
import { startFakeUpstream, type FakeUpstream } from '../../test/fake-upstream/server.ts';

let up: FakeUpstream;
const dirs: string[] = [];
const daemons: RunningDaemon[] = [];

beforeAll(async () => {
  up = await startFakeUpstream({ seed: 41 });
});
afterAll(async () => {
  for (const d of daemons) await d.close();
  await up?.close();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

function tmp(name: string): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), `cco-held-spend-${name}-`));
  dirs.push(d);
  return d;
}

async function api<T>(d: { url: string; token: string }, p: string, init?: RequestInit): Promise<T> {
  const res = await fetch(d.url + p, { ...init, headers: { authorization: `Bearer ${d.token}`, 'content-type': 'application/json' } });
  expect(res.status, p).toBe(200);
  return (await res.json()) as T;
}

const ask = (url: string) =>
  new Anthropic({ apiKey: 'sk-ant-api03-heldspend', baseURL: url, maxRetries: 0 }).messages.create(
    { model: 'claude-sonnet-4-6', max_tokens: 500, messages: [{ role: 'user', content: 'hi' }] },
    { headers: { 'x-mock-scenario': 'output_tokens:400' } },
  );

async function readyBudgets(d: RunningDaemon): Promise<BudgetsResponse> {
  let b = await api<BudgetsResponse>(d, '/api/budgets');
  for (let i = 0; i < 200 && !b.ready; i++) {
    await new Promise((r) => setTimeout(r, 25));
    b = await api<BudgetsResponse>(d, '/api/budgets');
  }
  expect(b.ready).toBe(true);
  return b;
}

describe('budgets and the records held while the store opens', () => {
  it.skipIf(process.platform === 'win32')('a rule added while the store opens counts the records held before it', async () => {
    const dataDir = path.join(tmp('open'), 'data');
    const configDir = tmp('open-config');
    const fifo = await storeOpeningOnFifo(dataDir, []);
    const d = await startDaemon({ port: 0, upstreamUrl: up.url, dataDir, configDir, pidDir: false, rateLimit: false, log: silentLogger, apiKey: '', storeOpenWaitMs: 0 });
    daemons.push(d);
    expect(d.storeOpening).toBe(true);
    await ask(d.url); // held, booked by no budget (there is none)
    // the first rule: its spend is read from the store as it opens (the answer waits for the open)
    const added = api<BudgetsResponse>(d, '/api/budgets', { method: 'POST', body: JSON.stringify({ period: 'daily', usd: 100 }) });
    await new Promise((r) => setTimeout(r, 200));
    await ask(d.url); // held, and booked by the rule
    await releaseFifo(fifo, []);
    await added;
    await d.store.flush();
    const b = await readyBudgets(d);
    const page = await api<RequestPage>(d, '/api/requests?limit=10');
    expect(page.items).toHaveLength(2);
    const cost = page.items.reduce((n, r) => n + r.costNanoUsd!, 0);
    expect(page.items.every((r) => r.costNanoUsd! > 0)).toBe(true);
    expect(b.budgets[0]!.spentNanoUsd).toBe(cost); // before: the second request's only
  }, 60_000);

  it('a rule in config.toml counts the records a killed run left in a held file', async () => {
    const dataDir = path.join(tmp('killed'), 'data');
    const configDir = tmp('killed-config');
    fs.writeFileSync(path.join(configDir, 'config.toml'), '[budgets]\ndaily_usd = 100\n');
    // what a run killed while its store opened leaves: a held file the next start stores
    const held = makeRecord({ startedAt: Date.now() - 1000, costNanoUsd: 7_000_000, billable: true });
    fs.mkdirSync(heldDir(dataDir), { recursive: true, mode: 0o700 });
    fs.writeFileSync(path.join(heldDir(dataDir), `held-${Date.now() - 60_000}-4242.ndjson`), `${JSON.stringify(held)}\n`, { mode: 0o600 });
    const d = await startDaemon({ port: 0, upstreamUrl: up.url, dataDir, configDir, pidDir: false, rateLimit: false, log: silentLogger, apiKey: '' });
    daemons.push(d);
    await ask(d.url);
    await d.store.flush();
    const page = await api<RequestPage>(d, '/api/requests?limit=10');
    expect(page.items.map((r) => r.id)).toContain(held.id);
    const b = await readyBudgets(d);
    expect(b.budgets[0]!.spentNanoUsd).toBe(page.items.reduce((n, r) => n + r.costNanoUsd!, 0)); // before: without the held record's 7,000,000
    expect(b.budgets[0]!.spentNanoUsd).toBeGreaterThan(7_000_000);
  }, 60_000);

  it("a killed run's held file whose records that run had already stored (killed before deleting it) is not counted twice", async () => {
    const dataDir = path.join(tmp('stored'), 'data');
    const configDir = tmp('stored-config');
    fs.writeFileSync(path.join(configDir, 'config.toml'), '[budgets]\ndaily_usd = 100\n');
    const stored = makeRecord({ startedAt: Date.now() - 1000, costNanoUsd: 5_000_000, billable: true });
    const notYet = makeRecord({ startedAt: Date.now() - 900, costNanoUsd: 2_000_000, billable: true });
    const first = await openStore({ dataDir, log: () => undefined });
    await first.addBulk([stored]);
    await first.close();
    fs.mkdirSync(heldDir(dataDir), { recursive: true, mode: 0o700 });
    fs.writeFileSync(path.join(heldDir(dataDir), `held-${Date.now() - 60_000}-4243.ndjson`), `${JSON.stringify(stored)}\n${JSON.stringify(notYet)}\n`, { mode: 0o600 });
    const d = await startDaemon({ port: 0, upstreamUrl: up.url, dataDir, configDir, pidDir: false, rateLimit: false, log: silentLogger, apiKey: '' });
    daemons.push(d);
    await d.store.flush();
    const page = await api<RequestPage>(d, '/api/requests?limit=10');
    expect(page.items.map((r) => r.id).sort()).toEqual([stored.id, notYet.id].sort());
    expect((await readyBudgets(d)).budgets[0]!.spentNanoUsd).toBe(7_000_000); // not 12,000,000
  }, 60_000);
});

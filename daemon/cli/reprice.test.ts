/**
 * `cco reprice` against a real daemon (in-process startDaemon with its PID file in a temporary HOME) and
 * against a stopped one (the store opened by the command), with the fake upstream and the official SDK.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Summary } from '../../shared/contract.ts';
import { startDaemon, type RunningDaemon } from '../index.ts';
import { silentLogger } from '../log.ts';
import { startFakeUpstream, type FakeUpstream } from '../../test/fake-upstream/server.ts';
import { main } from './main.ts';
import { formatReport, parseSince } from './reprice.ts';

let fake: FakeUpstream;
let home: string;
let env: NodeJS.ProcessEnv;
let dataDir: string;
let configDir: string;

async function cco(args: string[]) {
  let out = '';
  let err = '';
  const code = await main(args, { out: (t) => void (out += t), err: (t) => void (err += t), env });
  return { code, out, err };
}

async function startHere(): Promise<RunningDaemon> {
  return startDaemon({ port: 0, upstreamUrl: fake.url, dataDir, configDir, log: silentLogger, pidDir: path.join(dataDir, 'pids'), rateLimit: false });
}

beforeAll(async () => {
  fake = await startFakeUpstream({ seed: 11 });
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'cco-reprice-home-'));
  env = { HOME: home, XDG_CONFIG_HOME: path.join(home, '.config'), XDG_DATA_HOME: path.join(home, '.local', 'share'), NO_BROWSER: '1', TZ: 'UTC' };
  dataDir = path.join(home, '.local', 'share', 'cco');
  configDir = path.join(home, '.config', 'cco');
  fs.mkdirSync(configDir, { recursive: true });
});

afterAll(async () => {
  await fake?.close();
  fs.rmSync(home, { recursive: true, force: true });
});

describe('cco reprice', () => {
  it('prices requests of a model added to pricing.json, through the running daemon, and reports the delta', async () => {
    const daemon = await startHere();
    try {
      const client = new Anthropic({ apiKey: 'sk-ant-reprice', baseURL: daemon.url, maxRetries: 0 });
      const unknown = await client.messages.create({ model: 'claude-test-newmodel-1', max_tokens: 20, messages: [{ role: 'user', content: 'new model' }] });
      await client.messages.create({ model: 'claude-haiku-4-5', max_tokens: 20, messages: [{ role: 'user', content: 'known model' }] });
      await daemon.store.flush();
      const summary = async () =>
        (await (await fetch(`${daemon.url}/api/summary?range=all`, { headers: { authorization: `Bearer ${daemon.token}` } })).json()) as Summary;
      const before = await summary();
      expect(before.totals.unpricedRequests).toBe(1);

      // $1 input / $5 output per MTok, cache prices by the usual multipliers.
      fs.writeFileSync(
        path.join(configDir, 'pricing.json'),
        JSON.stringify({ models: { 'claude-test-newmodel-1': { family: 'other', prices: { input: '1', write5m: '1.25', write1h: '2', cacheRead: '0.1', output: '5' } } } }),
      );
      const r = await cco(['reprice']);
      expect(r.err).toBe('');
      expect(r.code).toBe(0);
      const expected = unknown.usage.input_tokens * 1000 + unknown.usage.output_tokens * 5000;
      expect(r.out).toContain('2 billable requests checked, 2 updated, 1 with a new cost (1 newly priced, 0 now unpriced)');
      expect(r.out).toMatch(/price table \S+\+user\.[0-9a-f]{8}/);

      const after = await summary();
      expect(after.totals.unpricedRequests).toBe(0);
      expect(after.totals.costNanoUsd - before.totals.costNanoUsd).toBe(expected);
      // New requests are priced with the reloaded table too.
      await client.messages.create({ model: 'claude-test-newmodel-1', max_tokens: 20, messages: [{ role: 'user', content: 'again' }] });
      await daemon.store.flush();
      const final = await summary();
      expect(final.totals.requests).toBe(3);
      expect(final.totals.unpricedRequests).toBe(0);
    } finally {
      await daemon.close();
    }
  });

  it('works on the store directly when no daemon runs, and --since limits it', async () => {
    fs.writeFileSync(path.join(configDir, 'pricing.json'), JSON.stringify({ models: {} }));
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    const none = await cco(['reprice', '--since', tomorrow]);
    expect(none.code).toBe(0);
    expect(none.out).toContain('0 billable requests checked, 0 updated, 0 with a new cost');
    const all = await cco(['reprice']);
    expect(all.code).toBe(0);
    expect(all.out).toContain('3 billable requests checked, 3 updated, 2 with a new cost (0 newly priced, 2 now unpriced)');
  });

  it('rejects a bad date and a malformed pricing file with plain messages', async () => {
    expect((await cco(['reprice', '--since', 'yesterday-ish'])).err).toContain('--since: "yesterday-ish" is not a date');
    fs.writeFileSync(path.join(configDir, 'pricing.json'), '{"models":{"x":{"prices":{"input":"abc"}}}}');
    const bad = await cco(['reprice']);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/pricing\.json: entry "x", field "prices\.input"/);
  });

  it('formats reports and dates', () => {
    expect(parseSince('2026-10-07')).toBe(Date.UTC(2026, 9, 7));
    expect(formatReport({ priceVersion: 'v1', since: null, rowsSeen: 5, rowsChanged: 2, costChanged: 2, newlyPriced: 0, newlyUnpriced: 0, totalBeforeNanoUsd: 1_000_000_000, totalAfterNanoUsd: 1_500_000_000, totalDeltaNanoUsd: 500_000_000 })).toContain(
      'total $1.00 → $1.50 (+$0.50)',
    );
  });
});

/**
 * GET /metrics on a real daemon, with the fake upstream and the official SDK; the output is read back with a
 * real Prometheus text-format parser (parse-prometheus-text-format, prom2json-compatible).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import parsePrometheusTextFormat, { type PromFamily } from 'parse-prometheus-text-format';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDaemon, type RunningDaemon } from '../index.ts';
import { silentLogger } from '../log.ts';
import { startFakeUpstream, type FakeUpstream } from '../../test/fake-upstream/server.ts';
import type { RequestPage } from '../../shared/contract.ts';

process.env.CCO_CONFIG_DIR ??= fs.mkdtempSync(path.join(os.tmpdir(), 'cco-config-'));

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'cco-metrics-'));

async function scrape(d: RunningDaemon, token: string | null = d.token): Promise<{ status: number; type: string | null; families: Map<string, PromFamily> }> {
  const res = await fetch(`${d.url}/metrics`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  const text = await res.text();
  return {
    status: res.status,
    type: res.headers.get('content-type'),
    families: res.status === 200 ? new Map(parsePrometheusTextFormat(text).map((f) => [f.name, f])) : new Map(),
  };
}

const value = (f: PromFamily | undefined, labels: Record<string, string> = {}): number => {
  const m = f?.metrics.find((s) => Object.entries(labels).every(([k, v]) => s.labels?.[k] === v));
  return Number(m?.value ?? m?.count ?? NaN);
};

describe('GET /metrics', () => {
  let fake: FakeUpstream;
  let daemon: RunningDaemon;

  beforeAll(async () => {
    fake = await startFakeUpstream({ seed: 3 });
    daemon = await startDaemon({ port: 0, upstreamUrl: fake.url, dataDir: tmp(), log: silentLogger, apiKey: '', pidDir: false, rateLimit: false });
  });
  afterAll(async () => {
    await daemon?.close();
    await fake?.close();
  });

  it('needs the daemon token (401 without, and it is never proxied)', async () => {
    expect((await scrape(daemon, null)).status).toBe(401);
    expect((await scrape(daemon, 'wrong')).status).toBe(401);
    expect(fake.requests()).toHaveLength(0);
  });

  it('counts requests, tokens and cost per model, with latency histograms, in valid text format', async () => {
    const sdk = new Anthropic({ apiKey: 'sk-ant-api03-metrics', baseURL: daemon.url, maxRetries: 0 });
    await sdk.messages.create({ model: 'claude-haiku-4-5', max_tokens: 32, messages: [{ role: 'user', content: 'a' }] });
    await sdk.messages.create({ model: 'claude-haiku-4-5', max_tokens: 32, messages: [{ role: 'user', content: 'b' }] });
    await sdk.messages.stream({ model: 'claude-sonnet-4-6', max_tokens: 32, messages: [{ role: 'user', content: 'c' }] }).finalMessage();
    await daemon.store.flush();
    const page = (await (await fetch(`${daemon.url}/api/requests`, { headers: { authorization: `Bearer ${daemon.token}` } })).json()) as RequestPage;
    const haiku = page.items.filter((r) => r.modelRequested === 'claude-haiku-4-5');
    const model = haiku[0]!.model!;

    const { status, type, families } = await scrape(daemon);
    expect(status).toBe(200);
    expect(type).toMatch(/^text\/plain; version=0\.0\.4/);
    const req = families.get('cco_requests_total');
    expect(req?.type).toBe('COUNTER');
    expect(value(req, { state: 'complete', status: '200', model })).toBe(2);
    expect(value(families.get('cco_tokens_total'), { category: 'output', model })).toBe(haiku.reduce((a, r) => a + r.tokens.output, 0));
    expect(value(families.get('cco_tokens_total'), { category: 'input', model })).toBe(haiku.reduce((a, r) => a + r.tokens.input, 0));
    expect(value(families.get('cco_cost_usd_total'), { model })).toBeCloseTo(haiku.reduce((a, r) => a + r.costNanoUsd!, 0) / 1e9, 12);
    for (const h of ['cco_proxy_added_latency_seconds', 'cco_upstream_latency_seconds', 'cco_request_duration_seconds']) {
      const fam = families.get(h);
      expect(fam?.type, h).toBe('HISTOGRAM');
      expect(Number(fam!.metrics[0]!.count), h).toBe(3);
      expect(Number(fam!.metrics[0]!.buckets!['+Inf']), h).toBe(3);
    }
    expect(families.get('cco_store_dropped_writes_total')?.type).toBe('COUNTER');
    expect(value(families.get('cco_store_dropped_writes_total'))).toBe(0);
    expect(value(families.get('cco_store_queue_depth'))).toBe(0);
    expect(families.has('cco_process_cpu_user_seconds_total')).toBe(true);
  });

  it('carries plan-limit utilization pushed through the hook', async () => {
    daemon.metrics.setLimitUtilization('five_hour', 0.42);
    expect(value((await scrape(daemon)).families.get('cco_plan_limit_utilization'), { limit: 'five_hour' })).toBe(0.42);
    daemon.metrics.setLimitUtilization('five_hour', null);
    expect((await scrape(daemon)).families.get('cco_plan_limit_utilization')?.metrics ?? []).toHaveLength(0);
  });

  it('[metrics] open serves it without the token on a loopback-only daemon', async () => {
    const open = await startDaemon({ port: 0, upstreamUrl: fake.url, dataDir: tmp(), log: silentLogger, apiKey: '', pidDir: false, metricsOpen: true });
    try {
      expect((await scrape(open, null)).status).toBe(200);
    } finally {
      await open.close();
    }
  });
});

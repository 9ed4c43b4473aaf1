/**
 * createMetrics tallies per-request counters and histogram values itself and hands them to prom-client when the
 * registry is read (or every 256 histogram values): every read sees every request observed before it.
 */
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { describe, expect, it } from 'vitest';
import { makeRecord } from '../store/test-fixtures.ts';
import { createMetrics } from './metrics.ts';

const families = async (m: ReturnType<typeof createMetrics>) => new Map(parsePrometheusTextFormat(await m.render()).map((f) => [f.name, f]));
const sample = (f: { metrics: { labels?: Record<string, string>; value?: string; count?: string }[] } | undefined, labels: Record<string, string>) =>
  f?.metrics.find((x) => Object.entries(labels).every(([k, v]) => x.labels?.[k] === v));

describe('metrics tallies', () => {
  it('every observed request is in the next read, across reads and past the histogram flush size', async () => {
    const m = createMetrics({ store: () => null, defaultMetrics: false });
    const a = makeRecord({ model: 'claude-a', state: 'complete', status: 200, costNanoUsd: 1_000_000, ttfbMs: 10, durationMs: 20 });
    const b = makeRecord({ model: 'claude-b', state: 'upstream_error', status: null, costNanoUsd: null, billable: true, ttfbMs: null, durationMs: 5 });
    for (let i = 0; i < 300; i++) m.observe(a, 0.5);
    m.observe(b, null);
    let f = await families(m);
    expect(Number(sample(f.get('cco_requests_total'), { model: 'claude-a', state: 'complete', status: '200' })?.value)).toBe(300);
    expect(Number(sample(f.get('cco_requests_total'), { model: 'claude-b', state: 'upstream_error', status: 'none' })?.value)).toBe(1);
    expect(Number(sample(f.get('cco_unpriced_requests_total'), { model: 'claude-b' })?.value)).toBe(1);
    expect(Number(sample(f.get('cco_cost_usd_total'), { model: 'claude-a' })?.value)).toBeCloseTo(0.3, 9);
    expect(Number(sample(f.get('cco_tokens_total'), { model: 'claude-a', category: 'input' })?.value)).toBe(300 * a.tokens.input);
    expect(Number(sample(f.get('cco_request_duration_seconds'), {})?.count)).toBe(301);
    expect(Number(sample(f.get('cco_upstream_latency_seconds'), {})?.count)).toBe(300);
    expect(Number(sample(f.get('cco_proxy_added_latency_seconds'), {})?.count)).toBe(300);
    for (let i = 0; i < 5; i++) m.observe(a, 0.5);
    f = await families(m);
    expect(Number(sample(f.get('cco_requests_total'), { model: 'claude-a', state: 'complete', status: '200' })?.value)).toBe(305);
    expect(Number(sample(f.get('cco_request_duration_seconds'), {})?.count)).toBe(306);
    // a $0 request shows its model's cost series at 0 (prom-client's inc of 0, as before the tallies)
    m.observe(makeRecord({ model: 'claude-free', costNanoUsd: 0, billable: false }), null);
    f = await families(m);
    expect(sample(f.get('cco_cost_usd_total'), { model: 'claude-free' })?.value).toBe('0');
    // the JSON snapshot (OTLP) reads the same tallies
    m.observe(a, 0.5);
    const snap = await m.snapshot();
    const req = snap.find((x) => x.name === 'cco_requests_total')!;
    expect(req.values.find((v) => v.labels.model === 'claude-a')!.value).toBe(306);
  });
});

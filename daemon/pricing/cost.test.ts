import { describe, expect, it } from 'vitest';
import type { AnthropicUsage, CostBreakdown } from '../../shared/contract.ts';
import { createPricer, splitCacheWrites, type CostOptions } from './cost.ts';
import { parsePriceOverrides } from './overrides-schema.ts';
import { TABLE_VERSION } from './prices.ts';

/*
 * Hand-computed expectations. Unit trick: a price of $P per million tokens is P × 1000 nano-USD per
 * token, so cost_nano = tokens × P × 1000 × multipliers, rounded half up once per category.
 */

const NOV = Date.parse('2026-11-01T12:00:00Z');

type Case = {
  name: string;
  model: string;
  usage: AnthropicUsage;
  at?: number;
  opts?: CostOptions;
  breakdown: Partial<CostBreakdown>;
  total: number;
  savings?: number;
  multipliers?: Record<string, number>;
  tier?: string;
};

const split = (w5: number, w1: number): AnthropicUsage => ({
  cache_creation_input_tokens: w5 + w1,
  cache_creation: { ephemeral_5m_input_tokens: w5, ephemeral_1h_input_tokens: w1 },
});

const cases: Case[] = [
  {
    name: 'Sonnet 4.6 plain: input, 5m write, read, output',
    model: 'claude-sonnet-4-6',
    usage: { input_tokens: 1000, ...split(2000, 0), cache_read_input_tokens: 30_000, output_tokens: 500 },
    // input 1000×3×1000 = 3,000,000; 5m 2000×3.75×1000 = 7,500,000; read 30000×0.3×1000 = 9,000,000;
    // output 500×15×1000 = 7,500,000; total 27,000,000; savings 30000×(3−0.3)×1000 = 81,000,000
    breakdown: { input: 3_000_000, cacheWrite5m: 7_500_000, cacheWrite1h: 0, cacheRead: 9_000_000, output: 7_500_000 },
    total: 27_000_000,
    savings: 81_000_000,
    multipliers: {},
    tier: 'base',
  },
  {
    name: '1h writes at the 1h rate (2×), not the 5m rate',
    model: 'claude-opus-4-5-20251101',
    usage: { input_tokens: 0, ...split(0, 1000), output_tokens: 0 },
    // 1h 1000×10×1000 = 10,000,000 (the 5m rate would give 6,250,000)
    breakdown: { cacheWrite1h: 10_000_000, cacheWrite5m: 0 },
    total: 10_000_000,
  },
  {
    name: 'missing TTL split: all cache writes at 5m',
    model: 'claude-sonnet-4-5',
    usage: { input_tokens: 10, cache_creation_input_tokens: 4000, output_tokens: 0 },
    // input 10×3×1000 = 30,000; 5m 4000×3.75×1000 = 15,000,000
    breakdown: { input: 30_000, cacheWrite5m: 15_000_000, cacheWrite1h: 0 },
    total: 15_030_000,
  },
  {
    name: 'split not adding up: remainder billed at 5m',
    model: 'claude-haiku-4-5',
    usage: {
      cache_creation_input_tokens: 5000,
      cache_creation: { ephemeral_5m_input_tokens: 1000, ephemeral_1h_input_tokens: 2000 },
    },
    // 1h = 2000; 5m = 5000 − 2000 = 3000 → 3000×1.25×1000 = 3,750,000; 2000×2×1000 = 4,000,000
    breakdown: { cacheWrite5m: 3_750_000, cacheWrite1h: 4_000_000 },
    total: 7_750_000,
  },
  {
    name: 'fast + 1h + US on Opus 4.6 (6 × 1.1 = 6.6)',
    model: 'claude-opus-4-6',
    usage: {
      input_tokens: 1000, ...split(500, 1500), cache_read_input_tokens: 10_000, output_tokens: 300,
      speed: 'fast', inference_geo: 'us',
    },
    // input 1000×5×1000×6.6 = 33,000,000; 5m 500×6.25×1000×6.6 = 20,625,000;
    // 1h 1500×10×1000×6.6 = 99,000,000; read 10000×0.5×1000×6.6 = 33,000,000;
    // output 300×25×1000×6.6 = 49,500,000; total 235,125,000; savings 10000×4.5×1000×6.6 = 297,000,000
    breakdown: { input: 33_000_000, cacheWrite5m: 20_625_000, cacheWrite1h: 99_000_000, cacheRead: 33_000_000, output: 49_500_000 },
    total: 235_125_000,
    savings: 297_000_000,
    multipliers: { fast: 6, usGeo: 1.1 },
  },
  {
    name: 'fast + 1h + US on Opus 5.5 (2 × 1.1 = 2.2)',
    model: 'claude-opus-5-5',
    usage: { input_tokens: 100, ...split(0, 1000), output_tokens: 50, speed: 'fast', inference_geo: 'us' },
    // input 100×4×1000×2.2 = 880,000; 1h 1000×8×1000×2.2 = 17,600,000; output 50×20×1000×2.2 = 2,200,000
    breakdown: { input: 880_000, cacheWrite1h: 17_600_000, output: 2_200_000 },
    total: 20_680_000,
    multipliers: { fast: 2, usGeo: 1.1 },
  },
  {
    name: 'Haiku 5.5 prompt exactly 100,000 stays in the ≤100K band',
    model: 'claude-haiku-5-5',
    usage: { input_tokens: 40_000, ...split(10_000, 0), cache_read_input_tokens: 50_000, output_tokens: 1000 },
    // prompt 40000+10000+50000 = 100,000. input 40000×0.1×1000 = 4,000,000; 5m 10000×0.125×1000 = 1,250,000;
    // read 50000×0.01×1000 = 500,000; output 1000×0.5×1000 = 500,000
    breakdown: { input: 4_000_000, cacheWrite5m: 1_250_000, cacheRead: 500_000, output: 500_000 },
    total: 6_250_000,
    tier: 'base',
  },
  {
    name: 'Haiku 5.5 prompt 100,001: whole request (output too) in the >100K band',
    model: 'claude-haiku-5-5',
    usage: { input_tokens: 40_001, ...split(10_000, 0), cache_read_input_tokens: 50_000, output_tokens: 1000 },
    // input 40001×0.5×1000 = 20,000,500; 5m 10000×0.625×1000 = 6,250,000; read 50000×0.05×1000 = 2,500,000;
    // output 1000×2.5×1000 = 2,500,000; total 31,250,500
    breakdown: { input: 20_000_500, cacheWrite5m: 6_250_000, cacheRead: 2_500_000, output: 2_500_000 },
    total: 31_250_500,
    tier: 'prompt-band',
  },
  {
    name: 'Sonnet 4.5 + context-1m at 200,000 prompt: base prices',
    model: 'claude-sonnet-4-5',
    opts: { context1m: true },
    usage: { input_tokens: 100_000, ...split(50_000, 0), cache_read_input_tokens: 50_000, output_tokens: 2000 },
    // input 100000×3×1000 = 300,000,000; 5m 50000×3.75×1000 = 187,500,000; read 50000×0.3×1000 = 15,000,000;
    // output 2000×15×1000 = 30,000,000
    breakdown: { input: 300_000_000, cacheWrite5m: 187_500_000, cacheRead: 15_000_000, output: 30_000_000 },
    total: 532_500_000,
    tier: 'base',
  },
  {
    name: 'Sonnet 4.5 + context-1m at 200,001: whole request re-priced (2× in, 1.5× out)',
    model: 'claude-sonnet-4-5',
    opts: { context1m: true },
    usage: { input_tokens: 100_001, ...split(50_000, 0), cache_read_input_tokens: 50_000, output_tokens: 2000 },
    // input 100001×6×1000 = 600,006,000; 5m 50000×7.5×1000 = 375,000,000; read 50000×0.6×1000 = 30,000,000;
    // output 2000×22.5×1000 = 45,000,000; total 1,050,006,000
    breakdown: { input: 600_006_000, cacheWrite5m: 375_000_000, cacheRead: 30_000_000, output: 45_000_000 },
    total: 1_050_006_000,
    tier: 'long-context',
  },
  {
    name: 'Sonnet 4 [1m] model suffix signals the beta (1h write counts toward the prompt)',
    model: 'claude-sonnet-4-20250514[1m]',
    usage: { input_tokens: 200_000, ...split(0, 1), output_tokens: 0 },
    // prompt 200,001 → tier: input 200000×6×1000 = 1,200,000,000; 1h 1×12×1000 = 12,000
    breakdown: { input: 1_200_000_000, cacheWrite1h: 12_000 },
    total: 1_200_012_000,
    tier: 'long-context',
  },
  {
    name: 'Sonnet 4.5 at 200,001 without the beta: base prices',
    model: 'claude-sonnet-4-5',
    usage: { input_tokens: 100_001, ...split(50_000, 0), cache_read_input_tokens: 50_000, output_tokens: 2000 },
    // 100001×3×1000 = 300,003,000 + 187,500,000 + 15,000,000 + 30,000,000
    breakdown: { input: 300_003_000 },
    total: 532_503_000,
    tier: 'base',
  },
  {
    name: 'Sonnet 4.6 has no long-context surcharge even with the beta',
    model: 'claude-sonnet-4-6',
    opts: { context1m: true },
    usage: { input_tokens: 100_001, ...split(50_000, 0), cache_read_input_tokens: 50_000, output_tokens: 2000 },
    breakdown: { input: 300_003_000 },
    total: 532_503_000,
    tier: 'base',
  },
  {
    name: 'batch with cache reads: 50% on every token category',
    model: 'claude-haiku-4-5-20251001',
    usage: { input_tokens: 2000, cache_read_input_tokens: 8000, output_tokens: 1000, service_tier: 'batch' },
    // input 2000×1×1000×0.5 = 1,000,000; read 8000×0.1×1000×0.5 = 400,000; output 1000×5×1000×0.5 = 2,500,000
    // savings 8000×0.9×1000×0.5 = 3,600,000
    breakdown: { input: 1_000_000, cacheRead: 400_000, output: 2_500_000 },
    total: 3_900_000,
    savings: 3_600_000,
    multipliers: { batch: 0.5 },
  },
  {
    name: 'web search $10 per 1,000, outside the batch discount',
    model: 'claude-sonnet-4-6',
    usage: { input_tokens: 10, output_tokens: 10, server_tool_use: { web_search_requests: 3 }, service_tier: 'batch' },
    // input 10×3×1000×0.5 = 15,000; output 10×15×1000×0.5 = 75,000; search 3×10,000,000 = 30,000,000
    breakdown: { input: 15_000, output: 75_000, webSearch: 30_000_000 },
    total: 30_090_000,
  },
  {
    name: 'US geo ignored on a model without data-residency pricing',
    model: 'claude-sonnet-4-5',
    usage: { input_tokens: 1000, inference_geo: 'us' },
    breakdown: { input: 3_000_000 }, // 1000×3×1000
    total: 3_000_000,
    multipliers: {},
  },
  {
    name: 'US geo 1.1× on Sonnet 4.6, "global" geo no surcharge for comparison below',
    model: 'claude-sonnet-4-6',
    usage: { input_tokens: 1000, output_tokens: 100, inference_geo: 'us' },
    // input 1000×3×1000×1.1 = 3,300,000; output 100×15×1000×1.1 = 1,650,000
    breakdown: { input: 3_300_000, output: 1_650_000 },
    total: 4_950_000,
    multipliers: { usGeo: 1.1 },
  },
  {
    name: 'Sonnet 5.5 cache read 0.20 the millisecond before 2026-10-07T00:00Z',
    model: 'claude-sonnet-5-5',
    at: Date.parse('2026-10-07T00:00:00Z') - 1,
    usage: { cache_read_input_tokens: 1_000_000 },
    // 1e6×0.2×1000 = 200,000,000; savings 1e6×1.8×1000 = 1,800,000,000
    breakdown: { cacheRead: 200_000_000 },
    total: 200_000_000,
    savings: 1_800_000_000,
  },
  {
    name: 'Sonnet 5.5 cache read 0.10 from 2026-10-07T00:00Z exactly',
    model: 'claude-sonnet-5-5',
    at: Date.parse('2026-10-07T00:00:00Z'),
    usage: { cache_read_input_tokens: 1_000_000 },
    // 1e6×0.1×1000 = 100,000,000; savings 1e6×1.9×1000 = 1,900,000,000
    breakdown: { cacheRead: 100_000_000 },
    total: 100_000_000,
    savings: 1_900_000_000,
  },
  {
    name: 'Bedrock id with regional prefix prices like the 1P id',
    model: 'eu.anthropic.claude-sonnet-4-5-20250929-v1:0',
    usage: { input_tokens: 1, output_tokens: 1 },
    breakdown: { input: 3000, output: 15_000 },
    total: 18_000,
  },
  {
    name: 'zero usage on a known model is a priced $0',
    model: 'claude-opus-4-7',
    usage: {},
    breakdown: { input: 0, output: 0 },
    total: 0,
  },
];

describe('cost', () => {
  const pricer = createPricer();

  it.each(cases)('$name', (c) => {
    const r = pricer.cost(c.usage, c.model, c.at ?? NOV, c.opts);
    if (!r.priced) throw new Error(`unexpectedly unpriced: ${r.reason}`);
    expect(r.breakdown).toMatchObject(c.breakdown);
    const b = r.breakdown;
    expect(b.input + b.cacheWrite5m + b.cacheWrite1h + b.cacheRead + b.output + b.webSearch).toBe(r.nanoUsd);
    expect(r.nanoUsd).toBe(c.total);
    if (c.savings !== undefined) expect(r.cacheSavingsNanoUsd).toBe(c.savings);
    if (c.multipliers) expect(r.multipliers).toEqual(c.multipliers);
    if (c.tier) expect(r.tier).toBe(c.tier);
    expect(r.priceVersion).toBe(TABLE_VERSION);
  });

  it('accepts a Date as the request time', () => {
    const a = pricer.cost({ cache_read_input_tokens: 10 }, 'claude-sonnet-5-5', new Date('2026-10-07T00:00:00Z'));
    expect(a.priced && a.nanoUsd).toBe(1000); // 10×0.1×1000
  });

  const unpriced: [string, AnthropicUsage, string | null, number, RegExp][] = [
    ['unknown model', { input_tokens: 5 }, 'claude-sonnet-9-9', NOV, /unknown model "claude-sonnet-9-9"/],
    ['null model', { input_tokens: 5 }, null, NOV, /no model/],
    ['synthetic model', { input_tokens: 5 }, '<synthetic>', NOV, /unknown model/],
    ['model not in the table is never priced as a family guess', { input_tokens: 5 }, 'claude-3-5-sonnet-20241022', NOV, /unknown model/],
    ['fast on a model without a fast price', { input_tokens: 5, speed: 'fast' }, 'claude-sonnet-4-6', NOV, /no known fast-mode price/],
    ['fast on Opus 4.7 (price unknown)', { input_tokens: 5, speed: 'fast' }, 'claude-opus-4-7', NOV, /fast-mode/],
    ['fast on Opus 4.8 after its removal', { input_tokens: 5, speed: 'fast' }, 'claude-opus-4-8', Date.parse('2026-11-30T00:00:00Z'), /fast-mode/],
    ['priority tier has no list price', { input_tokens: 5, service_tier: 'priority' }, 'claude-sonnet-4-6', NOV, /priority/],
    ['unknown service tier', { input_tokens: 5, service_tier: 'flex' }, 'claude-sonnet-4-6', NOV, /service tier "flex"/],
    ['negative token count', { input_tokens: -5 }, 'claude-sonnet-4-6', NOV, /input_tokens/],
    ['fractional token count', { output_tokens: 1.5 }, 'claude-sonnet-4-6', NOV, /output_tokens/],
    ['invalid time', { input_tokens: 5 }, 'claude-sonnet-4-6', Number.NaN, /time/],
  ];

  it.each(unpriced)('unpriced: %s', (_name, usage, model, at, reason) => {
    const r = pricer.cost(usage, model, at);
    expect(r.priced).toBe(false);
    if (r.priced) return;
    expect(r.reason).toMatch(reason);
    expect(r.priceVersion).toBe(TABLE_VERSION);
    expect('nanoUsd' in r).toBe(false);
  });

  it('Opus 4.8 fast is priced (2×) the millisecond before its removal', () => {
    const r = pricer.cost({ output_tokens: 100, speed: 'fast' }, 'claude-opus-4-8', Date.parse('2026-11-30T00:00:00Z') - 1);
    expect(r.priced && r.nanoUsd).toBe(5_000_000); // 100×25×1000×2
  });

  it('unpriced results still report the normalised token counts', () => {
    const r = pricer.cost({ input_tokens: 7, cache_creation_input_tokens: 9 }, 'nope', NOV);
    expect(r.tokens).toEqual({ input: 7, cacheWrite5m: 9, cacheWrite1h: 0, cacheRead: 0, output: 0 });
  });

  it('rounds once per category, halves up (sub-nano prices via an override)', () => {
    const o = parsePriceOverrides(
      JSON.stringify({
        models: { 'tiny-model': { prices: { input: '0.0005', write5m: '0.0004', write1h: '0.0006', cacheRead: '0', output: '0.0005' } } },
      }),
      'pricing.json',
    );
    const r = createPricer(o).cost({ input_tokens: 1, output_tokens: 3, ...split(1, 1) }, 'tiny-model', NOV);
    if (!r.priced) throw new Error(r.reason);
    // input 1×0.5 nano = 0.5 → 1; output 3×0.5 = 1.5 → 2; 5m 1×0.4 = 0.4 → 0; 1h 1×0.6 = 0.6 → 1
    expect(r.breakdown).toMatchObject({ input: 1, output: 2, cacheWrite5m: 0, cacheWrite1h: 1 });
    expect(r.nanoUsd).toBe(4); // sum of rounded categories (unrounded sum 3.0 would give 3)
  });
});

describe('splitCacheWrites', () => {
  const rows: [string, AnthropicUsage, number, number][] = [
    ['no split object → all 5m', { cache_creation_input_tokens: 800 }, 800, 0],
    ['null split fields → all 5m', { cache_creation_input_tokens: 800, cache_creation: { ephemeral_5m_input_tokens: null } }, 800, 0],
    ['exact split', split(300, 500), 300, 500],
    ['split short of total → remainder at 5m', { cache_creation_input_tokens: 1000, cache_creation: { ephemeral_1h_input_tokens: 400 } }, 600, 400],
    ['split above total → total wins, 1h capped', { cache_creation_input_tokens: 1000, cache_creation: { ephemeral_5m_input_tokens: 200, ephemeral_1h_input_tokens: 1500 } }, 0, 1000],
    ['split without total → split as is', { cache_creation: { ephemeral_5m_input_tokens: 300, ephemeral_1h_input_tokens: 700 } }, 300, 700],
    ['nothing', {}, 0, 0],
  ];
  it.each(rows)('%s', (_n, usage, w5, w1) => {
    expect(splitCacheWrites(usage)).toEqual({ cacheWrite5m: w5, cacheWrite1h: w1 });
  });
});

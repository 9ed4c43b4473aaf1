import { describe, expect, it } from 'vitest';
import { createPricer } from './cost.ts';
import { parsePriceOverrides } from './overrides-schema.ts';
import { TABLE_VERSION } from './prices.ts';
import { reprice, usageFromRow, type RepriceRow } from './reprice.ts';

const NOV = Date.parse('2026-11-01T00:00:00Z');

const row = (over: Partial<RepriceRow>): RepriceRow => ({
  id: 'r',
  startedAt: NOV,
  model: 'claude-sonnet-4-6',
  tokens: { input: 1000, cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: 0, output: 0 },
  webSearchRequests: 0,
  serviceTier: 'standard',
  speed: null,
  inferenceGeo: null,
  costNanoUsd: 3_000_000,
  priceVersion: TABLE_VERSION,
  ...over,
});

describe('reprice', () => {
  const pricer = createPricer();

  it('leaves rows that are already right alone', () => {
    const r = reprice([row({ id: 'a' })], pricer); // 1000×3×1000 = 3,000,000 already stored
    expect(r).toMatchObject({ rowsSeen: 1, rowsChanged: 0, costChanged: 0, totalDeltaNanoUsd: 0 });
    expect(r.changed).toEqual([]);
  });

  it('recomputes wrong, stale and unpriced rows and totals the delta', () => {
    const rows = [
      row({ id: 'same-cost-old-version', priceVersion: 'old' }),
      // 1h writes priced at the 5m rate by an old table: 1000×6.25×1000 = 6,250,000 stored;
      // correct 1000×10×1000 = 10,000,000 → delta +3,750,000
      row({
        id: 'wrong-1h',
        model: 'claude-opus-4-5',
        tokens: { input: 0, cacheWrite5m: 0, cacheWrite1h: 1000, cacheRead: 0, output: 0 },
        costNanoUsd: 6_250_000,
        priceVersion: 'old',
      }),
      // unknown model stays unpriced (version moves)
      row({ id: 'unknown', model: 'mystery-1', costNanoUsd: null, priceVersion: 'old' }),
      // Sonnet 4.5 over 200K with [1m] on the requested id: 200,001 × 6 × 1000 = 1,200,006,000;
      // stored at base 200,001 × 3 × 1000 = 600,003,000 → delta +600,003,000
      row({
        id: 'long-context',
        model: 'claude-sonnet-4-5-20250929',
        modelRequested: 'claude-sonnet-4-5[1m]',
        tokens: { input: 200_001, cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: 0, output: 0 },
        costNanoUsd: 600_003_000,
      }),
    ];
    const r = reprice(rows, pricer);
    expect(r.rowsSeen).toBe(4);
    expect(r.rowsChanged).toBe(4);
    expect(r.costChanged).toBe(2);
    expect(r.totalBeforeNanoUsd).toBe(3_000_000 + 6_250_000 + 600_003_000);
    expect(r.totalAfterNanoUsd).toBe(3_000_000 + 10_000_000 + 1_200_006_000);
    expect(r.totalDeltaNanoUsd).toBe(3_750_000 + 600_003_000);
    const byId = Object.fromEntries(r.changed.map((c) => [c.id, c]));
    expect(byId['wrong-1h']).toMatchObject({ costNanoUsd: 10_000_000, deltaNanoUsd: 3_750_000, priceVersion: TABLE_VERSION });
    expect(byId['unknown']).toMatchObject({ costNanoUsd: null, unpricedReason: 'unknown model "mystery-1"', deltaNanoUsd: 0 });
    expect(byId['long-context']?.costNanoUsd).toBe(1_200_006_000);
  });

  it('an override that adds a model prices rows that were unpriced', () => {
    const o = parsePriceOverrides(
      JSON.stringify({ models: { 'mystery-1': { prices: { input: '2', write5m: '2.5', write1h: '4', cacheRead: '0.2', output: '10' } } } }),
      'pricing.json',
    );
    const r = reprice([row({ id: 'u', model: 'mystery-1', costNanoUsd: null, priceVersion: TABLE_VERSION })], createPricer(o));
    // 1000×2×1000 = 2,000,000
    expect(r).toMatchObject({ newlyPriced: 1, newlyUnpriced: 0, totalDeltaNanoUsd: 2_000_000 });
    expect(r.changed[0]).toMatchObject({ costNanoUsd: 2_000_000, priceVersion: `${TABLE_VERSION}+user.${o.hash}` });
  });

  it('falls back to the requested model when the response had none', () => {
    const r = reprice([row({ id: 'x', model: null, modelRequested: 'claude-haiku-4-5', costNanoUsd: null })], pricer);
    expect(r.changed[0]?.costNanoUsd).toBe(1_000_000); // 1000×1×1000
  });

  it('usageFromRow round-trips through the split rules', () => {
    const rw = row({
      tokens: { input: 1, cacheWrite5m: 2, cacheWrite1h: 3, cacheRead: 4, output: 5 },
      webSearchRequests: 6, serviceTier: 'batch', speed: 'fast', inferenceGeo: 'us',
    });
    const r = createPricer().cost(usageFromRow(rw), 'claude-opus-4-6', NOV);
    expect(r.tokens).toEqual(rw.tokens);
    // multipliers 0.5 × 6 × 1.1 = 3.3; input 1×5×1000×3.3 = 16,500; 5m 2×6.25×1000×3.3 = 41,250;
    // 1h 3×10×1000×3.3 = 99,000; read 4×0.5×1000×3.3 = 6,600; out 5×25×1000×3.3 = 412,500;
    // search 6×10,000,000 = 60,000,000 → 60,575,850
    expect(r.priced && r.nanoUsd).toBe(60_575_850);
  });
});

import { describe, expect, it } from 'vitest';
import { compileTable } from './compile.ts';
import { checkMultipliers } from './overrides.ts';
import { PRICE_TABLE } from './prices.ts';

/** Every API model id Anthropic lists with a price (retired ones included). */
const SECTION_4_IDS = [
  'claude-fable-5-2', 'claude-fable-5-1', 'claude-mythos-5-1', 'claude-fable-5', 'claude-mythos-5',
  'claude-mythos-preview', 'claude-opus-5-5', 'claude-opus-5', 'claude-opus-4-8', 'claude-opus-4-7',
  'claude-opus-4-6', 'claude-opus-4-5', 'claude-opus-4-5-20251101', 'claude-opus-4-1', 'claude-opus-4-1-20250805',
  'claude-opus-4-0', 'claude-opus-4-20250514', 'claude-sonnet-5-5', 'claude-sonnet-5', 'claude-sonnet-4-6',
  'claude-sonnet-4-5', 'claude-sonnet-4-5-20250929', 'claude-sonnet-4-0', 'claude-sonnet-4-20250514',
  'claude-3-7-sonnet-20250219', 'claude-3-7-sonnet-latest', 'claude-haiku-5-5', 'claude-haiku-4-5',
  'claude-haiku-4-5-20251001', 'claude-3-5-haiku-20241022', 'claude-3-5-haiku-latest', 'claude-3-haiku-20240307',
  'claude-3-opus-20240229',
];

describe('price table', () => {
  const compiled = compileTable(PRICE_TABLE);

  it('has a version and an as-of date', () => {
    expect(PRICE_TABLE.version).toMatch(/^\d{4}-\d{2}-\d{2}\.\d+$/);
    expect(PRICE_TABLE.asOf).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });

  it.each(SECTION_4_IDS)('lists %s', (id) => {
    expect(compiled.index.resolve(id)).not.toBeNull();
  });

  it('never lists one id under two entries', () => {
    const seen = new Map<string, string>();
    for (const m of PRICE_TABLE.models) {
      for (const id of new Set([m.key, ...m.ids, ...m.aliases])) {
        expect(seen.get(id), id).toBeUndefined();
        seen.set(id, m.key);
      }
    }
  });

  it('follows the usual cache multipliers, except Haiku 3 (historical prices)', () => {
    const broken = PRICE_TABLE.models.flatMap((m) => [
      ...checkMultipliers(m.prices, m.key),
      ...(m.tiers ?? []).flatMap((t) => checkMultipliers(t.prices, `${m.key} tier`)),
      ...(m.changes ?? []).flatMap((c) => checkMultipliers({ ...m.prices, ...c.prices }, `${m.key} ${c.from}`)),
    ]);
    expect(broken.every((w) => w.startsWith('claude-3-haiku-20240307'))).toBe(true);
    expect(broken).toHaveLength(2); // 5m 0.30 (1.2×) and read 0.03 (0.12×) on 0.25
  });

  it('long-context tier is 2× input and 1.5× output of the base prices', () => {
    for (const key of ['claude-sonnet-4-5', 'claude-sonnet-4-0']) {
      const e = compiled.entries.find((x) => x.key === key)!;
      const t = e.tiers[0]!;
      expect(t.kind).toBe('long-context');
      expect(t.promptAbove).toBe(200_000);
      expect(t.prices.input).toBe(e.base.input * 2n);
      expect(t.prices.output * 2n).toBe(e.base.output * 3n);
    }
  });

  it('Haiku 5.5 >100K band is 5× the ≤100K band in every category', () => {
    const e = compiled.entries.find((x) => x.key === 'claude-haiku-5-5')!;
    const t = e.tiers[0]!;
    expect(t.promptAbove).toBe(100_000);
    for (const f of ['input', 'write5m', 'write1h', 'cacheRead', 'output'] as const) expect(t.prices[f]).toBe(e.base[f] * 5n);
  });

  it('US data residency only on Opus/Sonnet 4.6 and later', () => {
    const geo = PRICE_TABLE.models.filter((m) => m.usGeo).map((m) => m.key).sort();
    expect(geo).toEqual([
      'claude-opus-4-6', 'claude-opus-4-7', 'claude-opus-4-8', 'claude-opus-5', 'claude-opus-5-5',
      'claude-sonnet-4-6', 'claude-sonnet-5', 'claude-sonnet-5-5',
    ]);
  });

  it('compile rejects malformed data', () => {
    const bad = structuredClone(PRICE_TABLE);
    bad.models[0]!.prices.input = '1e3';
    expect(() => compileTable(bad)).toThrow(/models\[claude-fable-5-2\]\.prices\.input/);
  });
});

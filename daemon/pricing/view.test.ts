import { describe, expect, it } from 'vitest';
import { createPricer } from './cost.ts';
import { PRICE_TABLE, TABLE_VERSION } from './prices.ts';

describe('table view (GET /api/prices)', () => {
  const pricer = createPricer();

  it('reports version, as-of date and every model', () => {
    const v = pricer.table(Date.parse('2026-11-22T00:00:00Z'));
    expect(v).toMatchObject({ version: TABLE_VERSION, tableVersion: TABLE_VERSION, asOf: PRICE_TABLE.asOf, overrides: null });
    expect(v.entries.map((m) => m.key)).toEqual(PRICE_TABLE.models.map((m) => m.key));
    expect(v.models).toContain('claude-sonnet-4-5-20250929');
    expect(v.models).toContain('claude-3-7-sonnet-latest');
    expect(JSON.parse(JSON.stringify(v))).toEqual(v); // plain JSON
  });

  it('shows the prices in effect at the given instant', () => {
    const before = pricer.table(Date.parse('2026-10-06T23:59:59.999Z')).entries.find((m) => m.key === 'claude-sonnet-5-5');
    const after = pricer.table(Date.parse('2026-10-07T00:00:00Z')).entries.find((m) => m.key === 'claude-sonnet-5-5');
    expect(before?.current.cacheRead).toBe('0.2');
    expect(after?.current.cacheRead).toBe('0.1');
    expect(after?.current.input).toBe('2');
  });
});

import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createPricer } from './cost.ts';
import { loadPriceOverrides } from './overrides.ts';
import { parsePriceOverrides } from './overrides-schema.ts';
import { TABLE_VERSION } from './prices.ts';

const NOV = Date.parse('2026-11-01T00:00:00Z');

describe('overrides', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cco-pricing-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const write = (body: unknown): string => {
    const text = typeof body === 'string' ? body : JSON.stringify(body, null, 2);
    writeFileSync(join(dir, 'pricing.json'), text);
    return text;
  };

  it('no file → null', async () => {
    expect(await loadPriceOverrides(dir)).toBeNull();
  });

  it('invalid JSON names the file', async () => {
    write('{ "models": ');
    await expect(loadPriceOverrides(dir)).rejects.toThrow(new RegExp(`${join(dir, 'pricing.json')}: invalid JSON`));
  });

  const malformed: [string, unknown, RegExp][] = [
    ['bad price string', { models: { 'claude-x': { prices: { input: 'three' } } } }, /entry "claude-x", field "prices\.input"/],
    ['negative number', { models: { 'claude-sonnet-4-6': { prices: { output: -1 } } } }, /entry "claude-sonnet-4-6", field "prices\.output"/],
    ['exponent number', { models: { m: { prices: { cacheRead: 1e-7 } } } }, /entry "m", field "prices\.cacheRead"/],
    ['too many decimals', { models: { m: { prices: { input: '0.0000000001' } } } }, /entry "m", field "prices\.input": .*9 decimals/],
    ['typo in a field name', { models: { 'claude-opus-4-6': { prices: { inptu: '5' } } } }, /entry "claude-opus-4-6", field "prices".*inptu/],
    ['bad date in changes', { models: { m: { changes: [{ from: 'soon', prices: {} }] } } }, /entry "m", field "changes\.0\.from"/],
    ['bad fast multiplier', { models: { m: { fast: [{ multiplier: 'x2' }] } } }, /entry "m", field "fast\.0\.multiplier"/],
    ['usGeo not a boolean', { models: { m: { usGeo: 'yes' } } }, /entry "m", field "usGeo"/],
    ['bad top-level field', { webSearchPer1000: 'ten' }, /field "webSearchPer1000"/],
  ];
  it.each(malformed)('malformed: %s → error naming file, entry and field', async (_n, body, re) => {
    write(body);
    let message = '';
    try {
      await loadPriceOverrides(dir);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain(join(dir, 'pricing.json'));
    expect(message).toMatch(re);
  });

  it('a new model needs all five prices', async () => {
    write({ models: { 'my-model': { prices: { input: '1', write5m: '1.25', write1h: '2', cacheRead: '0.1' } } } });
    await expect(loadPriceOverrides(dir)).rejects.toThrow(/entry "my-model", field "prices\.output": required/);
  });

  it('patching a known model: own version, prices used, unusual ratios warned', async () => {
    const text = write({ models: { 'claude-sonnet-4-6': { prices: { input: '2.5' } } } });
    const loaded = (await loadPriceOverrides(dir))!;
    const hash = createHash('sha256').update(text).digest('hex').slice(0, 8);
    expect(loaded.overrides.hash).toBe(hash);
    // 3.75 / 2.5 = 1.5 (not 1.25), 6 / 2.5 = 2.4 (not 2), 0.3 / 2.5 = 0.12 → three warnings
    expect(loaded.warnings).toHaveLength(3);
    expect(loaded.warnings[0]).toMatch(/entry "claude-sonnet-4-6": write5m 3\.75 is not 1\.25× input 2\.5/);
    const pricer = createPricer(loaded.overrides);
    expect(pricer.version).toBe(`${TABLE_VERSION}+user.${hash}`);
    expect(pricer.warnings).toEqual(loaded.warnings);
    const r = pricer.cost({ input_tokens: 1000 }, 'claude-sonnet-4-6-20260217', NOV);
    expect(r.priced && r.nanoUsd).toBe(2_500_000); // 1000×2.5×1000
    expect(r.priceVersion).toBe(pricer.version);
  });

  it('consistent prices give no warning; numbers are accepted', async () => {
    write({ models: { 'claude-opus-4-7': { prices: { input: 4, write5m: 5, write1h: 8, cacheRead: 0.4, output: 20 } } } });
    expect((await loadPriceOverrides(dir))!.warnings).toEqual([]);
  });

  it('an overridden price applies at all dates (built-in dated change dropped)', async () => {
    write({ models: { 'claude-sonnet-5-5': { prices: { cacheRead: '0.15' } } } });
    const pricer = createPricer((await loadPriceOverrides(dir))!.overrides);
    for (const at of [Date.parse('2026-10-01T00:00:00Z'), Date.parse('2026-11-01T00:00:00Z')]) {
      const r = pricer.cost({ cache_read_input_tokens: 1000 }, 'claude-sonnet-5-5', at);
      expect(r.priced && r.nanoUsd).toBe(150_000); // 1000×0.15×1000
    }
  });

  it('adds a new model, a fast price, and a web search price', async () => {
    write({
      webSearchPer1000: '5',
      models: {
        'acme-coder-1': { ids: ['acme-coder-1-20261101'], prices: { input: '1', write5m: '1.25', write1h: '2', cacheRead: '0.1', output: '5' } },
        'claude-opus-4-7': { fast: [{ multiplier: '3', until: '2026-07-24T00:00:00Z' }] },
      },
    });
    const pricer = createPricer((await loadPriceOverrides(dir))!.overrides);
    const a = pricer.cost({ input_tokens: 1000, output_tokens: 100, server_tool_use: { web_search_requests: 2 } }, 'acme-coder-1-20261101', NOV);
    // input 1000×1×1000 = 1,000,000; output 100×5×1000 = 500,000; search 2×5,000,000 = 10,000,000
    expect(a.priced && a.nanoUsd).toBe(11_500_000);
    const f = pricer.cost({ input_tokens: 1000, speed: 'fast' }, 'claude-opus-4-7', Date.parse('2026-07-01T00:00:00Z'));
    expect(f.priced && f.nanoUsd).toBe(15_000_000); // 1000×5×1000×3
    const view = pricer.table(NOV);
    expect(view.overrides?.file).toBe(join(dir, 'pricing.json'));
    expect(view.entries.some((m) => m.key === 'acme-coder-1' && m.family === 'other')).toBe(true);
    expect(view.models).toContain('acme-coder-1-20261101');
  });

  it('parsePriceOverrides hashes the exact bytes', () => {
    const a = parsePriceOverrides('{"models":{}}', 'p.json');
    const b = parsePriceOverrides('{ "models": {} }', 'p.json');
    expect(a.hash).toMatch(/^[0-9a-f]{8}$/);
    expect(a.hash).not.toBe(b.hash);
  });
});

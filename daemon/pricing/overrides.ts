/**
 * User price overrides: `<configDir>/pricing.json`, same fields as the built-in table (prices.ts).
 *
 *   { "webSearchPer1000": "10",
 *     "models": {
 *       "claude-sonnet-4-6": { "prices": { "input": "2.5" }, "usGeo": false },        // patch a known model
 *       "my-model": { "ids": ["my-model-2026"], "prices": { "input": "1", "write5m": "1.25",
 *                     "write1h": "2", "cacheRead": "0.1", "output": "5" } }        // add a new one
 *     } }
 *
 * Keys resolve through the same id normalisation as requests. Patching a known model: given prices
 * replace the built-in ones AT ALL DATES (built-in dated changes to those fields are dropped); given
 * `changes`, `fast` or `tiers` replace the built-in lists; `ids`/`aliases` are added. A new model
 * needs all five prices. Prices are decimal strings or numbers, USD per million tokens.
 * Malformed → thrown Error naming file, entry and field. Unusual ratios → warnings. The active
 * version becomes `<tableVersion>+user.<first 8 hex of sha256(file bytes)>`.
 *
 * The file's schema (zod) is in overrides-schema.ts, loaded only when a pricing file exists: most daemons have
 * none, and zod's evaluation cost every start ~50 ms of CPU (docs/design.md, idle footprint, fourth round).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { mulRatio, parseRatio, type Ratio } from './decimal.ts';
import { createModelIndex } from './models.ts';
import { PRICE_TABLE, type ModelPriceEntry, type PriceSetUsd, type PriceTable } from './prices.ts';

export const PRICING_FILE = 'pricing.json';

import type { ModelOverride } from './overrides-schema.ts';

export type { ModelOverride };

export interface PriceOverrides {
  file: string; // path as loaded (for messages and the /api/prices view)
  hash: string; // first 8 hex digits of sha256(file bytes)
  webSearchPer1000?: string;
  models: Record<string, ModelOverride>;
}

export interface LoadedPriceOverrides {
  overrides: PriceOverrides;
  warnings: string[];
}

/**
 * Reads `<configDir>/pricing.json`. Resolves to null when the file does not exist; rejects on a
 * malformed file (or on an entry the table cannot take); gives warnings for unusual prices.
 */
export async function loadPriceOverrides(configDir: string, base: PriceTable = PRICE_TABLE): Promise<LoadedPriceOverrides | null> {
  const file = join(configDir, PRICING_FILE);
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new Error(`${file}: cannot read: ${(err as Error).message}`, { cause: err });
  }
  const { parsePriceOverrides } = await import('./overrides-schema.ts');
  const overrides = parsePriceOverrides(bytes, file);
  const { warnings } = applyOverrides(base, overrides);
  return { overrides, warnings };
}

const EXPECTED_READ: readonly string[] = ['0.1', '0.05', '0.025'];

function ratioOf(a: string, b: string): Ratio {
  const x = parseRatio(a);
  const y = parseRatio(b);
  return mulRatio(x, { num: y.den, den: y.num === 0n ? 1n : y.num });
}

function sameRatio(a: Ratio, b: Ratio): boolean {
  return a.num * b.den === b.num * a.den;
}

/** Warnings for prices that break the usual multipliers (5m 1.25×, 1h 2×, read 0.1/0.05/0.025×). */
export function checkMultipliers(prices: PriceSetUsd, where: string): string[] {
  const out: string[] = [];
  if (parseRatio(prices.input).num === 0n) return out;
  const check = (field: keyof PriceSetUsd, expected: readonly string[]): void => {
    const r = ratioOf(prices[field], prices.input);
    if (!expected.some((e) => sameRatio(r, parseRatio(e)))) {
      out.push(`${where}: ${field} ${prices[field]} is not ${expected.join(' / ')}× input ${prices.input}`);
    }
  };
  check('write5m', ['1.25']);
  check('write1h', ['2']);
  check('cacheRead', EXPECTED_READ);
  return out;
}

/** The built-in table with the overrides applied, its new version, and warnings. Throws on conflicts. */
export function applyOverrides(base: PriceTable, o: PriceOverrides): { table: PriceTable; warnings: string[] } {
  const index = createModelIndex(base.models);
  const models = base.models.map((m) => ({ ...m }));
  const byKey = new Map(models.map((m) => [m.key, m]));
  const warnings: string[] = [];
  for (const [name, ov] of Object.entries(o.models)) {
    const where = `${o.file}: entry "${name}"`;
    const known = index.resolve(name);
    let entry: ModelPriceEntry;
    if (known) {
      entry = byKey.get(known.entry.key)!;
      if (ov.prices) {
        const given = Object.keys(ov.prices) as (keyof PriceSetUsd)[];
        entry.prices = { ...entry.prices, ...ov.prices };
        entry.changes = (entry.changes ?? [])
          .map((c) => ({ ...c, prices: Object.fromEntries(Object.entries(c.prices).filter(([k]) => !given.includes(k as keyof PriceSetUsd))) }))
          .filter((c) => Object.keys(c.prices).length > 0);
      }
      if (ov.ids) entry.ids = [...new Set([...entry.ids, ...ov.ids])];
      if (ov.aliases) entry.aliases = [...new Set([...entry.aliases, ...ov.aliases])];
    } else {
      const prices = ov.prices ?? {};
      const missing = (['input', 'write5m', 'write1h', 'cacheRead', 'output'] as const).filter((f) => prices[f] === undefined);
      if (missing.length) {
        throw new Error(`${where}, field "prices.${missing[0]}": required for a model not in the built-in table (missing: ${missing.join(', ')})`);
      }
      entry = {
        key: name.toLowerCase(),
        name: ov.name ?? name,
        family: ov.family ?? 'other',
        ids: [...new Set([name.toLowerCase(), ...(ov.ids ?? [])])],
        aliases: ov.aliases ?? [],
        prices: prices as PriceSetUsd,
        usGeo: ov.usGeo ?? false,
        status: ov.status ?? 'user-defined',
      };
      models.push(entry);
      byKey.set(entry.key, entry);
    }
    if (ov.name !== undefined) entry.name = ov.name;
    if (ov.family !== undefined) entry.family = ov.family;
    if (ov.changes !== undefined) entry.changes = ov.changes;
    if (ov.fast !== undefined) entry.fast = ov.fast;
    if (ov.tiers !== undefined) entry.tiers = ov.tiers;
    if (ov.usGeo !== undefined) entry.usGeo = ov.usGeo;
    if (ov.status !== undefined) entry.status = ov.status;
    if (ov.notes !== undefined) entry.notes = ov.notes;
    warnings.push(...checkMultipliers(entry.prices, where));
    (entry.tiers ?? []).forEach((t, i) => warnings.push(...checkMultipliers(t.prices, `${where} tiers[${i}]`)));
    (entry.fast ?? []).forEach((f, i) => {
      if (parseRatio(f.multiplier).num < parseRatio(f.multiplier).den) {
        warnings.push(`${where}: fast[${i}].multiplier ${f.multiplier} is below 1`);
      }
    });
  }
  const table: PriceTable = {
    version: `${base.version}+user.${o.hash}`,
    asOf: base.asOf,
    webSearchPer1000: o.webSearchPer1000 ?? base.webSearchPer1000,
    models,
  };
  return { table, warnings };
}

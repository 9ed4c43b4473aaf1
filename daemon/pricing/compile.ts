/**
 * Turns the JSON-shaped price table into its runtime form: integer nano-USD per million tokens,
 * parsed dates, exact fast multipliers, and a model-id index. Throws on malformed table data.
 */
import { parseRatio, usdToNano, type Ratio } from './decimal.ts';
import { createModelIndex, type ModelIndex } from './models.ts';
import type { ModelPriceEntry, PriceSetUsd, PriceTable, TierRule } from './prices.ts';

export const PRICE_FIELDS = ['input', 'write5m', 'write1h', 'cacheRead', 'output'] as const;
export type PriceField = (typeof PRICE_FIELDS)[number];

/** Nano-USD per million tokens. */
export type PriceSetNano = Record<PriceField, bigint>;

export interface CompiledTier {
  kind: TierRule['kind'];
  promptAbove: number;
  requiresContext1m: boolean;
  prices: PriceSetNano;
}

export interface CompiledFast {
  multiplier: Ratio;
  from: number; // epoch ms inclusive (-Infinity when open)
  until: number; // epoch ms exclusive (+Infinity when open)
}

export interface CompiledEntry {
  key: string;
  ids: readonly string[];
  aliases: readonly string[];
  source: ModelPriceEntry;
  base: PriceSetNano;
  changes: { from: number; prices: Partial<PriceSetNano> }[]; // sorted by `from`
  fast: CompiledFast[];
  usGeo: boolean;
  tiers: CompiledTier[];
}

export interface CompiledTable {
  version: string;
  asOf: string;
  source: PriceTable;
  webSearchNanoPer1000: bigint;
  entries: CompiledEntry[];
  index: ModelIndex<CompiledEntry>;
}

function parseInstant(value: string, where: string): number {
  const ms = Date.parse(value);
  if (!Number.isFinite(ms)) throw new Error(`${where}: invalid date ${JSON.stringify(value)}`);
  return ms;
}

function compilePrices(prices: PriceSetUsd, where: string): PriceSetNano {
  const out = {} as PriceSetNano;
  for (const f of PRICE_FIELDS) out[f] = compilePrice(prices[f], `${where}.${f}`);
  return out;
}

function compilePrice(value: string, where: string): bigint {
  try {
    return usdToNano(value);
  } catch (err) {
    throw new Error(`${where}: ${(err as Error).message}`, { cause: err });
  }
}

function compileEntry(e: ModelPriceEntry): CompiledEntry {
  const where = `models[${e.key}]`;
  const changes = (e.changes ?? []).map((c, i) => {
    const prices: Partial<PriceSetNano> = {};
    for (const f of PRICE_FIELDS) {
      const v = c.prices[f];
      if (v !== undefined) prices[f] = compilePrice(v, `${where}.changes[${i}].prices.${f}`);
    }
    return { from: parseInstant(c.from, `${where}.changes[${i}].from`), prices };
  });
  changes.sort((a, b) => a.from - b.from);
  const fast = (e.fast ?? []).map((r, i) => ({
    multiplier: parseRatio(r.multiplier),
    from: r.from ? parseInstant(r.from, `${where}.fast[${i}].from`) : -Infinity,
    until: r.until ? parseInstant(r.until, `${where}.fast[${i}].until`) : Infinity,
  }));
  const tiers = (e.tiers ?? []).map((t, i) => ({
    kind: t.kind,
    promptAbove: t.promptAbove,
    requiresContext1m: t.requiresContext1m,
    prices: compilePrices(t.prices, `${where}.tiers[${i}].prices`),
  }));
  return {
    key: e.key,
    ids: e.ids,
    aliases: e.aliases,
    source: e,
    base: compilePrices(e.prices, `${where}.prices`),
    changes,
    fast,
    usGeo: e.usGeo,
    tiers,
  };
}

export function compileTable(table: PriceTable): CompiledTable {
  const entries = table.models.map(compileEntry);
  return {
    version: table.version,
    asOf: table.asOf,
    source: table,
    webSearchNanoPer1000: compilePrice(table.webSearchPer1000, 'webSearchPer1000'),
    entries,
    index: createModelIndex(entries),
  };
}

/** The entry's base prices with every change effective at `atMs` applied (later changes win). */
export function pricesAt(entry: CompiledEntry, atMs: number): PriceSetNano {
  const out = { ...entry.base };
  for (const c of entry.changes) {
    if (c.from > atMs) break;
    Object.assign(out, c.prices);
  }
  return out;
}

/** The fast multiplier valid at `atMs`, or null when the model has no known fast price then. */
export function fastAt(entry: CompiledEntry, atMs: number): Ratio | null {
  for (const r of entry.fast) if (atMs >= r.from && atMs < r.until) return r.multiplier;
  return null;
}

/**
 * cost(): the exact price of one response, in integer nano-USD (1 USD = 1e9), with provenance.
 *
 * Formula (Anthropic's pricing rules), per token category c ∈ {input, 5m write, 1h write, cache read, output}:
 *   cost_c = round_half_up(tokens_c × price_c × fast × geo × batch / 1e6)
 * with price_c in nano-USD per million tokens, the multipliers as exact ratios, and ONE rounding per
 * category (to a whole nano-USD, halves up). Web search = round_half_up(searches × per1000 / 1000),
 * no multipliers. Total = sum of the rounded categories. Prices come from the model's table entry at
 * the request time (effective-dated changes), then the prompt-size tier if one applies:
 * prompt = input + 5m writes + 1h writes + cache reads, strictly above the tier's threshold.
 */
import type { AnthropicUsage, CostBreakdown, TokenCounts } from '../../shared/contract.ts';
import { ONE, mulRatio, ratioToNumber, roundHalfUp, tokenCost, type Ratio } from './decimal.ts';
import { compileTable, fastAt, pricesAt, PRICE_FIELDS, type CompiledTable, type PriceSetNano } from './compile.ts';
import { PRICE_TABLE, type PriceTable, type TierRule } from './prices.ts';
import { applyOverrides, type PriceOverrides } from './overrides.ts';
import { buildTableView, type PriceTableView } from './view.ts';

export interface CostOptions {
  /** The request carried the `context-1m-…` beta (header), or the model id had `[1m]`. */
  context1m?: boolean;
}

export type PricingTier = 'base' | TierRule['kind'];

export type CostResult =
  | {
      priced: true;
      nanoUsd: number;
      breakdown: CostBreakdown;
      /** Exact multipliers applied on top of the (tier) prices; only those ≠ 1 appear. */
      multipliers: Record<string, number>;
      priceVersion: string;
      modelKey: string;
      tier: PricingTier;
      cacheSavingsNanoUsd: number;
      tokens: TokenCounts;
    }
  | { priced: false; reason: string; priceVersion: string; modelKey: string | null; tokens: TokenCounts };

export interface Pricer {
  version: string;
  asOf: string;
  /** Warnings from the user overrides (empty without overrides). */
  warnings: readonly string[];
  cost(usage: AnthropicUsage, model: string | null, at: number | Date, opts?: CostOptions): CostResult;
  table(now?: number | Date): PriceTableView;
}

type Count = number | null;

/** null/undefined → 0; a non-negative safe integer → itself; anything else → null (invalid). */
function readCount(v: unknown): Count {
  if (v === null || v === undefined) return 0;
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : null;
}

/**
 * The TTL split of cache writes. No split object (old data) → all 5m. With a split, the total
 * (`cache_creation_input_tokens`) wins when present: 1h = min(split 1h, total), 5m = the remainder
 * (so a split that does not add up bills the rest at 5m). Without a total, the split is used as is.
 */
export function splitCacheWrites(usage: AnthropicUsage): { cacheWrite5m: number; cacheWrite1h: number } {
  const total = readCount(usage.cache_creation_input_tokens) ?? 0;
  const split = usage.cache_creation;
  const s5 = split ? readCount(split.ephemeral_5m_input_tokens) ?? 0 : 0;
  const s1 = split ? readCount(split.ephemeral_1h_input_tokens) ?? 0 : 0;
  const hasSplit =
    !!split &&
    ((split.ephemeral_5m_input_tokens !== null && split.ephemeral_5m_input_tokens !== undefined) ||
      (split.ephemeral_1h_input_tokens !== null && split.ephemeral_1h_input_tokens !== undefined));
  if (!hasSplit) return { cacheWrite5m: total, cacheWrite1h: 0 };
  const totalGiven = usage.cache_creation_input_tokens !== null && usage.cache_creation_input_tokens !== undefined;
  if (!totalGiven) return { cacheWrite5m: s5, cacheWrite1h: s1 };
  const cacheWrite1h = Math.min(s1, total);
  return { cacheWrite5m: total - cacheWrite1h, cacheWrite1h };
}

/** Token counts after the split rules, plus the names of fields that were not valid counts. */
export function readTokens(usage: AnthropicUsage): { tokens: TokenCounts; webSearch: number; invalid: string[] } {
  const invalid: string[] = [];
  const get = (name: string, v: unknown): number => {
    const c = readCount(v);
    if (c === null) invalid.push(name);
    return c ?? 0;
  };
  const input = get('input_tokens', usage.input_tokens);
  get('cache_creation_input_tokens', usage.cache_creation_input_tokens);
  get('cache_creation.ephemeral_5m_input_tokens', usage.cache_creation?.ephemeral_5m_input_tokens);
  get('cache_creation.ephemeral_1h_input_tokens', usage.cache_creation?.ephemeral_1h_input_tokens);
  const cacheRead = get('cache_read_input_tokens', usage.cache_read_input_tokens);
  const output = get('output_tokens', usage.output_tokens);
  const webSearch = get('server_tool_use.web_search_requests', usage.server_tool_use?.web_search_requests);
  return { tokens: { input, ...splitCacheWrites(usage), cacheRead, output }, webSearch, invalid };
}

const HALF: Ratio = { num: 1n, den: 2n };
const US_GEO: Ratio = { num: 11n, den: 10n };

function toMs(at: number | Date): number {
  return at instanceof Date ? at.getTime() : at;
}

function norm(v: string | null | undefined): string {
  return (v ?? '').trim().toLowerCase();
}

type Resolve = CompiledTable['index']['resolve'];

/** Memoises model resolution (ids repeat); bounded so arbitrary ids cannot grow it without limit. */
function memoResolve(resolve: Resolve, max = 1024): Resolve {
  const cache = new Map<string, ReturnType<Resolve>>();
  return (raw) => {
    if (typeof raw !== 'string') return resolve(raw);
    let hit = cache.get(raw);
    if (hit === undefined && !cache.has(raw)) {
      hit = resolve(raw);
      if (cache.size >= max) cache.clear();
      cache.set(raw, hit);
    }
    return hit ?? null;
  };
}

function priceRequest(
  compiled: CompiledTable,
  resolve: Resolve,
  usage: AnthropicUsage,
  model: string | null,
  at: number | Date,
  opts: CostOptions,
): CostResult {
  const version = compiled.version;
  const { tokens, webSearch, invalid } = readTokens(usage);
  const unpriced = (reason: string, modelKey: string | null = null): CostResult => ({
    priced: false, reason, priceVersion: version, modelKey, tokens,
  });
  if (model === null || model.trim() === '') return unpriced('no model id');
  const resolved = resolve(model);
  if (!resolved) return unpriced(`unknown model "${model}"`);
  const entry = resolved.entry;
  const un = (reason: string): CostResult => unpriced(reason, entry.key);
  if (invalid.length) return un(`invalid usage field(s): ${invalid.join(', ')}`);
  const atMs = toMs(at);
  if (!Number.isFinite(atMs)) return un('invalid request time');

  const multipliers: Record<string, number> = {};
  let m: Ratio = ONE;
  const apply = (name: string, r: Ratio): void => {
    m = mulRatio(m, r);
    multipliers[name] = ratioToNumber(r);
  };

  const tierName = norm(usage.service_tier);
  if (tierName === 'batch') apply('batch', HALF);
  else if (tierName === 'priority') return un('priority tier: committed-spend pricing, no list price');
  else if (tierName !== '' && tierName !== 'standard') return un(`unknown service tier "${usage.service_tier}"`);

  const speed = norm(usage.speed);
  if (speed === 'fast') {
    const fast = fastAt(entry, atMs);
    if (!fast) return un(`no known fast-mode price for ${entry.key} at ${new Date(atMs).toISOString()}`);
    apply('fast', fast);
  } else if (speed !== '' && speed !== 'standard') return un(`unknown speed "${usage.speed}"`);

  if (norm(usage.inference_geo) === 'us' && entry.usGeo) apply('usGeo', US_GEO);

  const context1m = !!opts.context1m || resolved.normalised.context1m;
  const prompt = tokens.input + tokens.cacheWrite5m + tokens.cacheWrite1h + tokens.cacheRead;
  let prices: PriceSetNano = pricesAt(entry, atMs);
  let tier: PricingTier = 'base';
  for (const t of entry.tiers) {
    if (prompt > t.promptAbove && (!t.requiresContext1m || context1m)) {
      prices = t.prices;
      tier = t.kind;
      break;
    }
  }

  const b = {} as Record<(typeof PRICE_FIELDS)[number], bigint>;
  b.input = tokenCost(tokens.input, prices.input, m);
  b.write5m = tokenCost(tokens.cacheWrite5m, prices.write5m, m);
  b.write1h = tokenCost(tokens.cacheWrite1h, prices.write1h, m);
  b.cacheRead = tokenCost(tokens.cacheRead, prices.cacheRead, m);
  b.output = tokenCost(tokens.output, prices.output, m);
  const web = roundHalfUp(BigInt(webSearch) * compiled.webSearchNanoPer1000, 1000n);
  const total = b.input + b.write5m + b.write1h + b.cacheRead + b.output + web;
  const diff = prices.input - prices.cacheRead;
  const savings = diff >= 0n ? tokenCost(tokens.cacheRead, diff, m) : -tokenCost(tokens.cacheRead, -diff, m);

  return {
    priced: true,
    nanoUsd: Number(total),
    breakdown: {
      input: Number(b.input),
      cacheWrite5m: Number(b.write5m),
      cacheWrite1h: Number(b.write1h),
      cacheRead: Number(b.cacheRead),
      output: Number(b.output),
      webSearch: Number(web),
    },
    multipliers,
    priceVersion: version,
    modelKey: entry.key,
    tier,
    cacheSavingsNanoUsd: Number(savings),
    tokens,
  };
}

/**
 * Builds a pricer over the built-in table (or `base`), with the user's overrides applied on top.
 * Throws if the resulting table is malformed.
 */
export function createPricer(overrides?: PriceOverrides | null, base: PriceTable = PRICE_TABLE): Pricer {
  const { table, warnings } = overrides ? applyOverrides(base, overrides) : { table: base, warnings: [] };
  const compiled = compileTable(table);
  const resolve = memoResolve(compiled.index.resolve);
  return {
    version: compiled.version,
    asOf: compiled.asOf,
    warnings,
    cost: (usage, model, at, opts = {}) => priceRequest(compiled, resolve, usage, model, at, opts),
    table: (now = Date.now()) => buildTableView(compiled, toMs(now), overrides ?? null, warnings),
  };
}

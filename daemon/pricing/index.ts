/** Pricing engine: dated price table, model id normalisation, exact integer nano-USD costs. */
export { PRICE_TABLE, TABLE_VERSION } from './prices.ts';
export type { FastRule, ModelFamily, ModelPriceEntry, PriceChange, PriceSetUsd, PriceTable, TierRule } from './prices.ts';
export { createModelIndex, normaliseModelId } from './models.ts';
export type { MatchKind, ModelIndex, ModelPlatform, NormalisedModelId, ResolvedModel } from './models.ts';
export { createPricer, readTokens, splitCacheWrites } from './cost.ts';
export type { CostOptions, CostResult, Pricer, PricingTier } from './cost.ts';
export { applyOverrides, checkMultipliers, loadPriceOverrides, PRICING_FILE } from './overrides.ts';
export type { LoadedPriceOverrides, ModelOverride, PriceOverrides } from './overrides.ts';
export { reprice, usageFromRow } from './reprice.ts';
export type { RepricedRow, RepriceResult, RepriceRow } from './reprice.ts';
export type { PriceModelView, PriceTableView } from './view.ts';
export { compileTable, fastAt, pricesAt } from './compile.ts';
export type { CompiledEntry, CompiledTable, PriceSetNano } from './compile.ts';
export { nanoToUsd, usdToNano } from './decimal.ts';

/**
 * reprice(): recompute stored costs with the active pricer (after a table or override change).
 * Pure: takes stored rows, returns the new cost/version per row and the totals; the caller (the
 * store, `cco reprice`) writes them back.
 */
import type { AnthropicUsage, TokenCounts } from '../../shared/contract.ts';
import type { Pricer } from './cost.ts';

/** The stored fields cost() needs (the `requests` table columns, camel-cased). */
export interface RepriceRow {
  id: string;
  startedAt: number; // epoch ms: the price date
  model: string | null; // model from the response (preferred)
  modelRequested?: string | null; // used when `model` is null; its `[1m]` suffix signals context-1m
  context1m?: boolean; // stored context-1m beta flag, if the store keeps one
  tokens: TokenCounts;
  webSearchRequests: number;
  serviceTier: string | null;
  speed: string | null;
  inferenceGeo: string | null;
  costNanoUsd: number | null; // current stored cost (null = unpriced)
  priceVersion: string | null;
}

export interface RepricedRow {
  id: string;
  costNanoUsd: number | null;
  priceVersion: string;
  unpricedReason: string | null;
  cacheSavingsNanoUsd: number;
  /** new − old cost, treating unpriced as 0 (see newlyPriced / newlyUnpriced in the summary). */
  deltaNanoUsd: number;
}

export interface RepriceResult {
  /** Rows whose cost, priced state or price version changed — the ones to write back. */
  changed: RepricedRow[];
  rowsSeen: number;
  rowsChanged: number;
  costChanged: number; // rows whose cost (or priced state) changed
  newlyPriced: number;
  newlyUnpriced: number;
  totalBeforeNanoUsd: number; // sum of priced costs before
  totalAfterNanoUsd: number; // sum of priced costs after
  totalDeltaNanoUsd: number; // after − before
  priceVersion: string;
}

/** Rebuilds the usage object cost() reads from stored, already split, token columns. */
export function usageFromRow(row: RepriceRow): AnthropicUsage {
  const t = row.tokens;
  return {
    input_tokens: t.input,
    cache_creation_input_tokens: t.cacheWrite5m + t.cacheWrite1h,
    cache_creation: { ephemeral_5m_input_tokens: t.cacheWrite5m, ephemeral_1h_input_tokens: t.cacheWrite1h },
    cache_read_input_tokens: t.cacheRead,
    output_tokens: t.output,
    server_tool_use: { web_search_requests: row.webSearchRequests },
    service_tier: row.serviceTier,
    speed: row.speed,
    inference_geo: row.inferenceGeo,
  };
}

export function reprice(rows: Iterable<RepriceRow>, pricer: Pricer): RepriceResult {
  const out: RepriceResult = {
    changed: [], rowsSeen: 0, rowsChanged: 0, costChanged: 0, newlyPriced: 0, newlyUnpriced: 0,
    totalBeforeNanoUsd: 0, totalAfterNanoUsd: 0, totalDeltaNanoUsd: 0, priceVersion: pricer.version,
  };
  for (const row of rows) {
    out.rowsSeen++;
    const model = row.model ?? row.modelRequested ?? null;
    const context1m = !!row.context1m || /\[1m\]\s*$/i.test(row.modelRequested ?? '');
    const r = pricer.cost(usageFromRow(row), model, row.startedAt, { context1m });
    const after = r.priced ? r.nanoUsd : null;
    const before = row.costNanoUsd;
    out.totalBeforeNanoUsd += before ?? 0;
    out.totalAfterNanoUsd += after ?? 0;
    if (before === null && after !== null) out.newlyPriced++;
    if (before !== null && after === null) out.newlyUnpriced++;
    const costDiffers = before !== after;
    if (costDiffers) out.costChanged++;
    if (!costDiffers && row.priceVersion === r.priceVersion) continue;
    out.rowsChanged++;
    out.changed.push({
      id: row.id,
      costNanoUsd: after,
      priceVersion: r.priceVersion,
      unpricedReason: r.priced ? null : r.reason,
      cacheSavingsNanoUsd: r.priced ? r.cacheSavingsNanoUsd : 0,
      deltaNanoUsd: (after ?? 0) - (before ?? 0),
    });
  }
  out.totalDeltaNanoUsd = out.totalAfterNanoUsd - out.totalBeforeNanoUsd;
  return out;
}

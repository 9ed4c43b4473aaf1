/**
 * The request detail view: the stored record plus its cost breakdown, recomputed from the stored token
 * counts with the active price table. The breakdown is only shown when it reproduces the stored cost
 * (same price version, same total); after a table change `cco reprice` brings them back in line.
 */
import type { AnthropicUsage, RequestDetail, RequestRecord } from '../../shared/contract.ts';
import type { Pricer } from '../pricing/index.ts';

export function usageOf(r: RequestRecord): AnthropicUsage {
  return {
    input_tokens: r.tokens.input,
    cache_creation_input_tokens: r.tokens.cacheWrite5m + r.tokens.cacheWrite1h,
    cache_read_input_tokens: r.tokens.cacheRead,
    cache_creation: { ephemeral_5m_input_tokens: r.tokens.cacheWrite5m, ephemeral_1h_input_tokens: r.tokens.cacheWrite1h },
    output_tokens: r.tokens.output,
    output_tokens_details: { thinking_tokens: r.thinkingTokens },
    server_tool_use: { web_search_requests: r.webSearchRequests },
    service_tier: r.serviceTier,
    inference_geo: r.inferenceGeo,
    speed: r.speed,
  };
}

export function detailOf(record: RequestRecord, pricer: Pricer): RequestDetail {
  if (!record.billable || record.costNanoUsd === null) return { ...record, breakdown: null, multipliers: null };
  const model = record.model ?? record.modelRequested;
  const context1m = Boolean(model?.endsWith('[1m]'));
  const result = pricer.cost(usageOf(record), model, record.startedAt, { context1m });
  if (!result.priced || result.priceVersion !== record.priceVersion || result.nanoUsd !== record.costNanoUsd) {
    return { ...record, breakdown: null, multipliers: null };
  }
  return { ...record, breakdown: result.breakdown, multipliers: result.multipliers };
}

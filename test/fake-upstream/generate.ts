/**
 * Plans one Messages response: content blocks (with their stream deltas), stop reason and usage.
 * Deterministic from (seed, request body without `stream`, scenario); the same plan backs the JSON and
 * the SSE form, so `stream:false` and `stream:true` bill the same.
 */
import { makeRng, randInt, base58, type Rng } from './rng.ts';
import type { IdSource } from './rng.ts';
import { countTextTokens } from './tokens.ts';
import type { CacheUsage } from './cache.ts';
import type { Scenario, WireUsage } from './types.ts';

type Json = Record<string, unknown>;

export interface PlannedDelta {
  delta: Json;
  /** Output tokens this delta adds (sums to the block's tokens). */
  tokens: number;
}

export interface PlannedBlock {
  /** `content_block` of content_block_start. */
  start: Json;
  deltas: PlannedDelta[];
  /** The block as it appears in a non-streaming body. */
  final: Json;
}

export interface Plan {
  messageId: string;
  model: string;
  blocks: PlannedBlock[];
  stopReason: string;
  startUsage: WireUsage;
  /** `usage` of message_delta: cumulative counts, no cache_creation split. */
  deltaUsage: Json;
  finalUsage: WireUsage;
}

export const SIGNATURE_TEXT = 'héllo wörld ✓ 日本';
const WORDS = ['the', 'cost', 'of', 'tokens', 'cache', 'stream', 'proxy', 'café', 'naïve', 'Größe', 'ünïcode', 'résumé', 'データ', '✓', '→', 'über', 'model', 'usage', 'request', 'count', 'prompt', 'delta', '🙂', 'ok'];
const SEARCH_INPUT_TOKENS = 1500;

/** Text of exactly `tokens` tokens (ceil(bytes/4)), starting with SIGNATURE_TEXT when it fits. */
export function makeText(rng: Rng, tokens: number): string {
  if (tokens <= 0) return '';
  const max = tokens * 4;
  let text = max >= Buffer.byteLength(SIGNATURE_TEXT) ? SIGNATURE_TEXT : '';
  let bytes = Buffer.byteLength(text);
  for (;;) {
    const w = (bytes === 0 ? '' : ' ') + WORDS[Math.floor(rng() * WORDS.length)]!;
    const wb = Buffer.byteLength(w);
    if (bytes + wb > max) break;
    text += w;
    bytes += wb;
  }
  while (bytes <= max - 4) {
    text += bytes % 7 === 0 ? ' ' : 'a';
    bytes++;
  }
  return text;
}

/** Split on character boundaries into pieces of 1–12 characters (code points). */
function pieces(rng: Rng, s: string): string[] {
  const chars = Array.from(s);
  const out: string[] = [];
  for (let i = 0; i < chars.length; ) {
    const n = randInt(rng, 1, 12);
    out.push(chars.slice(i, i + n).join(''));
    i += n;
  }
  return out;
}

/** Deltas whose token counts sum to ceil(total bytes / 4). */
function tokenDeltas(parts: string[], make: (p: string) => Json): PlannedDelta[] {
  let bytes = 0;
  let counted = 0;
  return parts.map((p) => {
    bytes += Buffer.byteLength(p);
    const now = Math.ceil(bytes / 4);
    const d = { delta: make(p), tokens: now - counted };
    counted = now;
    return d;
  });
}

function fillInput(rng: Rng, schema: unknown): Json {
  const props = (schema as { properties?: Record<string, { type?: string }> } | undefined)?.properties ?? { query: { type: 'string' } };
  const out: Json = {};
  for (const [k, v] of Object.entries(props)) {
    if (v?.type === 'number' || v?.type === 'integer') out[k] = randInt(rng, 1, 100);
    else if (v?.type === 'boolean') out[k] = rng() < 0.5;
    else out[k] = `${SIGNATURE_TEXT} ${WORDS[Math.floor(rng() * WORDS.length)]}`;
  }
  return out;
}

function jsonBlock(rng: Rng, type: string, id: string, name: string, input: Json): PlannedBlock {
  const json = JSON.stringify(input);
  const deltas: PlannedDelta[] = [{ delta: { type: 'input_json_delta', partial_json: '' }, tokens: 0 }];
  deltas.push(...tokenDeltas(pieces(rng, json), (p) => ({ type: 'input_json_delta', partial_json: p })));
  return { start: { type, id, name, input: {} }, deltas, final: { type, id, name, input } };
}

export interface PlanInput {
  body: Json;
  requestedModel: string;
  responseModel: string;
  cache: CacheUsage;
  scenario: Scenario;
  seed: number;
  canonicalBody: string;
  ids: IdSource;
  fast: boolean;
  geo: 'global' | 'us';
}

export function planMessage(p: PlanInput): Plan {
  const { body, scenario: sc } = p;
  const rng = makeRng('content', p.seed, p.canonicalBody, JSON.stringify(sc));
  const maxTokens = typeof body.max_tokens === 'number' ? body.max_tokens : 4096;
  let total = sc.outputTokens ?? randInt(rng, 20, 200);
  let stopReason = sc.stopReason ?? 'end_turn';
  if (total > maxTokens) {
    total = maxTokens;
    stopReason = 'max_tokens';
  }
  const tools = Array.isArray(body.tools) ? (body.tools as Json[]) : [];
  const thinkingType = (body.thinking as Json | undefined)?.type;
  const thinkingOn = thinkingType === 'enabled' || thinkingType === 'adaptive';
  const searches = sc.webSearch ?? (tools.some((t) => String(t.type ?? '').startsWith('web_search')) ? 1 : 0);
  const choice = (body.tool_choice as Json | undefined)?.type;
  const customTool = tools.find((t) => !t.type || t.type === 'custom');
  const wantTool = sc.toolUse ?? ((choice === 'any' || choice === 'tool') && customTool !== undefined);

  const blocks: PlannedBlock[] = [];
  let used = 0;
  let thinkingTokens = 0;
  if (thinkingOn) {
    const budget = Number((body.thinking as Json).budget_tokens ?? total);
    thinkingTokens = Math.max(1, Math.min(sc.thinkingTokens ?? Math.floor(total * 0.4), budget, total - 1));
    const thinking = makeText(rng, thinkingTokens);
    const signature = Buffer.from(base58(rng, 96)).toString('base64');
    const deltas = tokenDeltas(pieces(rng, thinking), (t) => ({ type: 'thinking_delta', thinking: t }));
    deltas.push({ delta: { type: 'signature_delta', signature }, tokens: 0 });
    blocks.push({ start: { type: 'thinking', thinking: '', signature: '' }, deltas, final: { type: 'thinking', thinking, signature } });
    used += thinkingTokens;
  }
  for (let i = 0; i < searches; i++) {
    const id = p.ids.toolUseId('srvtoolu');
    const b = jsonBlock(rng, 'server_tool_use', id, 'web_search', { query: `${SIGNATURE_TEXT} ${i + 1}` });
    blocks.push(b);
    used += b.deltas.reduce((a, d) => a + d.tokens, 0);
    const result = {
      type: 'web_search_tool_result',
      tool_use_id: id,
      content: [{ type: 'web_search_result', title: `Result ${i + 1}`, url: `https://example.com/${i + 1}`, encrypted_content: base58(rng, 40), page_age: null }],
    };
    blocks.push({ start: result, deltas: [], final: result });
  }
  let toolBlock: PlannedBlock | null = null;
  if (wantTool) {
    const name = typeof customTool?.name === 'string' ? customTool.name : 'get_weather';
    toolBlock = jsonBlock(rng, 'tool_use', p.ids.toolUseId(), name, fillInput(rng, customTool?.input_schema));
    used += toolBlock.deltas.reduce((a, d) => a + d.tokens, 0);
    if (!sc.stopReason && stopReason !== 'max_tokens') stopReason = 'tool_use';
  }
  // Structured outputs (`output_config.format`, or the older `output_format`): the text is JSON of the schema.
  const format = ((body.output_config as Json | undefined)?.format ?? body.output_format) as Json | undefined;
  const structured = format?.type === 'json_schema' ? JSON.stringify(fillInput(rng, format.schema)) : null;
  const textTokens = structured !== null ? Math.max(1, Math.ceil(Buffer.byteLength(structured) / 4)) : Math.max(1, total - used);
  const text = structured ?? makeText(rng, textTokens);
  const textDeltas = tokenDeltas(pieces(rng, text), (t) => ({ type: 'text_delta', text: t }));
  blocks.push({ start: { type: 'text', text: '' }, deltas: textDeltas, final: { type: 'text', text } });
  if (toolBlock) blocks.push(toolBlock);
  const outputTokens = used + textTokens;

  const c = p.cache;
  const tier = sc.serviceTier ?? 'standard';
  const startUsage: WireUsage = {
    input_tokens: c.input,
    cache_creation_input_tokens: c.write5m + c.write1h,
    cache_read_input_tokens: c.read,
    cache_creation: { ephemeral_5m_input_tokens: c.write5m, ephemeral_1h_input_tokens: c.write1h },
    output_tokens: 1,
    service_tier: tier,
    inference_geo: p.geo,
  };
  if (p.fast) startUsage.speed = 'fast';
  const finalInput = c.input + searches * (SEARCH_INPUT_TOKENS + randInt(rng, 0, 500));
  const deltaUsage: Json = {
    input_tokens: finalInput,
    cache_creation_input_tokens: c.write5m + c.write1h,
    cache_read_input_tokens: c.read,
    output_tokens: outputTokens,
    output_tokens_details: { thinking_tokens: thinkingTokens },
  };
  if (searches > 0) deltaUsage.server_tool_use = { web_search_requests: searches, web_fetch_requests: 0 };
  const finalUsage: WireUsage = {
    input_tokens: finalInput,
    cache_creation_input_tokens: c.write5m + c.write1h,
    cache_read_input_tokens: c.read,
    cache_creation: { ...startUsage.cache_creation! },
    output_tokens: outputTokens,
    output_tokens_details: { thinking_tokens: thinkingTokens },
  };
  if (searches > 0) finalUsage.server_tool_use = { web_search_requests: searches, web_fetch_requests: 0 };
  finalUsage.service_tier = tier;
  finalUsage.inference_geo = p.geo;
  if (p.fast) finalUsage.speed = 'fast';
  return { messageId: p.ids.messageId(), model: p.responseModel, blocks, stopReason, startUsage, deltaUsage, finalUsage };
}

/** The non-streaming body, keys in the order of §9.5. */
export function messageBody(plan: Plan): Json {
  return {
    model: plan.model,
    id: plan.messageId,
    type: 'message',
    role: 'assistant',
    content: plan.blocks.map((b) => b.final),
    stop_reason: plan.stopReason,
    stop_sequence: null,
    stop_details: null,
    usage: plan.finalUsage,
  };
}

/** Usage accumulated SDK-style: start usage, fields of a message_delta usage overwrite when present. */
export function accumulateUsage(start: WireUsage, delta: Json | null): WireUsage {
  const u: WireUsage = structuredClone(start);
  if (delta) for (const [k, v] of Object.entries(delta)) if (v !== undefined && v !== null) (u as unknown as Json)[k] = structuredClone(v);
  return u;
}

export { countTextTokens };

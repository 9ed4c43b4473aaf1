/**
 * Deterministic tokenizer and prompt rendering (§9.4). A block costs ceil(UTF-8 bytes / 4) tokens of
 * its text (text blocks) or of its JSON without `cache_control` (everything else); each message adds
 * MESSAGE_OVERHEAD tokens, and a request with tools adds TOOLS_OVERHEAD for the tool-use system prompt.
 * Render order is tools → system → messages; blocks with `cache_control` are breakpoints.
 */
import { createHash } from 'node:crypto';

export const MESSAGE_OVERHEAD = 3;
export const TOOLS_OVERHEAD = 346;

export type Ttl = '5m' | '1h';

export interface PromptBlock {
  tokens: number;
  /** Running sha256 over the canonical bytes of every block up to and including this one. */
  prefixHash: string;
  /** Tokens from the start of the prompt through this block. */
  prefixTokens: number;
  breakpoint: Ttl | null;
}

export interface RenderedPrompt {
  blocks: PromptBlock[];
  total: number;
  breakpoints: number;
}

export function countTextTokens(text: string): number {
  return Math.ceil(Buffer.byteLength(text, 'utf8') / 4);
}

type Json = Record<string, unknown>;

function isObj(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function ttlOf(block: unknown): Ttl | null {
  if (!isObj(block) || !isObj(block.cache_control)) return null;
  return block.cache_control.ttl === '1h' ? '1h' : '5m';
}

function withoutCacheControl(block: unknown): unknown {
  if (!isObj(block) || !('cache_control' in block)) return block;
  const { cache_control: _cc, ...rest } = block;
  return rest;
}

function blockText(block: unknown): string {
  if (typeof block === 'string') return block;
  if (isObj(block) && block.type === 'text' && typeof block.text === 'string') return block.text;
  return JSON.stringify(withoutCacheControl(block)) ?? '';
}

interface RawBlock {
  canonical: string;
  tokens: number;
  ttl: Ttl | null;
}

function raw(block: unknown, extraTokens = 0, tag = ''): RawBlock {
  return {
    canonical: tag + JSON.stringify(withoutCacheControl(block)),
    tokens: countTextTokens(blockText(block)) + extraTokens,
    ttl: ttlOf(block),
  };
}

/** Render a Messages request body into token-counted blocks with running prefix hashes. */
export function renderPrompt(body: Json): RenderedPrompt {
  const raws: RawBlock[] = [];
  if (Array.isArray(body.tools) && body.tools.length > 0) {
    raws.push({ canonical: '<tools-system>', tokens: TOOLS_OVERHEAD, ttl: null });
    for (const tool of body.tools) raws.push(raw(tool));
  }
  if (typeof body.system === 'string') raws.push(raw({ type: 'text', text: body.system }, 0, 'system:'));
  else if (Array.isArray(body.system)) for (const b of body.system) raws.push(raw(b, 0, 'system:'));
  const messages = Array.isArray(body.messages) ? body.messages : [];
  for (const msg of messages) {
    if (!isObj(msg)) continue;
    const role = String(msg.role);
    const content = typeof msg.content === 'string' ? [{ type: 'text', text: msg.content }] : Array.isArray(msg.content) ? msg.content : [];
    if (content.length === 0) raws.push({ canonical: `${role}:[]`, tokens: MESSAGE_OVERHEAD, ttl: null });
    content.forEach((b: unknown, i: number) => raws.push(raw(b, i === 0 ? MESSAGE_OVERHEAD : 0, i === 0 ? `${role}:` : '')));
  }
  if (isObj(body.cache_control) && raws.length > 0) {
    // Automatic caching: the last cacheable block becomes a breakpoint.
    const last = raws[raws.length - 1]!;
    if (!last.ttl) last.ttl = body.cache_control.ttl === '1h' ? '1h' : '5m';
  }
  const blocks: PromptBlock[] = [];
  let hash = '';
  let total = 0;
  let breakpoints = 0;
  for (const r of raws) {
    hash = createHash('sha256').update(hash).update(r.canonical).digest('hex');
    total += r.tokens;
    if (r.ttl) breakpoints++;
    blocks.push({ tokens: r.tokens, prefixHash: hash, prefixTokens: total, breakpoint: r.ttl });
  }
  return { blocks, total, breakpoints };
}

/** Number of `cache_control` markers in the body (tools, system, message blocks, top level). */
export function countCacheControls(body: Json): number {
  let n = isObj(body.cache_control) ? 1 : 0;
  const scan = (list: unknown): void => {
    if (Array.isArray(list)) for (const b of list) if (isObj(b) && isObj(b.cache_control)) n++;
  };
  scan(body.tools);
  scan(body.system);
  if (Array.isArray(body.messages)) for (const msg of body.messages) if (isObj(msg)) scan(msg.content);
  return n;
}

/** True when a 1h breakpoint follows a 5m one (the API requires 1h entries first). */
export function ttlOrderViolated(prompt: RenderedPrompt): boolean {
  let seen5m = false;
  for (const b of prompt.blocks) {
    if (b.breakpoint === '5m') seen5m = true;
    if (b.breakpoint === '1h' && seen5m) return true;
  }
  return false;
}

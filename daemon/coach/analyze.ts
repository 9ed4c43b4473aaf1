/**
 * The prompt-cache coach's arithmetic, pure: stored records in, figures out. Every dollar comes from the one
 * price table through `Pricer.cost` (the same engine that booked the records): a figure is the difference
 * between the record's usage priced as it was and the same usage priced as it would have been, so tiers,
 * fast mode and rounding are those of the real bill.
 *
 * Model of the prompt cache (as the Anthropic API documents prompt caching): entries live per prefix; a 5m write lives 5 minutes, a 1h write an
 * hour, and every read refreshes it. CCO sees no prefixes, only each request's token categories, so the coach
 * follows each session and model as one sequence of turns (request start times).
 */
import type { AnthropicUsage, CacheBuster, CoachFigures, RequestRecord, TtlAdvice } from '../../shared/contract.ts';
import type { CostResult, Pricer } from '../pricing/index.ts';

export const TTL_5M = 5 * 60_000;
export const TTL_1H = 60 * 60_000;
/** Turns in a row that write without reading before a session counts as a cache buster. */
export const BUSTER_MIN_TURNS = 3;
const MAX_IDS = 50;
const NONE = '(none)';

interface Tok {
  input: number;
  w5: number;
  w1: number;
  read: number;
  output: number;
}

const tokOf = (r: RequestRecord): Tok => ({ input: r.tokens.input, w5: r.tokens.cacheWrite5m, w1: r.tokens.cacheWrite1h, read: r.tokens.cacheRead, output: r.tokens.output });

export function usageOf(t: Tok, r: Pick<RequestRecord, 'serviceTier' | 'speed' | 'inferenceGeo'>): AnthropicUsage {
  return {
    input_tokens: t.input,
    cache_creation_input_tokens: t.w5 + t.w1,
    cache_read_input_tokens: t.read,
    cache_creation: { ephemeral_5m_input_tokens: t.w5, ephemeral_1h_input_tokens: t.w1 },
    output_tokens: t.output,
    ...(r.serviceTier && { service_tier: r.serviceTier }),
    ...(r.speed && { speed: r.speed }),
    ...(r.inferenceGeo && { inference_geo: r.inferenceGeo }),
  };
}

export const modelOf = (r: RequestRecord): string => r.model ?? r.modelRequested ?? NONE;

/** The records the coach looks at: billable, priced, from the upstream (not response-cache hits). */
export function coachable(r: RequestRecord): boolean {
  return r.billable && !r.cacheHit && r.costNanoUsd !== null;
}

export function emptyFigures(): CoachFigures {
  return {
    requests: 0, tokens: { input: 0, cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: 0 }, hitRatio: 0, costNanoUsd: 0, savedNanoUsd: 0,
    writeNanoUsd: 0, wastedNanoUsd: 0, wasted5mNanoUsd: 0, wasted1hNanoUsd: 0, unreadWriteTokens: 0, wastedRequestIds: [],
  };
}

/** One request's part of the figures: `unread5m`/`unread1h` = its write tokens never read before expiry. */
export interface RequestPart {
  record: RequestRecord;
  writeNanoUsd: number;
  wasted5m: number;
  wasted1h: number;
  unreadTokens: number;
}

export class Pricing {
  constructor(private readonly pricer: Pricer) {}
  /** The record's usage with these tokens, priced at its time and model (null when the table cannot). */
  cost(r: RequestRecord, t: Tok): Extract<CostResult, { priced: true }> | null {
    const res = this.pricer.cost(usageOf(t, r), modelOf(r), r.startedAt);
    return res.priced ? res : null;
  }
}

/**
 * Unread writes per request: a write counts as read when a later turn of the same session and model reads
 * the cache within its TTL (5 min for 5m, 1 h for 1h) of the write. Turns are `seq` in time order; writes
 * whose TTL has not run out by `now` are not judged (they may still be read).
 */
export function partsOf(seq: readonly RequestRecord[], pricing: Pricing, now: number): RequestPart[] {
  const out: RequestPart[] = [];
  for (let i = 0; i < seq.length; i++) {
    const r = seq[i]!;
    const t = tokOf(r);
    const actual = pricing.cost(r, t);
    const part: RequestPart = { record: r, writeNanoUsd: actual ? actual.breakdown.cacheWrite5m + actual.breakdown.cacheWrite1h : 0, wasted5m: 0, wasted1h: 0, unreadTokens: 0 };
    const readWithin = (ttl: number) => {
      for (let j = i + 1; j < seq.length && seq[j]!.startedAt - r.startedAt <= ttl; j++) if (seq[j]!.tokens.cacheRead > 0) return true;
      return false;
    };
    if (actual && t.w5 > 0 && r.startedAt + TTL_5M <= now && !readWithin(TTL_5M)) {
      const asInput = pricing.cost(r, { ...t, w5: 0, input: t.input + t.w5 });
      if (asInput) part.wasted5m = actual.nanoUsd - asInput.nanoUsd;
      part.unreadTokens += t.w5;
    }
    if (actual && t.w1 > 0 && r.startedAt + TTL_1H <= now && !readWithin(TTL_1H)) {
      const asInput = pricing.cost(r, { ...t, w1: 0, input: t.input + t.w1 });
      if (asInput) part.wasted1h = actual.nanoUsd - asInput.nanoUsd;
      part.unreadTokens += t.w1;
    }
    out.push(part);
  }
  return out;
}

export function addPart(f: CoachFigures, p: RequestPart): void {
  const r = p.record;
  f.requests++;
  f.tokens.input += r.tokens.input;
  f.tokens.cacheWrite5m += r.tokens.cacheWrite5m;
  f.tokens.cacheWrite1h += r.tokens.cacheWrite1h;
  f.tokens.cacheRead += r.tokens.cacheRead;
  f.costNanoUsd += r.costNanoUsd ?? 0;
  f.savedNanoUsd += r.cacheSavingsNanoUsd;
  f.writeNanoUsd += p.writeNanoUsd;
  f.wasted5mNanoUsd += p.wasted5m;
  f.wasted1hNanoUsd += p.wasted1h;
  f.wastedNanoUsd = f.wasted5mNanoUsd + f.wasted1hNanoUsd;
  f.unreadWriteTokens += p.unreadTokens;
  if (p.unreadTokens > 0) {
    f.wastedRequestIds.push(r.id);
    if (f.wastedRequestIds.length > MAX_IDS) f.wastedRequestIds.shift();
  }
  const t = f.tokens;
  const all = t.cacheRead + t.input + t.cacheWrite5m + t.cacheWrite1h;
  f.hitRatio = all === 0 ? 0 : t.cacheRead / all;
}

const writes = (r: RequestRecord) => r.tokens.cacheWrite5m + r.tokens.cacheWrite1h;
const minutes = (ms: number) => `${Math.round(ms / 60_000)} min`;

/**
 * Runs of ≥ BUSTER_MIN_TURNS turns (same session and model) that each wrote and none read. The cause, first
 * that the data shows: the model changed just before the run (`session` = every model's turns, to see it);
 * most gaps inside the run exceed the TTL of the writes (the cache expired between turns); else the prefix
 * itself changes on every call (a system block or tools that differ from turn to turn).
 */
export function findBusters(seq: readonly RequestRecord[], session: readonly RequestRecord[], parts: ReadonlyMap<string, RequestPart>): CacheBuster[] {
  const out: CacheBuster[] = [];
  let run: RequestRecord[] = [];
  const close = () => {
    if (run.length >= BUSTER_MIN_TURNS) out.push(describeRun(run, session, parts));
    run = [];
  };
  for (const r of seq) {
    if (writes(r) > 0 && r.tokens.cacheRead === 0) run.push(r);
    else close();
  }
  close();
  return out;
}

function describeRun(run: RequestRecord[], session: readonly RequestRecord[], parts: ReadonlyMap<string, RequestPart>): CacheBuster {
  const first = run[0]!;
  const model = modelOf(first);
  const before = session.filter((r) => r.startedAt < first.startedAt).at(-1);
  const gaps = run.slice(1).map((r, i) => ({ gap: r.startedAt - run[i]!.startedAt, ttl: run[i]!.tokens.cacheWrite1h > run[i]!.tokens.cacheWrite5m ? TTL_1H : TTL_5M }));
  const expired = gaps.filter((g) => g.gap > g.ttl).length;
  const avgWrite = Math.round(run.reduce((s, r) => s + writes(r), 0) / run.length);
  const sizes = run.map(writes);
  const [lo, hi] = [Math.min(...sizes), Math.max(...sizes)];
  const fmt = (x: number) => x.toLocaleString('en-US');
  let cause: CacheBuster['cause'];
  let detail: string;
  if (before && modelOf(before) !== model) {
    cause = 'model-switch';
    detail = `the session switched from ${modelOf(before)} to ${model} just before: the cache is per model, so the new model starts an empty one, and it was never read after`;
  } else if (gaps.length > 0 && expired * 2 > gaps.length) {
    const median = gaps.map((g) => g.gap).sort((a, b) => a - b)[Math.floor(gaps.length / 2)]!;
    cause = 'ttl-expiry';
    detail = `${expired} of ${gaps.length} gaps between turns were longer than the writes' TTL (median gap ${minutes(median)}): the cache expired before each next turn`;
  } else {
    cause = 'prefix-changes';
    const varying = hi > lo ? `, from ${fmt(lo)} to ${fmt(hi)}: the cached block's size changes between calls` : '';
    detail = `each turn rewrote its whole cached prefix (${fmt(avgWrite)} tokens on average${varying}) within the TTL of the last: something at the start of the prompt (system block, tools, their order) changes on every call`;
  }
  return {
    sessionId: first.sessionId ?? NONE,
    project: first.project,
    model,
    startedAt: first.startedAt,
    turns: run.length,
    writeNanoUsd: run.reduce((s, r) => s + (parts.get(r.id)?.writeNanoUsd ?? 0), 0),
    cause,
    detail,
    requestIds: run.slice(0, MAX_IDS).map((r) => r.id),
  };
}

/**
 * 5m against 1h for one session and model: the turns replayed with every write at one TTL. A turn reads what
 * the previous turn left cached (up to its own cacheable tokens = reads + writes) when the gap since that turn
 * is within the TTL, and writes the rest; input and output stay as they were. Assumes the cached prefix of a
 * turn extends the previous one's (as in a conversation).
 */
export function ttlAdvice(seq: readonly RequestRecord[], pricing: Pricing): TtlAdvice | null {
  const turns = seq.filter((r) => writes(r) + r.tokens.cacheRead > 0);
  if (turns.length < 2) return null;
  const simulate = (ttl: number): number | null => {
    let total = 0;
    let prev: RequestRecord | null = null;
    for (const r of turns) {
      const cacheable = writes(r) + r.tokens.cacheRead;
      const alive = prev !== null && r.startedAt - prev.startedAt <= ttl;
      const read = alive ? Math.min(writes(prev!) + prev!.tokens.cacheRead, cacheable) : 0;
      const w = cacheable - read;
      const c = pricing.cost(r, { input: r.tokens.input, output: r.tokens.output, read, w5: ttl === TTL_5M ? w : 0, w1: ttl === TTL_1H ? w : 0 });
      if (!c) return null;
      total += c.nanoUsd;
      prev = r;
    }
    return total;
  };
  const cost5m = simulate(TTL_5M);
  const cost1h = simulate(TTL_1H);
  if (cost5m === null || cost1h === null) return null;
  const w5 = turns.reduce((s, r) => s + r.tokens.cacheWrite5m, 0);
  const w1 = turns.reduce((s, r) => s + r.tokens.cacheWrite1h, 0);
  const current: '5m' | '1h' = w1 > w5 ? '1h' : '5m';
  const [mine, other] = current === '5m' ? [cost5m, cost1h] : [cost1h, cost5m];
  const gaps = { under5m: 0, under1h: 0, over1h: 0 };
  const middle: string[] = [];
  for (let i = 1; i < turns.length; i++) {
    const gap = turns[i]!.startedAt - turns[i - 1]!.startedAt;
    if (gap <= TTL_5M) gaps.under5m++;
    else if (gap <= TTL_1H) {
      gaps.under1h++;
      if (middle.length < MAX_IDS) middle.push(turns[i]!.id);
    } else gaps.over1h++;
  }
  const first = turns[0]!;
  return {
    sessionId: first.sessionId ?? NONE,
    project: first.project,
    model: modelOf(first),
    turns: turns.length,
    current,
    cost5mNanoUsd: cost5m,
    cost1hNanoUsd: cost1h,
    switchTo: other < mine ? (current === '5m' ? '1h' : '5m') : null,
    savingNanoUsd: other < mine ? mine - other : 0,
    gaps,
    requestIds: middle,
  };
}

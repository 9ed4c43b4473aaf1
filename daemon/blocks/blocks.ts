/**
 * Claude Code's 5-hour usage blocks, as ccusage computes them (pure; table-tested in blocks.test.ts).
 * Requests sorted by time: a block starts at the UTC hour of its first request and lasts 5 h; a request
 * more than 5 h after the block's start or more than 5 h after the previous request opens the next block.
 * A block is active while now is before its end and its last request is less than 5 h old.
 * Burn rate = tokens (all categories) per minute and cost per hour between the block's first and last
 * request; the projection adds that rate until the block's end.
 */
import type { RequestRecord, TokenCounts, UsageBlock } from '../../shared/contract.ts';

export const BLOCK_MS = 5 * 3_600_000;
const HOUR_MS = 3_600_000;

/** What a block needs of a request. */
export interface BlockEntry {
  t: number; // epoch ms (the request's start)
  tokens: TokenCounts;
  /** null = unpriced. */
  costNanoUsd: number | null;
  model: string | null;
}

/** A stored request as a block entry (the model the response named, else the one requested). */
export const blockEntry = (r: RequestRecord): BlockEntry => ({ t: r.startedAt, tokens: r.tokens, costNanoUsd: r.costNanoUsd, model: r.model ?? r.modelRequested });

export const floorHour = (t: number) => Math.floor(t / HOUR_MS) * HOUR_MS;
const totalOf = (t: TokenCounts) => t.input + t.cacheWrite5m + t.cacheWrite1h + t.cacheRead + t.output;

/** A block being filled; `finish` turns it into a UsageBlock. */
class OpenBlock {
  readonly start: number;
  firstAt: number;
  lastAt: number;
  requests = 0;
  cost = 0;
  unpriced = 0;
  tokens: TokenCounts = { input: 0, cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: 0, output: 0 };
  models = new Set<string>();
  constructor(e: BlockEntry) {
    this.start = floorHour(e.t);
    this.firstAt = e.t;
    this.lastAt = e.t;
  }
  /** Continues a block read from the API (the live views fold new records into it). */
  static from(b: UsageBlock): OpenBlock {
    const o = new OpenBlock({ t: b.firstAt, tokens: b.tokens, costNanoUsd: 0, model: null });
    Object.assign(o, { start: b.start, lastAt: b.lastAt, requests: b.requests, cost: b.costNanoUsd, unpriced: b.unpricedRequests, tokens: { ...b.tokens }, models: new Set(b.models) });
    return o;
  }
  add(e: BlockEntry): void {
    this.requests++;
    if (e.costNanoUsd === null) this.unpriced++;
    else this.cost += e.costNanoUsd;
    for (const k of Object.keys(this.tokens) as (keyof TokenCounts)[]) this.tokens[k] += e.tokens[k];
    if (e.model) this.models.add(e.model);
    this.firstAt = Math.min(this.firstAt, e.t);
    this.lastAt = Math.max(this.lastAt, e.t);
  }
  /** ccusage's rule for whether `e` opens a new block. */
  ends(e: BlockEntry): boolean {
    return e.t - this.start > BLOCK_MS || e.t - this.lastAt > BLOCK_MS;
  }
  finish(now: number): UsageBlock {
    const end = this.start + BLOCK_MS;
    const totalTokens = totalOf(this.tokens);
    const active = now < end && now - this.lastAt < BLOCK_MS;
    const minutes = (this.lastAt - this.firstAt) / 60_000;
    const burn = minutes > 0 ? { tokensPerMinute: totalTokens / minutes, costNanoUsdPerHour: Math.round((this.cost / minutes) * 60) } : null;
    const remaining = Math.max(0, (end - now) / 60_000);
    const projection =
      active && burn
        ? { costNanoUsd: this.cost + Math.round((burn.costNanoUsdPerHour / 60) * remaining), totalTokens: Math.round(totalTokens + burn.tokensPerMinute * remaining) }
        : active
          ? { costNanoUsd: this.cost, totalTokens }
          : null;
    return {
      start: this.start,
      end,
      firstAt: this.firstAt,
      lastAt: this.lastAt,
      active,
      requests: this.requests,
      costNanoUsd: this.cost,
      unpricedRequests: this.unpriced,
      tokens: { ...this.tokens },
      totalTokens,
      models: [...this.models].sort(),
      burn,
      projection,
    };
  }
}

/**
 * Folds requests into blocks incrementally: `add` in time order (a request slightly out of order joins
 * the current block), `blocks(now)` at any time. The live views keep one and feed it each new record.
 */
export class BlockBuilder {
  private readonly done: UsageBlock[] = [];
  private readonly closed: OpenBlock[] = [];
  private current: OpenBlock | null = null;

  /** A builder whose current block is `last` (from GET /api/blocks), or empty. */
  static resume(last: UsageBlock | null | undefined): BlockBuilder {
    const b = new BlockBuilder();
    if (last) b.current = OpenBlock.from(last);
    return b;
  }

  add(e: BlockEntry): void {
    if (this.current && e.t >= this.current.start && !this.current.ends(e)) {
      this.current.add(e);
      return;
    }
    if (this.current && e.t < this.current.start) {
      // Older than the current block (a long request that finished late): it belongs to its own time,
      // which only a full rebuild places exactly; keep its figures in the current block.
      this.current.add(e);
      return;
    }
    if (this.current) this.closed.push(this.current);
    this.current = new OpenBlock(e);
    this.current.add(e);
  }

  /** Every block, oldest first, as of `now`. */
  blocks(now: number): UsageBlock[] {
    while (this.closed.length) this.done.push(this.closed.shift()!.finish(now));
    return this.current ? [...this.done, this.current.finish(now)] : [...this.done];
  }

  /** The running block as of `now`, or null. */
  active(now: number): UsageBlock | null {
    const b = this.current?.finish(now);
    return b?.active ? b : null;
  }
}

/** Blocks of `entries` (any order) as of `now`. */
export function buildBlocks(entries: BlockEntry[], now: number): UsageBlock[] {
  const b = new BlockBuilder();
  for (const e of [...entries].sort((x, y) => x.t - y.t)) b.add(e);
  return b.blocks(now);
}

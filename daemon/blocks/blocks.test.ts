import { describe, expect, it } from 'vitest';
import { BLOCK_MS, BlockBuilder, buildBlocks, floorHour, type BlockEntry } from './blocks.ts';

const H = 3_600_000;
const M = 60_000;
const T0 = Date.UTC(2026, 11, 1, 9, 0, 0); // 09:00 UTC
const tokens = (n: number) => ({ input: n, cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: 0, output: n });
const at = (offsetMs: number, cost: number | null = 1_000_000, model = 'claude-sonnet-4-5'): BlockEntry => ({ t: T0 + offsetMs, tokens: tokens(100), costNanoUsd: cost, model });

/** Generated traffic with known windows: [request offsets] → expected [block start offset, request count]. */
const TABLE: { name: string; offsets: number[]; blocks: [number, number][] }[] = [
  { name: 'one request: one block at its hour', offsets: [17 * M], blocks: [[0, 1]] },
  { name: 'requests within 5 h of the hour share a block', offsets: [17 * M, 2 * H, 4 * H + 59 * M, 5 * H], blocks: [[0, 4]] },
  { name: 'a request past start + 5 h opens the next block at its own hour', offsets: [17 * M, 4 * H, 5 * H + 1, 5 * H + 30 * M], blocks: [[0, 2], [5 * H, 2]] },
  { name: 'steady traffic every 20 min for 12 h: 09:00 (start + 5 h included), 14:00, 19:00', offsets: Array.from({ length: 36 }, (_, i) => i * 20 * M), blocks: [[0, 16], [5 * H, 15], [10 * H, 5]] },
  { name: 'a gap over 5 h starts a new block even inside the window arithmetic', offsets: [50 * M, 6 * H + 10 * M, 6 * H + 20 * M], blocks: [[0, 1], [6 * H, 2]] },
  { name: 'a gap of exactly 5 h does not', offsets: [0, 5 * H], blocks: [[0, 2]] },
  { name: 'days apart: each its own block', offsets: [10 * M, 26 * H + 45 * M, 50 * H], blocks: [[0, 1], [26 * H, 1], [50 * H, 1]] },
];

describe('5-hour blocks (ccusage rules)', () => {
  for (const row of TABLE) {
    it(row.name, () => {
      // Any input order gives the same blocks.
      const entries = row.offsets.map((o) => at(o)).reverse();
      const blocks = buildBlocks(entries, T0 + 1000 * H);
      expect(blocks.map((b) => [b.start - T0, b.requests])).toEqual(row.blocks);
      for (const b of blocks) {
        expect(b.end - b.start).toBe(BLOCK_MS);
        expect(b.start).toBe(floorHour(b.firstAt));
        expect(b.active).toBe(false);
        expect(b.projection).toBeNull();
      }
      expect(blocks.reduce((a, b) => a + b.requests, 0)).toBe(row.offsets.length);
    });
  }

  it('sums cost, unpriced, tokens and models per block', () => {
    const [b] = buildBlocks([at(0, 2_000_000, 'claude-opus-4-1'), at(10 * M, null), at(20 * M, 3_000_000)], T0 + 100 * H);
    expect(b).toMatchObject({ requests: 3, costNanoUsd: 5_000_000, unpricedRequests: 1, totalTokens: 600, models: ['claude-opus-4-1', 'claude-sonnet-4-5'] });
    expect(b!.tokens).toEqual({ input: 300, cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: 0, output: 300 });
  });

  it('the active block: burn rate over first → last request, projection to its end', () => {
    // 09:00 block; requests at 09:10 and 10:10 ($1 each, 200 tokens each); now 10:30.
    const now = T0 + H + 30 * M;
    const blocks = buildBlocks([at(10 * M, 1_000_000_000), at(H + 10 * M, 1_000_000_000)], now);
    expect(blocks).toHaveLength(1);
    const b = blocks[0]!;
    expect(b.active).toBe(true);
    // 60 minutes between first and last: $2/h, 400 tokens / 60 min.
    expect(b.burn).toEqual({ tokensPerMinute: 400 / 60, costNanoUsdPerHour: 2_000_000_000 });
    // 14:00 end is 3 h 30 min away: + $7, + 1,400 tokens.
    expect(b.projection).toEqual({ costNanoUsd: 9_000_000_000, totalTokens: 1800 });
    // Past its end, or 5 h after the last request, it is over.
    expect(buildBlocks([at(10 * M)], T0 + 5 * H).at(0)!.active).toBe(false);
    expect(buildBlocks([at(10 * M)], T0 + 4 * H).at(0)!.active).toBe(true);
    // One request: no burn rate, the projection is what it cost.
    expect(buildBlocks([at(10 * M)], T0 + H).at(0)).toMatchObject({ burn: null, projection: { costNanoUsd: 1_000_000, totalTokens: 200 } });
  });

  it('the incremental builder (live views) gives the same blocks as a rebuild', () => {
    const offsets = Array.from({ length: 200 }, (_, i) => Math.floor(i * 17.3 * M + (i % 9) * 7 * H * (i % 23 === 0 ? 1 : 0)));
    offsets.sort((a, b) => a - b);
    const b = new BlockBuilder();
    const now = T0 + offsets.at(-1)! + M;
    for (const o of offsets) b.add(at(o));
    expect(b.blocks(now)).toEqual(buildBlocks(offsets.map((o) => at(o)), now));
    expect(b.active(now)).toEqual(b.blocks(now).at(-1));
    // A request that finished late (started before the current block) is kept in the current block's figures.
    b.add(at(offsets.at(-1)! - 6 * H));
    expect(b.active(now)!.requests).toBe(b.blocks(now).at(-1)!.requests);
  });

  it('resumes from a block read from the API: folding more records gives what a rebuild gives', () => {
    const first = [at(5 * M), at(40 * M, null), at(70 * M, 2_000_000, 'claude-opus-4-1')];
    const more = [at(2 * H), at(4 * H + 30 * M), at(6 * H)];
    const now = T0 + 6 * H + M;
    const resumed = BlockBuilder.resume(buildBlocks(first, T0 + 80 * M).at(-1));
    for (const e of more) resumed.add(e);
    expect(resumed.blocks(now)).toEqual(buildBlocks([...first, ...more], now));
    expect(BlockBuilder.resume(null).blocks(now)).toEqual([]);
  });
});

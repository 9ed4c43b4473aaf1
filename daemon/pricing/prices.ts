/**
 * The price table: one entry per model, prices in USD per million tokens as exact decimal strings.
 * Source: Anthropic's published model pricing (compiled 2026-11-22). Shape is plain JSON so a user
 * pricing.json uses the same fields (see overrides.ts). Bump TABLE_VERSION on every data change.
 *
 * Rules the data encodes:
 * - 5m write = 1.25× input, 1h write = 2× input, cache read = 0.1× input, except Fable 5.1/5.2 and
 *   Mythos 5.1 (0.025×), Opus 5.5 and Sonnet 5.5 (0.05×, Sonnet 5.5 from 2026-10-07). Haiku 3 is the
 *   historical odd one out (0.30 / 0.50 / 0.03 on 0.25).
 * - `changes`: effective-dated price changes; a change applies to requests at or after `from` (UTC).
 * - `tiers`: prompt-size bands that re-price the WHOLE request (every category, output included) when
 *   prompt = input + cache writes + cache reads is strictly above `promptAbove`.
 * - `fast`: fast-mode multiplier on every token category (cache multipliers on top), with optional
 *   validity window. No entry → no known fast price → a fast request is unpriced.
 * - `usGeo`: `inference_geo: "us"` costs 1.1× on every token category (Opus/Sonnet 4.6+).
 */

export type ModelFamily = 'opus' | 'sonnet' | 'haiku' | 'fable' | 'mythos' | 'other';

/** USD per million tokens, exact decimal strings. */
export interface PriceSetUsd {
  input: string;
  write5m: string;
  write1h: string;
  cacheRead: string;
  output: string;
}

export interface PriceChange {
  from: string; // ISO instant, inclusive
  prices: Partial<PriceSetUsd>;
  note?: string;
}

export interface FastRule {
  multiplier: string; // decimal, applied to every token category
  from?: string; // ISO instant, inclusive
  until?: string; // ISO instant, exclusive
}

export interface TierRule {
  kind: 'prompt-band' | 'long-context';
  promptAbove: number; // applies when prompt tokens > promptAbove
  requiresContext1m: boolean; // only with the context-1m beta (header or `[1m]` model suffix)
  prices: PriceSetUsd;
  note?: string;
}

export interface ModelPriceEntry {
  key: string; // canonical id
  name: string;
  family: ModelFamily;
  ids: string[]; // API ids (dated and undated)
  aliases: string[]; // `-latest` and other accepted names
  prices: PriceSetUsd;
  changes?: PriceChange[];
  fast?: FastRule[];
  usGeo: boolean;
  tiers?: TierRule[];
  status: string;
  notes?: string;
}

export interface PriceTable {
  version: string;
  asOf: string; // YYYY-MM-DD
  webSearchPer1000: string; // USD per 1,000 web searches
  models: ModelPriceEntry[];
}

export const TABLE_VERSION = '2026-11-22.1';

const p = (input: string, write5m: string, write1h: string, cacheRead: string, output: string): PriceSetUsd => ({
  input,
  write5m,
  write1h,
  cacheRead,
  output,
});

/** Legacy long-context tier for Sonnet 4 / 4.5: 2× input, 1.5× output, cache multipliers on top. */
const SONNET_LONG_CONTEXT: TierRule = {
  kind: 'long-context',
  promptAbove: 200_000,
  requiresContext1m: true,
  prices: p('6', '7.5', '12', '0.6', '22.5'),
  note: 'context-1m beta, prompt > 200K: whole request at 2× input / 1.5× output',
};

export const PRICE_TABLE: PriceTable = {
  version: TABLE_VERSION,
  asOf: '2026-11-22',
  webSearchPer1000: '10',
  models: [
    {
      key: 'claude-fable-5-2', name: 'Fable 5.2', family: 'fable',
      ids: ['claude-fable-5-2'], aliases: [],
      prices: p('8', '10', '16', '0.2', '40'), usGeo: false, status: 'current (2026-11-09)',
      notes: 'single third-party source; 1h write derived (2× input). Supports fast mode, price unknown.',
    },
    {
      key: 'claude-fable-5-1', name: 'Fable 5.1', family: 'fable',
      ids: ['claude-fable-5-1'], aliases: [],
      prices: p('10', '12.5', '20', '0.25', '50'), usGeo: false, status: 'released 2026-09-01',
    },
    {
      key: 'claude-mythos-5-1', name: 'Mythos 5.1', family: 'mythos',
      ids: ['claude-mythos-5-1'], aliases: [],
      prices: p('10', '12.5', '20', '0.25', '50'), usGeo: false, status: 'limited (invite-only)',
    },
    {
      key: 'claude-fable-5', name: 'Fable 5', family: 'fable',
      ids: ['claude-fable-5'], aliases: [],
      prices: p('10', '12.5', '20', '1', '50'), usGeo: false, status: 'legacy (2026-06-09)',
      notes: 'thinking always on (billed as output)',
    },
    {
      key: 'claude-mythos-5', name: 'Mythos 5', family: 'mythos',
      ids: ['claude-mythos-5'], aliases: ['claude-mythos-preview'],
      prices: p('10', '12.5', '20', '1', '50'), usGeo: false, status: 'limited',
    },
    {
      key: 'claude-opus-5-5', name: 'Opus 5.5', family: 'opus',
      ids: ['claude-opus-5-5'], aliases: [],
      prices: p('4', '5', '8', '0.2', '20'), fast: [{ multiplier: '2' }], usGeo: true,
      status: 'current (~2026-09-22)', notes: 'fast $8/$40',
    },
    {
      key: 'claude-opus-5', name: 'Opus 5', family: 'opus',
      ids: ['claude-opus-5'], aliases: [],
      prices: p('5', '6.25', '10', '0.5', '25'), fast: [{ multiplier: '2' }], usGeo: true,
      status: 'legacy (2026-07-24)', notes: 'fast $10/$50',
    },
    {
      key: 'claude-opus-4-8', name: 'Opus 4.8', family: 'opus',
      ids: ['claude-opus-4-8'], aliases: [],
      prices: p('5', '6.25', '10', '0.5', '25'),
      fast: [{ multiplier: '2', until: '2026-11-30T00:00:00Z' }], usGeo: true,
      status: 'available', notes: 'fast $10/$50, fast mode removed 2026-11-30',
    },
    {
      key: 'claude-opus-4-7', name: 'Opus 4.7', family: 'opus',
      ids: ['claude-opus-4-7'], aliases: [],
      prices: p('5', '6.25', '10', '0.5', '25'), usGeo: true,
      status: 'available', notes: 'fast mode removed 2026-07-24; its fast price is not known (fast → unpriced)',
    },
    {
      key: 'claude-opus-4-6', name: 'Opus 4.6', family: 'opus',
      ids: ['claude-opus-4-6'], aliases: [],
      prices: p('5', '6.25', '10', '0.5', '25'), fast: [{ multiplier: '6' }], usGeo: true,
      status: 'released 2026-02-05', notes: 'fast $30/$150 (Feb 2026)',
    },
    {
      key: 'claude-opus-4-5', name: 'Opus 4.5', family: 'opus',
      ids: ['claude-opus-4-5', 'claude-opus-4-5-20251101'], aliases: [],
      prices: p('5', '6.25', '10', '0.5', '25'), usGeo: false, status: 'released 2025-11-24',
    },
    {
      key: 'claude-opus-4-1', name: 'Opus 4.1', family: 'opus',
      ids: ['claude-opus-4-1', 'claude-opus-4-1-20250805'], aliases: [],
      prices: p('15', '18.75', '30', '1.5', '75'), usGeo: false,
      status: 'retired on 1P (still on Bedrock and Google Cloud)',
    },
    {
      key: 'claude-opus-4-0', name: 'Opus 4', family: 'opus',
      ids: ['claude-opus-4-0', 'claude-opus-4-20250514'], aliases: [],
      prices: p('15', '18.75', '30', '1.5', '75'), usGeo: false, status: 'retired 2026-06-15 on 1P',
    },
    {
      key: 'claude-sonnet-5-5', name: 'Sonnet 5.5', family: 'sonnet',
      ids: ['claude-sonnet-5-5'], aliases: [],
      prices: p('2', '2.5', '4', '0.2', '10'),
      changes: [{ from: '2026-10-07T00:00:00Z', prices: { cacheRead: '0.1' }, note: 'cache read 0.1× → 0.05× input' }],
      usGeo: true, status: 'current',
    },
    {
      key: 'claude-sonnet-5', name: 'Sonnet 5', family: 'sonnet',
      ids: ['claude-sonnet-5'], aliases: [],
      prices: p('2', '2.5', '4', '0.2', '10'), usGeo: true, status: 'released 2026-06-30',
      notes: 'launched as introductory through 2026-08-31 then 3/3.75/6/0.30/15; Sep–Nov docs still list $2/$10 — verify',
    },
    {
      key: 'claude-sonnet-4-6', name: 'Sonnet 4.6', family: 'sonnet',
      ids: ['claude-sonnet-4-6'], aliases: [],
      prices: p('3', '3.75', '6', '0.3', '15'), usGeo: true, status: 'released 2026-02-17',
      notes: 'had the long-context surcharge at launch (end date unknown); now flat 1M',
    },
    {
      key: 'claude-sonnet-4-5', name: 'Sonnet 4.5', family: 'sonnet',
      ids: ['claude-sonnet-4-5', 'claude-sonnet-4-5-20250929'], aliases: [],
      prices: p('3', '3.75', '6', '0.3', '15'), tiers: [SONNET_LONG_CONTEXT], usGeo: false,
      status: 'deprecated, retires 2026-11-30',
    },
    {
      key: 'claude-sonnet-4-0', name: 'Sonnet 4', family: 'sonnet',
      ids: ['claude-sonnet-4-0', 'claude-sonnet-4-20250514'], aliases: [],
      prices: p('3', '3.75', '6', '0.3', '15'), tiers: [SONNET_LONG_CONTEXT], usGeo: false,
      status: 'retired 2026-06-15 on 1P',
    },
    {
      key: 'claude-3-7-sonnet-20250219', name: 'Sonnet 3.7', family: 'sonnet',
      ids: ['claude-3-7-sonnet-20250219'], aliases: ['claude-3-7-sonnet-latest'],
      prices: p('3', '3.75', '6', '0.3', '15'), usGeo: false, status: 'retired 2026-02-19',
    },
    {
      key: 'claude-haiku-5-5', name: 'Haiku 5.5', family: 'haiku',
      ids: ['claude-haiku-5-5'], aliases: [],
      prices: p('0.1', '0.125', '0.2', '0.01', '0.5'),
      tiers: [{
        kind: 'prompt-band', promptAbove: 100_000, requiresContext1m: false,
        prices: p('0.5', '0.625', '1', '0.05', '2.5'),
        note: 'prompt > 100K: whole request (output included) at this band',
      }],
      usGeo: false, status: 'released 2026-10-07',
    },
    {
      key: 'claude-haiku-4-5', name: 'Haiku 4.5', family: 'haiku',
      ids: ['claude-haiku-4-5', 'claude-haiku-4-5-20251001'], aliases: [],
      prices: p('1', '1.25', '2', '0.1', '5'), usGeo: false, status: 'available',
    },
    {
      key: 'claude-3-5-haiku-20241022', name: 'Haiku 3.5', family: 'haiku',
      ids: ['claude-3-5-haiku-20241022'], aliases: ['claude-3-5-haiku-latest'],
      prices: p('0.8', '1', '1.6', '0.08', '4'), usGeo: false, status: 'retired on 1P',
    },
    {
      key: 'claude-3-haiku-20240307', name: 'Haiku 3', family: 'haiku',
      ids: ['claude-3-haiku-20240307'], aliases: [],
      prices: p('0.25', '0.3', '0.5', '0.03', '1.25'), usGeo: false, status: 'historical (Feb 2026 page)',
    },
    {
      key: 'claude-3-opus-20240229', name: 'Opus 3', family: 'opus',
      ids: ['claude-3-opus-20240229'], aliases: ['claude-3-opus-latest'],
      prices: p('15', '18.75', '30', '1.5', '75'), usGeo: false, status: 'historical',
    },
  ],
};

/**
 * The schema of `<configDir>/pricing.json` (overrides.ts describes the file) and its validation. zod is
 * loaded with this module only: overrides.ts imports it when a pricing file exists.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { isDecimal } from './decimal.ts';
import type { PriceOverrides } from './overrides.ts';

const price = z.union([
  z
    .string()
    .refine((s) => isDecimal(s) && (s.split('.')[1] ?? '').length <= 9, {
      message: 'expected a non-negative decimal with at most 9 decimals, e.g. "3.75"',
    }),
  z
    .number()
    .refine((n) => Number.isFinite(n) && n >= 0 && isDecimal(String(n)) && (String(n).split('.')[1] ?? '').length <= 9, {
      message: 'expected a non-negative price with at most 9 decimals',
    })
    .transform((n) => String(n)),
]);

const instant = z.string().refine((s) => Number.isFinite(Date.parse(s)), { message: 'expected an ISO date/time' });

const priceSet = z.strictObject({ input: price, write5m: price, write1h: price, cacheRead: price, output: price });

const modelOverride = z.strictObject({
  name: z.string().min(1).optional(),
  family: z.enum(['opus', 'sonnet', 'haiku', 'fable', 'mythos', 'other']).optional(),
  ids: z.array(z.string().min(1)).optional(),
  aliases: z.array(z.string().min(1)).optional(),
  prices: priceSet.partial().optional(),
  changes: z.array(z.strictObject({ from: instant, prices: priceSet.partial(), note: z.string().optional() })).optional(),
  fast: z
    .array(z.strictObject({ multiplier: price, from: instant.optional(), until: instant.optional() }))
    .optional(),
  usGeo: z.boolean().optional(),
  tiers: z
    .array(
      z.strictObject({
        kind: z.enum(['prompt-band', 'long-context']),
        promptAbove: z.number().int().nonnegative(),
        requiresContext1m: z.boolean(),
        prices: priceSet,
        note: z.string().optional(),
      }),
    )
    .optional(),
  status: z.string().optional(),
  notes: z.string().optional(),
});

const overridesFile = z.strictObject({
  webSearchPer1000: price.optional(),
  models: z.record(z.string().min(1), modelOverride).default({}),
});

export type ModelOverride = z.infer<typeof modelOverride>;

function describePath(path: readonly PropertyKey[]): string {
  if (path[0] === 'models' && path.length >= 2) {
    const field = path.slice(2).map(String).join('.');
    return `entry "${String(path[1])}"${field ? `, field "${field}"` : ''}`;
  }
  return path.length ? `field "${path.map(String).join('.')}"` : 'top level';
}

/** Validates the text of a pricing file. Throws an Error naming the file, entry and field. */
export function parsePriceOverrides(text: string | Buffer, file: string): PriceOverrides {
  const bytes = typeof text === 'string' ? Buffer.from(text) : text;
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw new Error(`${file}: invalid JSON: ${(err as Error).message}`, { cause: err });
  }
  const parsed = overridesFile.safeParse(json);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${file}: ${describePath(i.path)}: ${i.message}`);
    throw new Error(lines.join('\n'));
  }
  const hash = createHash('sha256').update(bytes).digest('hex').slice(0, 8);
  const out: PriceOverrides = { file, hash, models: parsed.data.models };
  if (parsed.data.webSearchPer1000 !== undefined) out.webSearchPer1000 = parsed.data.webSearchPer1000;
  return out;
}


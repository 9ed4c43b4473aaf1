/**
 * Exact decimal and rational arithmetic for prices (BigInt, no floats).
 *
 * Prices are written as decimal strings in USD per million tokens ("3.75") and held as integer
 * nano-USD per million tokens (3_750_000_000n). Multipliers ("1.1", "0.5", "6") are exact ratios.
 * A cost is computed as one exact ratio per category and rounded once, half up, to a whole nano-USD.
 */

/** An exact non-negative ratio num/den (den > 0). */
export interface Ratio {
  num: bigint;
  den: bigint;
}

export const ONE: Ratio = { num: 1n, den: 1n };

const DECIMAL_RE = /^(\d+)(?:\.(\d+))?$/;

/** True for a plain non-negative decimal such as "0", "3", "0.125" (no sign, no exponent). */
export function isDecimal(value: string): boolean {
  return DECIMAL_RE.test(value);
}

/** Parses a plain non-negative decimal string into an exact ratio. Throws on anything else. */
export function parseRatio(value: string): Ratio {
  const m = DECIMAL_RE.exec(value);
  if (!m) throw new Error(`not a plain decimal: ${JSON.stringify(value)}`);
  const frac = m[2] ?? '';
  const den = 10n ** BigInt(frac.length);
  return reduce({ num: BigInt((m[1] ?? '0') + frac), den });
}

/** USD (decimal string, at most 9 decimals) → integer nano-USD. "3.75" → 3_750_000_000n. */
export function usdToNano(value: string): bigint {
  const r = parseRatio(value);
  const nano = r.num * 1_000_000_000n;
  if (nano % r.den !== 0n) throw new Error(`more than 9 decimals: ${JSON.stringify(value)}`);
  return nano / r.den;
}

/** Integer nano-USD → shortest exact USD decimal string. 3_750_000_000n → "3.75". */
export function nanoToUsd(nano: bigint): string {
  const whole = nano / 1_000_000_000n;
  const frac = (nano % 1_000_000_000n).toString().padStart(9, '0').replace(/0+$/, '');
  return frac ? `${whole}.${frac}` : `${whole}`;
}

function gcd(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

export function reduce(r: Ratio): Ratio {
  const g = gcd(r.num, r.den);
  return g > 1n ? { num: r.num / g, den: r.den / g } : r;
}

export function mulRatio(a: Ratio, b: Ratio): Ratio {
  return reduce({ num: a.num * b.num, den: a.den * b.den });
}

export function ratioToNumber(r: Ratio): number {
  return Number(r.num) / Number(r.den);
}

/** Rounds num/den (non-negative) to the nearest integer, halves up. */
export function roundHalfUp(num: bigint, den: bigint): bigint {
  return (2n * num + den) / (2n * den);
}

/**
 * Cost in whole nano-USD of `tokens` at `priceNanoPerMTok` (nano-USD per million tokens) times `m`:
 * round_half_up(tokens × price × m.num / (1e6 × m.den)).
 */
export function tokenCost(tokens: number, priceNanoPerMTok: bigint, m: Ratio): bigint {
  return roundHalfUp(BigInt(tokens) * priceNanoPerMTok * m.num, 1_000_000n * m.den);
}

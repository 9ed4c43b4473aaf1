/**
 * The one formatting module for money and numbers, shared by the daemon's CLI (cco report, tui, statusline,
 * reprice) and the renderer (dashboard, popover): money is integer nano-USD; `null` cost is "unpriced",
 * never $0.00. Pure Intl, no imports, so the statusline bundle stays small.
 * Rules: exact dollars with thousands separators in headlines, totals and rows ($1,702.47, $12.31), sub-cent
 * with two significant digits ($0.0042); compact notation only on chart axes (formatUsdAxis: $1.2k);
 * token counts in one compact style (950, 12.3k, 4.5M) or grouped (formatCount: 12,345).
 */

const NANO_PER_USD = 1e9;

const cache = new Map<string, Intl.NumberFormat>();
function nf(locale: string | undefined, options: Intl.NumberFormatOptions): Intl.NumberFormat {
  const key = `${locale ?? ''}|${JSON.stringify(options)}`;
  let f = cache.get(key);
  if (!f) {
    f = new Intl.NumberFormat(locale, options);
    cache.set(key, f);
  }
  return f;
}

/** Compact suffixes read better in lower case beside money ("$1.2k"). Only the Latin "K" is changed. */
function compactParts(f: Intl.NumberFormat, value: number): string {
  return f
    .formatToParts(value)
    .map((p) => (p.type === 'compact' && p.value === 'K' ? 'k' : p.value))
    .join('');
}

/**
 * Exact dollars for headlines, totals and rows: $1,702.47 (thousands separators, never compact), cents
 * ($12.31, $0.57), sub-cent amounts with two significant digits ($0.0042).
 */
const USD_SUBCENT: Intl.NumberFormatOptions = { style: 'currency', currency: 'USD', minimumSignificantDigits: 2, maximumSignificantDigits: 2 };
const USD_CENTS: Intl.NumberFormatOptions = { style: 'currency', currency: 'USD', minimumFractionDigits: 2, maximumFractionDigits: 2 };
/** formatUsd's two formatters for the default locale (it runs for every request's log line: no key to build). */
let defaultUsd: { subcent: Intl.NumberFormat; cents: Intl.NumberFormat } | null = null;

export function formatUsd(nano: number, locale?: string): string {
  const usd = nano / NANO_PER_USD;
  const abs = Math.abs(usd);
  const subcent = abs !== 0 && abs < 0.01;
  if (locale === undefined) {
    defaultUsd ??= { subcent: nf(undefined, USD_SUBCENT), cents: nf(undefined, USD_CENTS) };
    return (subcent ? defaultUsd.subcent : defaultUsd.cents).format(usd);
  }
  return nf(locale, subcent ? USD_SUBCENT : USD_CENTS).format(usd);
}

/** Chart axes only: compact from a thousand up ($1.2k, $1.5M), otherwise as formatUsd. */
export function formatUsdAxis(nano: number, locale?: string): string {
  const usd = nano / NANO_PER_USD;
  if (Math.abs(usd) < 1000) return formatUsd(nano, locale);
  return compactParts(
    nf(locale, { style: 'currency', currency: 'USD', notation: 'compact', maximumFractionDigits: 1 }),
    usd,
  );
}

/** Full precision for the detail view: up to six decimals ($0.004215). */
export function formatUsdPrecise(nano: number, locale?: string): string {
  return nf(locale, { style: 'currency', currency: 'USD', minimumFractionDigits: 2, maximumFractionDigits: 6 }).format(
    nano / NANO_PER_USD,
  );
}

/** A cost that may be unpriced. */
export function formatCost(nano: number | null, locale?: string): string {
  return nano === null ? 'unpriced' : formatUsd(nano, locale);
}

/** Token counts: 950, 12.3k, 4.5M. */
export function formatTokens(n: number, locale?: string): string {
  if (Math.abs(n) < 1000) return nf(locale, { maximumFractionDigits: 0 }).format(n);
  return compactParts(nf(locale, { notation: 'compact', maximumFractionDigits: 1 }), n);
}

/** Plain integer with grouping: 12,345. */
export function formatCount(n: number, locale?: string): string {
  return nf(locale, { maximumFractionDigits: 0 }).format(n);
}


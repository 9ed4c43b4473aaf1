/**
 * Locale-aware formatting of money (integer nano-USD), token counts and times.
 * Money rules: tiny amounts keep two significant digits ($0.0042), normal amounts two decimals ($12.31),
 * thousands and up are compact ($1.2k). `null` cost is "unpriced", never $0.
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

/** Format nano-USD for display: $0.0042, $12.31, $1.2k. */
export function formatUsd(nano: number, locale?: string): string {
  const usd = nano / NANO_PER_USD;
  const abs = Math.abs(usd);
  if (abs === 0) {
    return nf(locale, { style: 'currency', currency: 'USD', minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(0);
  }
  if (abs < 0.01) {
    return nf(locale, { style: 'currency', currency: 'USD', minimumSignificantDigits: 2, maximumSignificantDigits: 2 }).format(usd);
  }
  if (abs < 1000) {
    return nf(locale, { style: 'currency', currency: 'USD', minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(usd);
  }
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

/** Milliseconds as "850 ms" / "12.4 s". */
export function formatDuration(ms: number | null, locale?: string): string {
  if (ms === null) return '—';
  if (ms < 1000) return `${nf(locale, { maximumFractionDigits: 0 }).format(ms)} ms`;
  return `${nf(locale, { maximumFractionDigits: 1 }).format(ms / 1000)} s`;
}

const dtfCache = new Map<string, Intl.DateTimeFormat>();
function dtf(locale: string | undefined, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = `${locale ?? ''}|${JSON.stringify(options)}`;
  let f = dtfCache.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat(locale, options);
    dtfCache.set(key, f);
  }
  return f;
}

/** Time of day for request lists: "14:03:21" (locale order). */
export function formatTime(ms: number, locale?: string, timeZone?: string): string {
  return dtf(locale, { hour: '2-digit', minute: '2-digit', second: '2-digit', timeZone }).format(ms);
}

/** Date + time for the detail view and tables spanning days. */
export function formatDateTime(ms: number, locale?: string, timeZone?: string): string {
  return dtf(locale, { dateStyle: 'medium', timeStyle: 'medium', timeZone }).format(ms);
}

/** Axis label for a series bucket. */
export function formatBucket(iso: string, bucket: 'hour' | 'day', locale?: string, timeZone?: string): string {
  const d = Date.parse(iso);
  return bucket === 'hour'
    ? dtf(locale, { hour: '2-digit', minute: '2-digit', timeZone }).format(d)
    : dtf(locale, { month: 'short', day: 'numeric', timeZone }).format(d);
}

/** Short model name for tight spaces: "claude-sonnet-4-5-20250929" → "sonnet-4-5". */
export function shortModel(model: string | null): string {
  if (!model) return '(unknown)';
  return model.replace(/^claude-/, '').replace(/-\d{8}$/, '');
}

/** Last path segment of a project directory, for tight spaces. */
export function shortProject(project: string | null): string {
  if (!project) return '(none)';
  const parts = project.split(/[\\/]/).filter(Boolean);
  return parts[parts.length - 1] ?? project;
}

/** Hour and minute only, for the popover's tight list. */
export function formatClock(ms: number, locale?: string, timeZone?: string): string {
  return dtf(locale, { hour: '2-digit', minute: '2-digit', timeZone }).format(ms);
}

/** "Nov 22, 09:47 PM": tables that span days. */
export function formatShortDateTime(ms: number, locale?: string, timeZone?: string): string {
  return dtf(locale, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit', timeZone }).format(ms);
}

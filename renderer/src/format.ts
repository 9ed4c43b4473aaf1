/**
 * Renderer formatting: money and numbers come from the shared module (daemon/api/format.ts, also used by
 * the CLI); times, dates and short names are here.
 */
export { formatCost, formatCount, formatTokens, formatUsd, formatUsdAxis, formatUsdPrecise } from '../../daemon/api/format.ts';

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

/** Milliseconds as "850 ms" / "12.4 s". */
export function formatDuration(ms: number | null, locale?: string): string {
  if (ms === null) return '—';
  if (ms < 1000) return `${nf(locale, { maximumFractionDigits: 0 }).format(ms)} ms`;
  return `${nf(locale, { maximumFractionDigits: 1 }).format(ms / 1000)} s`;
}

/** A span of time for people: "42 s", "12 min", "2 h 05 min", "3 d 4 h". */
export function formatSpan(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const min = Math.floor(s / 60);
  if (min < 60) return `${min} min`;
  const h = Math.floor(min / 60);
  if (h < 24) return `${h} h ${String(min % 60).padStart(2, '0')} min`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
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

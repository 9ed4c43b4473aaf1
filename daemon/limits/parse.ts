/**
 * Rate-limit response headers → typed values (the Anthropic API's `anthropic-ratelimit-*` and `anthropic-ratelimit-unified-*` headers). Two families:
 *  - unified (subscription/OAuth): `anthropic-ratelimit-unified-{status,reset,representative-claim,fallback,
 *    fallback-percentage}`, per window `-<name>-{utilization,reset,status}` (any window name), `-overage-*`;
 *  - standard (API keys): `anthropic-ratelimit-{requests,tokens,input-tokens,output-tokens}-{limit,remaining,reset}`.
 * Every value is checked on its own: a garbled one is dropped and the rest kept. Never throws.
 */
import { STANDARD_LIMIT_BUCKETS, type LimitWindow, type StandardLimitBucket, type StandardLimitName, type UnifiedLimits } from '../../shared/contract.ts';

const PREFIX = 'anthropic-ratelimit-';
const UNIFIED = 'anthropic-ratelimit-unified-';
/** Window names as they appear (`5h`, `7d`, `7d_oi`, `7d_sonnet`, `7d-sonnet`…), bounded. */
const WINDOW_NAME = /^[a-z0-9][a-z0-9_-]{0,31}$/;
const WORD = /^[A-Za-z0-9_.-]{1,64}$/;
/** Unix seconds between 2001 and 2286: anything else is not a reset time. */
const MIN_UNIX_S = 1e9;
const MAX_UNIX_S = 1e10;
const MAX_UTILIZATION = 10;
const MAX_WINDOWS = 16;

export interface ParsedRateLimits {
  unified: UnifiedLimits | null;
  standard: Partial<Record<StandardLimitName, StandardLimitBucket>> | null;
}

function word(v: string): string | null {
  const s = v.trim();
  return WORD.test(s) ? s : null;
}

/** A plain decimal (no hex, exponent-free or not, no Infinity/NaN); null otherwise. */
function decimal(v: string): number | null {
  const s = v.trim();
  if (!/^[+]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(s)) return null;
  const n = Number(s);
  return Number.isFinite(n) ? n : null;
}

function fraction(v: string): number | null {
  const n = decimal(v);
  return n !== null && n <= MAX_UTILIZATION ? n : null;
}

function unixSecondsToMs(v: string): number | null {
  const n = decimal(v);
  return n !== null && n >= MIN_UNIX_S && n < MAX_UNIX_S ? Math.round(n * 1000) : null;
}

function count(v: string): number | null {
  const s = v.trim();
  if (!/^\d{1,15}$/.test(s)) return null;
  return Number(s);
}

/** RFC 3339 date-time (what the standard family sends) → epoch ms. */
function rfc3339(v: string): number | null {
  const s = v.trim();
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i.test(s)) return null;
  const t = Date.parse(s);
  return Number.isFinite(t) ? t : null;
}

/** rfc3339 of the reset times seen lately: every response repeats the same few (4 buckets, one per minute). */
const resetTimes = new Map<string, number | null>();
function rfc3339Cached(v: string): number | null {
  let t = resetTimes.get(v);
  if (t === undefined) {
    t = rfc3339(v);
    if (resetTimes.size >= 64) resetTimes.clear();
    resetTimes.set(v, t);
  }
  return t;
}

function bool(v: string): boolean | null {
  const s = v.trim().toLowerCase();
  return s === 'true' ? true : s === 'false' ? false : null;
}

function emptyUnified(): UnifiedLimits {
  return {
    status: null,
    resetsAt: null,
    representativeClaim: null,
    fallback: null,
    fallbackPercentage: null,
    windows: {},
    overage: { status: null, resetsAt: null, inUse: null, disabledReason: null, other: {} },
  };
}

function windowOf(u: UnifiedLimits, name: string): LimitWindow | null {
  const existing = u.windows[name];
  if (existing) return existing;
  if (!WINDOW_NAME.test(name) || Object.keys(u.windows).length >= MAX_WINDOWS) return null;
  const w: LimitWindow = { name, utilization: null, resetsAt: null, status: null };
  u.windows[name] = w;
  return w;
}

/** Applies one `anthropic-ratelimit-unified-<rest>` header; returns whether it set something. */
function applyUnified(u: UnifiedLimits, rest: string, value: string): boolean {
  switch (rest) {
    case 'status':
      return (u.status = word(value)) !== null;
    case 'reset':
      return (u.resetsAt = unixSecondsToMs(value)) !== null;
    case 'representative-claim':
      return (u.representativeClaim = word(value)) !== null;
    case 'fallback':
      return (u.fallback = word(value)) !== null;
    case 'fallback-percentage':
      return (u.fallbackPercentage = fraction(value)) !== null;
  }
  if (rest.startsWith('overage-')) {
    const field = rest.slice('overage-'.length);
    if (field === 'status') return (u.overage.status = word(value)) !== null;
    if (field === 'reset') return (u.overage.resetsAt = unixSecondsToMs(value)) !== null;
    if (field === 'in-use') return (u.overage.inUse = bool(value)) !== null;
    if (field === 'disabled-reason') return (u.overage.disabledReason = word(value)) !== null;
    const w = word(value);
    if (w === null || !WINDOW_NAME.test(field) || Object.keys(u.overage.other).length >= MAX_WINDOWS) return false;
    u.overage.other[field] = w;
    return true;
  }
  const dash = rest.lastIndexOf('-');
  if (dash <= 0) return false;
  const name = rest.slice(0, dash);
  const field = rest.slice(dash + 1);
  let parsed: number | string | null;
  if (field === 'utilization') parsed = fraction(value);
  else if (field === 'reset') parsed = unixSecondsToMs(value);
  else if (field === 'status') parsed = word(value);
  else return false;
  if (parsed === null) return false;
  const w = windowOf(u, name);
  if (!w) return false;
  if (field === 'utilization') w.utilization = parsed as number;
  else if (field === 'reset') w.resetsAt = parsed as number;
  else w.status = parsed as string;
  return true;
}

function applyStandard(out: Partial<Record<StandardLimitName, StandardLimitBucket>>, rest: string, value: string): boolean {
  for (const bucket of STANDARD_LIMIT_BUCKETS) {
    if (!rest.startsWith(bucket + '-')) continue;
    const field = rest.slice(bucket.length + 1);
    const parsed = field === 'limit' || field === 'remaining' ? count(value) : field === 'reset' ? rfc3339Cached(value) : null;
    if (parsed === null) return false;
    const b = (out[bucket] ??= { limit: null, remaining: null, resetsAt: null });
    if (field === 'limit') b.limit = parsed;
    else if (field === 'remaining') b.remaining = parsed;
    else b.resetsAt = parsed;
    return true;
  }
  return false;
}

/**
 * Reads the rate-limit headers out of a raw header array ([name, value, …], as Node's `rawHeaders`).
 * Returns null when no usable rate-limit header is present. The first occurrence of a repeated header wins.
 */
export function parseRateLimitHeaders(raw: readonly string[]): ParsedRateLimits | null {
  let unified: UnifiedLimits | null = null;
  let standard: Partial<Record<StandardLimitName, StandardLimitBucket>> | null = null;
  let seen: Set<string> | null = null;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!;
    if (name.length <= PREFIX.length || name.length > 128) continue;
    const lower = name.toLowerCase();
    if (!lower.startsWith(PREFIX)) continue;
    seen ??= new Set();
    if (seen.has(lower)) continue;
    seen.add(lower);
    const value = raw[i + 1]!;
    if (value.length > 256) continue;
    if (lower.startsWith(UNIFIED)) {
      const u: UnifiedLimits = unified ?? emptyUnified();
      if (applyUnified(u, lower.slice(UNIFIED.length), value)) unified = u;
    } else {
      const s: Partial<Record<StandardLimitName, StandardLimitBucket>> = standard ?? {};
      if (applyStandard(s, lower.slice(PREFIX.length), value)) standard = s;
    }
  }
  return unified || standard ? { unified, standard } : null;
}

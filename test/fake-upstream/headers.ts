/** Response headers of §9.3: ids, Cloudflare-ish headers, rate-limit families, error extras. */
import { shouldRetry } from './catalog.ts';

export type AuthKind = 'api-key' | 'oauth' | 'bearer' | 'none';

export interface HeaderContext {
  requestId: string;
  organizationId: string;
  cfRay: string;
  auth: AuthKind;
  /** Wall-clock ms used for reset times. */
  now: number;
  /** The unified plan-limit family for this credential (replaces the fixed OAuth set). */
  unified?: HeaderList;
}

export type HeaderList = [string, string][];

const LIMITS = { requests: 4000, tokens: 2_000_000, 'input-tokens': 1_600_000, 'output-tokens': 400_000 } as const;

function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Headers every response carries. `rateLimited` zeroes the requests bucket (429). */
export function baseHeaders(ctx: HeaderContext, rateLimited = false): HeaderList {
  const h: HeaderList = [
    ['request-id', ctx.requestId],
    ['anthropic-organization-id', ctx.organizationId],
    ['server', 'cloudflare'],
    ['cf-ray', ctx.cfRay],
    ['x-robots-tag', 'none'],
  ];
  const reset = rfc3339(ctx.now + 60_000);
  for (const [name, limit] of Object.entries(LIMITS)) {
    let remaining = name === 'requests' ? limit - 1 : Math.floor((limit * 0.99) / 1000) * 1000;
    if (rateLimited && (name === 'requests' || name === 'input-tokens')) remaining = 0;
    h.push([`anthropic-ratelimit-${name}-limit`, String(limit)]);
    h.push([`anthropic-ratelimit-${name}-remaining`, String(remaining)]);
    h.push([`anthropic-ratelimit-${name}-reset`, reset]);
  }
  if (ctx.unified) h.push(...ctx.unified);
  else if (ctx.auth === 'oauth') {
    const s = Math.floor(ctx.now / 1000);
    h.push(
      ['anthropic-ratelimit-unified-status', rateLimited ? 'rejected' : 'allowed'],
      ['anthropic-ratelimit-unified-reset', String(s + 5 * 3600)],
      ['anthropic-ratelimit-unified-representative-claim', 'five_hour'],
      ['anthropic-ratelimit-unified-fallback', 'available'],
      ['anthropic-ratelimit-unified-5h-utilization', rateLimited ? '1.0' : '0.12'],
      ['anthropic-ratelimit-unified-5h-reset', String(s + 5 * 3600)],
      ['anthropic-ratelimit-unified-5h-status', rateLimited ? 'rejected' : 'allowed'],
      ['anthropic-ratelimit-unified-7d-utilization', '0.05'],
      ['anthropic-ratelimit-unified-7d-reset', String(s + 7 * 86400)],
      ['anthropic-ratelimit-unified-7d-status', 'allowed'],
      ['anthropic-ratelimit-unified-overage-status', 'rejected'],
      ['anthropic-ratelimit-unified-overage-disabled-reason', 'org_level_disabled'],
    );
  }
  return h;
}

/** Headers of an error response (before content-encoding/length). */
export function errorHeaders(ctx: HeaderContext, status: number, retryAfter?: number): HeaderList {
  const h = baseHeaders(ctx, status === 429);
  h.push(['x-should-retry', String(shouldRetry(status))]);
  if (status === 429) h.push(['retry-after', String(retryAfter ?? 15)]);
  else if (retryAfter !== undefined) h.push(['retry-after', String(retryAfter)]);
  h.push(['content-type', 'application/json']);
  return h;
}

/** Flatten for `res.writeHead(status, flat)`, which keeps order and casing. */
export function flat(h: HeaderList): string[] {
  return h.flat();
}

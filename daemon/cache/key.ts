/**
 * What makes two calls "the same" for the response cache, and which calls may use it at all. Pure functions.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** Per request: `x-cco-cache: on` (use the cache even when it is off in config), `off`, `refresh` (forward, store). */
export type CacheMode = 'on' | 'off' | 'refresh';
export const CACHE_HEADER = 'x-cco-cache';

/** Removes every `x-cco-cache` header (raw and parsed) and returns its mode; an unknown value counts as none. */
export function takeCacheMode(req: IncomingMessage): CacheMode | null {
  const raw = req.rawHeaders;
  let value: string | null = null;
  for (let i = raw.length - 2; i >= 0; i -= 2) {
    if (raw[i]!.length === CACHE_HEADER.length && raw[i]!.toLowerCase() === CACHE_HEADER) {
      value = raw[i + 1]!.trim().toLowerCase();
      raw.splice(i, 2);
    }
  }
  if (value === null) return null;
  delete req.headers[CACHE_HEADER];
  return value === 'on' || value === 'off' || value === 'refresh' ? value : null;
}

/**
 * Calls whose answer depends only on the request: Messages (JSON or SSE), token counting, the legacy
 * completion, the model list. Never batches (creating one has an effect) or anything else.
 */
export function cacheablePath(method: string, path: string): boolean {
  const p = path.split(/[?#]/, 1)[0]!.replace(/(.)\/+$/, '$1');
  if (method === 'POST') return p === '/v1/messages' || p === '/v1/messages/count_tokens' || p === '/v1/complete';
  if (method === 'GET') return p === '/v1/models' || /^\/v1\/models\/[^/]+$/.test(p);
  return false;
}

/** Every value of a header in a raw array, in order, joined as HTTP would (`a, b`); '' when absent. */
function allValues(raw: readonly string[], name: string): string {
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) if (raw[i]!.toLowerCase() === name) out.push(raw[i + 1]!);
  return out.join(', ');
}

/** Request `Cache-Control` directives the cache honours: `no-store` (bypass it) and `no-cache` (refresh). */
export function requestDirectives(raw: readonly string[]): { noStore: boolean; noCache: boolean } {
  const cc = allValues(raw, 'cache-control').toLowerCase();
  const has = (d: string) => cc.split(',').some((part) => part.trim().split('=')[0] === d);
  return { noStore: has('no-store'), noCache: has('no-cache') };
}

/**
 * The entry key: sha256 over the method, path and query, the exact body bytes, the credential that goes
 * upstream (`x-api-key` or `Authorization`, after CCO added its stored key if it did), `anthropic-version`
 * and `anthropic-beta`. Each part is length-prefixed, so no two different requests share a preimage. The
 * credential only enters the hash: it is never stored. `accept-encoding` is part of it too (see below).
 */
export function cacheKey(method: string, path: string, body: Buffer, upstreamHeaders: readonly string[]): string {
  const h = createHash('sha256').update('cco-response-cache-v1\0');
  const part = (b: Buffer | string) => {
    const buf = typeof b === 'string' ? Buffer.from(b, 'utf8') : b;
    const len = Buffer.alloc(8);
    len.writeBigUInt64BE(BigInt(buf.length));
    h.update(len).update(buf);
  };
  part(method);
  part(path);
  part(body);
  part(allValues(upstreamHeaders, 'x-api-key'));
  part(allValues(upstreamHeaders, 'authorization'));
  part(allValues(upstreamHeaders, 'anthropic-version'));
  part(allValues(upstreamHeaders, 'anthropic-beta'));
  // A replay keeps the original content-encoding, so a client that asked for another encoding (or none)
  // must not get this entry: it could not read it.
  part(allValues(upstreamHeaders, 'accept-encoding'));
  return h.digest('hex');
}

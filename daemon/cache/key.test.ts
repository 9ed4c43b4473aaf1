import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { cacheablePath, cacheKey, requestDirectives, takeCacheMode } from './key.ts';

const H = ['x-api-key', 'sk-ant-a', 'anthropic-version', '2023-06-01', 'content-type', 'application/json'];
const body = Buffer.from('{"a":1}');

describe('response cache key', () => {
  it('depends on method, path, body bytes, credential, version, beta and accept-encoding; not on other headers', () => {
    const k = cacheKey('POST', '/v1/messages', body, H);
    expect(cacheKey('POST', '/v1/messages', Buffer.from('{"a":1}'), [...H, 'user-agent', 'x'])).toBe(k);
    const variants = [
      cacheKey('GET', '/v1/messages', body, H),
      cacheKey('POST', '/v1/messages?beta=true', body, H),
      cacheKey('POST', '/v1/messages', Buffer.from('{"a":1} '), H),
      cacheKey('POST', '/v1/messages', body, ['x-api-key', 'sk-ant-b', ...H.slice(2)]),
      cacheKey('POST', '/v1/messages', body, ['authorization', 'Bearer sk-ant-a', ...H.slice(2)]),
      cacheKey('POST', '/v1/messages', body, [...H.slice(0, 2), 'anthropic-version', '2026-10-21', ...H.slice(4)]),
      cacheKey('POST', '/v1/messages', body, [...H, 'anthropic-beta', 'x']),
      cacheKey('POST', '/v1/messages', body, [...H, 'accept-encoding', 'gzip']),
    ];
    expect(new Set([k, ...variants]).size).toBe(variants.length + 1);
  });

  it('allows only calls without side effects', () => {
    expect(cacheablePath('POST', '/v1/messages')).toBe(true);
    expect(cacheablePath('POST', '/v1/messages?beta=true')).toBe(true);
    expect(cacheablePath('POST', '/v1/messages/count_tokens')).toBe(true);
    expect(cacheablePath('GET', '/v1/models/claude-haiku-4-5')).toBe(true);
    expect(cacheablePath('POST', '/v1/messages/batches')).toBe(false);
    expect(cacheablePath('GET', '/v1/messages/batches/x/results')).toBe(false);
    expect(cacheablePath('DELETE', '/v1/models')).toBe(false);
  });

  it('reads no-store / no-cache request directives', () => {
    expect(requestDirectives(['Cache-Control', 'max-age=0, No-Store'])).toEqual({ noStore: true, noCache: false });
    expect(requestDirectives(['cache-control', 'no-cache'])).toEqual({ noStore: false, noCache: true });
    expect(requestDirectives([])).toEqual({ noStore: false, noCache: false });
  });

  it('takes every x-cco-cache header off the request', () => {
    const req = { rawHeaders: ['X-CCO-Cache', 'Refresh', 'a', 'b', 'x-cco-cache', 'on'], headers: { 'x-cco-cache': 'Refresh, on', a: 'b' } } as unknown as IncomingMessage;
    expect(takeCacheMode(req)).toBe('refresh'); // the first one sent
    expect(req.rawHeaders).toEqual(['a', 'b']);
    expect(req.headers).toEqual({ a: 'b' });
    const bogus = { rawHeaders: ['x-cco-cache', 'maybe'], headers: { 'x-cco-cache': 'maybe' } } as unknown as IncomingMessage;
    expect(takeCacheMode(bogus)).toBeNull();
    expect(bogus.rawHeaders).toEqual([]);
  });
});

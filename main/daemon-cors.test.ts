import { describe, expect, it } from 'vitest';
import { corsPatch } from './daemon-cors.ts';

const ctx = { daemonOrigin: 'http://127.0.0.1:3000', appOrigin: 'app://cco' };
const base = { url: 'http://127.0.0.1:3000/api/summary?range=today', method: 'GET', initiatorOrigin: 'app://cco', statusCode: 200, responseHeaders: { 'Content-Type': ['application/json'] } };

describe('corsPatch', () => {
  it('grants our app origin on daemon responses, keeping other headers', () => {
    expect(corsPatch(base, ctx)).toEqual({
      responseHeaders: { 'Content-Type': ['application/json'], 'Access-Control-Allow-Origin': ['app://cco'], Vary: ['Origin'] },
    });
  });

  it('replaces rather than duplicates a grant the daemon already sent', () => {
    const r = corsPatch({ ...base, responseHeaders: { 'access-control-allow-origin': ['*'], vary: ['Accept'] } }, ctx);
    expect(r?.responseHeaders).toEqual({ 'Access-Control-Allow-Origin': ['app://cco'], Vary: ['Origin'] });
  });

  it('turns a refused preflight into 204 with the allowed headers', () => {
    const r = corsPatch({ ...base, method: 'OPTIONS', statusCode: 401 }, ctx);
    expect(r?.statusLine).toBe('HTTP/1.1 204 No Content');
    expect(r?.responseHeaders).toMatchObject({ 'Access-Control-Allow-Headers': ['authorization, content-type'], 'Access-Control-Allow-Methods': ['GET, HEAD, OPTIONS'] });
  });

  it.each([
    ['another initiator', { ...base, initiatorOrigin: 'https://evil.example' }, ctx],
    ['no initiator', { ...base, initiatorOrigin: undefined }, ctx],
    ['another loopback port', { ...base, url: 'http://127.0.0.1:8080/api/summary' }, ctx],
    ['daemon not ready', base, { ...ctx, daemonOrigin: null }],
    ['garbage url', { ...base, url: 'not a url' }, ctx],
  ])('leaves responses alone: %s', (_name, details, c) => {
    expect(corsPatch(details, c)).toBeNull();
  });

  it('the unauthenticated real request still fails (status kept)', () => {
    const r = corsPatch({ ...base, statusCode: 401 }, ctx);
    expect(r?.statusLine).toBeUndefined();
  });
});

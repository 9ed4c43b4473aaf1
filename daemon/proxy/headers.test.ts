import { describe, expect, it } from 'vitest';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { clientResponseHeaders, hasCredential, rawHeader, responseHeadFacts, upstreamRequestHeaders } from './headers.ts';

describe('headers', () => {
  it('keeps order, casing and duplicates; drops hop-by-hop and host; rewrites Host first', () => {
    const raw = [
      'Host', '127.0.0.1:3000',
      'X-Api-Key', 'sk-ant-1',
      'Connection', 'keep-alive, X-Private',
      'X-Private', 'secret-hop',
      'anthropic-beta', 'a,b',
      'anthropic-beta', 'c',
      'Transfer-Encoding', 'chunked',
      'Keep-Alive', 'timeout=5',
      'TE', 'trailers',
      'X-Claude-Code-Session-Id', 'abc',
    ];
    expect(upstreamRequestHeaders(raw, { upstreamHost: 'api.anthropic.com' })).toEqual([
      'Host', 'api.anthropic.com',
      'X-Api-Key', 'sk-ant-1',
      'anthropic-beta', 'a,b',
      'anthropic-beta', 'c',
      'X-Claude-Code-Session-Id', 'abc',
    ]);
  });

  it('adds the configured key only when the client sent no credential', () => {
    const withKey = upstreamRequestHeaders(['Authorization', 'Bearer x'], { upstreamHost: 'u', apiKey: 'sk-ant-cfg' });
    expect(withKey).toEqual(['Host', 'u', 'Authorization', 'Bearer x']);
    const without = upstreamRequestHeaders(['anthropic-version', '2023-06-01'], { upstreamHost: 'u', apiKey: 'sk-ant-cfg' });
    expect(without).toEqual(['Host', 'u', 'anthropic-version', '2023-06-01', 'x-api-key', 'sk-ant-cfg']);
    expect(hasCredential(['X-API-KEY', 'k'])).toBe(true);
  });

  it('passes response headers through except framing ones', () => {
    const raw = ['request-id', 'req_1', 'Content-Encoding', 'gzip', 'Transfer-Encoding', 'chunked', 'Connection', 'keep-alive', 'set-cookie', 'a=1', 'set-cookie', 'b=2'];
    expect(clientResponseHeaders(raw)).toEqual(['request-id', 'req_1', 'Content-Encoding', 'gzip', 'set-cookie', 'a=1', 'set-cookie', 'b=2']);
    expect(rawHeader(raw, 'content-encoding')).toBe('gzip');
    expect(rawHeader(raw, 'x-none')).toBeUndefined();
  });
});

describe('responseHeadFacts', () => {
  it("gives what Node's IncomingMessage.headers gives for the five headers it reads (a real response with duplicates)", async () => {
    const heads: [string, string][][] = [
      [['Request-Id', 'req_1'], ['Content-Type', 'application/json'], ['content-length', '2']],
      [['request-id', 'a'], ['REQUEST-ID', 'b'], ['Content-Encoding', 'gzip'], ['content-encoding', 'br'], ['Content-Type', 'text/event-stream'], ['content-type', 'application/json']],
      [['Cache-Control', 'private'], ['cache-control', 'no-store'], ['X-Other', 'x'], ['Connection', 'keep-alive']],
      [['anthropic-ratelimit-requests-limit', '4000'], ['Content-Length', '2']],
      [],
    ];
    for (const head of heads) {
      const server = http.createServer((_req, res) => {
        // raw header lines as given (writeHead with an array keeps duplicates and casing)
        res.writeHead(200, head.flat());
        res.end('{}');
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      const { port } = server.address() as AddressInfo;
      const res = await new Promise<http.IncomingMessage>((resolve, reject) => http.get({ host: '127.0.0.1', port, agent: false }, resolve).on('error', reject));
      const facts = responseHeadFacts(res.rawHeaders);
      expect(facts).toEqual({
        requestId: res.headers['request-id'],
        contentType: res.headers['content-type'],
        contentEncoding: res.headers['content-encoding'],
        contentLength: res.headers['content-length'],
        cacheControl: res.headers['cache-control'],
      });
      res.resume();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});

/**
 * Forwarding edge cases that need a hand-made upstream: exact response bytes, and a keep-alive socket the
 * upstream closed while it sat in the pool.
 */
import http from 'node:http';
import net from 'node:net';
import zlib from 'node:zlib';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { silentLogger } from '../log.ts';
import { createProxyHandler, createUpstreamAgent, type FinishedRequest } from './forward.ts';

const closers: (() => void)[] = [];
afterEach(() => {
  while (closers.length) closers.pop()!();
});

async function listen(server: net.Server): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  closers.push(() => server.close());
  return (server.address() as AddressInfo).port;
}

async function proxyTo(upstreamPort: number, whenRecorded?: (done: () => void) => void) {
  const finished: FinishedRequest[] = [];
  const upstream = new URL(`http://127.0.0.1:${upstreamPort}`);
  const agent = createUpstreamAgent(upstream);
  closers.push(() => agent.destroy());
  const handler = createProxyHandler({ upstream, agent, log: silentLogger, onFinished: (f) => finished.push(f), whenRecorded });
  const server = http.createServer(handler);
  const port = await listen(server);
  closers.push(() => server.closeAllConnections());
  return { port, finished };
}

function rawExchange(port: number, request: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = net.connect(port, '127.0.0.1', () => socket.write(request));
    socket.on('data', (d) => chunks.push(d));
    socket.on('end', () => resolve(Buffer.concat(chunks)));
    socket.on('error', reject);
  });
}

describe('forward', () => {
  it('ends a completed response only once whenRecorded says the record is durable', async () => {
    const upstream = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"id":"msg_1","type":"message","usage":{"input_tokens":1,"output_tokens":2}}');
    });
    const upstreamPort = await listen(upstream);
    let release: (() => void) | null = null;
    const { port, finished } = await proxyTo(upstreamPort, (done) => (release = done));
    const events: string[] = [];
    const got = new Promise<string>((resolve, reject) => {
      const req = http.request({ port, host: '127.0.0.1', method: 'POST', path: '/v1/messages' }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d));
        res.on('end', () => {
          events.push('client saw the end');
          resolve(body);
        });
      });
      req.on('error', reject);
      req.end('{}');
    });
    const deadline = Date.now() + 5000;
    while (!release && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    expect(finished).toHaveLength(1); // recorded…
    await new Promise((r) => setTimeout(r, 100));
    expect(events).toEqual([]); // …but the client is still waiting for the end
    events.push('released');
    release!();
    expect(JSON.parse(await got).id).toBe('msg_1');
    expect(events).toEqual(['released', 'client saw the end']);
  });

  it('measures the duration on the monotonic clock: a wall-clock step back mid-call does not make it negative', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date());
    try {
      const upstream = http.createServer((_req, res) => {
        vi.setSystemTime(Date.now() - 3_600_000); // the clock steps back an hour while the upstream works
        setTimeout(() => {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end('{"id":"msg_3","type":"message","usage":{"input_tokens":1,"output_tokens":2}}');
        }, 200);
      });
      const { port, finished } = await proxyTo(await listen(upstream));
      const status = await new Promise<number>((resolve, reject) => {
        const req = http.request({ port, host: '127.0.0.1', method: 'POST', path: '/v1/messages' }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        });
        req.on('error', reject);
        req.end('{}');
      });
      expect(status).toBe(200);
      const f = finished[0]!;
      expect(f.endedAt - f.startedAt).toBeGreaterThanOrEqual(190);
      expect(f.endedAt - f.startedAt).toBeLessThan(60_000);
    } finally {
      vi.useRealTimers();
    }
  });

  it('holds the last bytes of a Content-Length response until whenRecorded says the record is durable', async () => {
    const head = '{"id":"msg_2","type":"message",';
    const tail = '"usage":{"input_tokens":1,"output_tokens":2}}';
    const upstream = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(head.length + tail.length) });
      res.write(head);
      setTimeout(() => res.end(tail), 30); // two chunks: the first passes at once, the last is held
    });
    let release: (() => void) | null = null;
    const { port, finished } = await proxyTo(await listen(upstream), (done) => (release = done));
    let received = '';
    let ended = false;
    const got = new Promise<void>((resolve, reject) => {
      const req = http.request({ port, host: '127.0.0.1', method: 'POST', path: '/v1/messages' }, (res) => {
        expect(res.headers['content-length']).toBe(String(head.length + tail.length));
        res.on('data', (d: Buffer) => (received += d));
        res.on('end', () => {
          ended = true;
          resolve();
        });
      });
      req.on('error', reject);
      req.end('{}');
    });
    const deadline = Date.now() + 5000;
    while (!release && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    expect(finished).toHaveLength(1);
    expect(finished[0]!.observation?.usage?.output_tokens).toBe(2); // the held bytes were observed
    await new Promise((r) => setTimeout(r, 100));
    expect(received).toBe(head); // the first chunk went through at once; the one completing the length waits
    expect(ended).toBe(false);
    release!();
    await got;
    expect(JSON.parse(received).id).toBe('msg_2');
  });

  it('passes gzip SSE bytes through unchanged while observing the decoded usage', async () => {
    const events = [
      'event: message_start\ndata: {"type":"message_start","message":{"id":"msg_1","model":"claude-sonnet-4-6","usage":{"input_tokens":10,"output_tokens":1}}   }\n\n',
      'event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":42}}\n\n',
      'event: message_stop\ndata: {"type":"message_stop"}\n\n',
    ];
    const gzip = zlib.createGzip();
    const wire: Buffer[] = [];
    const upstream = http.createServer((_req, res) => {
      res.writeHead(200, ['Content-Type', 'text/event-stream; charset=utf-8', 'Content-Encoding', 'gzip', 'request-id', 'req_1', 'X-Odd-Case', 'Kept']);
      gzip.on('data', (d: Buffer) => {
        wire.push(d);
        res.write(d);
      });
      gzip.on('end', () => res.end());
      for (const e of events) gzip.write(e, () => gzip.flush(zlib.constants.Z_SYNC_FLUSH));
      setTimeout(() => gzip.end(), 50);
    });
    const { port, finished } = await proxyTo(await listen(upstream));
    const raw = await rawExchange(port, 'POST /v1/messages?beta=true HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}');
    const text = raw.toString('latin1');
    expect(text).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(text).toContain('\r\nContent-Encoding: gzip\r\n');
    expect(text).toContain('\r\nX-Odd-Case: Kept\r\n');
    // De-chunk the client's body and compare with the upstream's compressed bytes.
    const bodyStart = raw.indexOf('\r\n\r\n') + 4;
    const body: Buffer[] = [];
    let at = bodyStart;
    for (;;) {
      const lineEnd = raw.indexOf('\r\n', at);
      const size = parseInt(raw.subarray(at, lineEnd).toString(), 16);
      if (size === 0) break;
      body.push(raw.subarray(lineEnd + 2, lineEnd + 2 + size));
      at = lineEnd + 2 + size + 2;
    }
    expect(Buffer.concat(body).equals(Buffer.concat(wire))).toBe(true);
    expect(finished).toHaveLength(1);
    expect(finished[0]!.state).toBe('complete');
    expect(finished[0]!.observation!.usage).toMatchObject({ input_tokens: 10, output_tokens: 42 });
  });

  // The SDK closes the connection as soon as it reads an `error` event; under load that close reached the
  // proxy before the upstream's end, and the record said client_aborted (CI, 2026-12-07). Here the upstream
  // holds the connection open after its last event, so the client's close always comes first.
  it.each([
    ['an error event', 'error_event', 'event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\n\n'],
    ['message_stop', 'complete', 'event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":7}}\n\nevent: message_stop\ndata: {"type":"message_stop"}\n\n'],
    ['a content delta only', 'client_aborted', 'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"hi"}}\n\n'],
  ] as const)('a client that leaves after %s before the upstream ends: record %s', async (_label, state, last) => {
    const upstream = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('event: message_start\ndata: {"type":"message_start","message":{"id":"msg_9","model":"claude-sonnet-4-6","usage":{"input_tokens":5,"output_tokens":1}}}\n\n');
      res.write(last); // …and never ends
    });
    const upstreamPort = await listen(upstream);
    closers.push(() => upstream.closeAllConnections());
    const { port, finished } = await proxyTo(upstreamPort);
    await new Promise<void>((resolve, reject) => {
      const req = http.request({ port, host: '127.0.0.1', method: 'POST', path: '/v1/messages' }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => {
          body += d;
          if (body.includes(last)) req.destroy();
        });
        res.on('close', () => resolve());
      });
      req.on('error', () => resolve());
      req.end('{}');
      setTimeout(() => reject(new Error('the client never read the last event')), 5000);
    });
    const deadline = Date.now() + 5000;
    while (finished.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    expect(finished).toHaveLength(1);
    expect(finished[0]!.state).toBe(state);
    expect(finished[0]!.observation!.usage).toMatchObject({ input_tokens: 5 });
  });

  it('a response header value with bytes 0x80-0xFF reaches the client byte for byte', async () => {
    // A raw upstream, so the head bytes are exactly these: latin1 octets, a UTF-8 "é" (C3 A9), and every byte 0x80..0xFF.
    const high = Buffer.from(Array.from({ length: 128 }, (_, i) => 0x80 + i));
    const headLines = [
      Buffer.from('HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Latin: caf'),
      Buffer.from([0xe9]),
      Buffer.from('\r\nX-Utf8: caf'),
      Buffer.from([0xc3, 0xa9]),
      Buffer.from('\r\nX-High: <'),
      high,
      Buffer.from('>\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}'),
    ];
    const upstream = net.createServer((socket) => {
      socket.once('data', () => socket.end(Buffer.concat(headLines)));
    });
    const { port, finished } = await proxyTo(await listen(upstream));
    const raw = await rawExchange(port, 'POST /v1/messages HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}');
    const lineOf = (name: string): Buffer => {
      const start = raw.indexOf(`\r\n${name}: `);
      expect(start).toBeGreaterThan(0);
      return raw.subarray(start + 2, raw.indexOf('\r\n', start + 2));
    };
    expect(lineOf('X-Latin').equals(Buffer.concat([Buffer.from('X-Latin: caf'), Buffer.from([0xe9])]))).toBe(true);
    expect(lineOf('X-Utf8').equals(Buffer.concat([Buffer.from('X-Utf8: caf'), Buffer.from([0xc3, 0xa9])]))).toBe(true);
    expect(lineOf('X-High').equals(Buffer.concat([Buffer.from('X-High: <'), high, Buffer.from('>')]))).toBe(true);
    expect(raw.subarray(raw.indexOf('\r\n\r\n') + 4).toString()).toBe('{}');
    expect(finished).toHaveLength(1);
    expect(finished[0]!.status).toBe(200);
  });

  it('replays a request once when the pooled keep-alive socket was closed by the upstream', async () => {
    let connections = 0;
    const seen: string[] = [];
    const upstream = net.createServer((socket) => {
      const n = ++connections;
      let requestsOnSocket = 0;
      socket.on('data', (d) => {
        seen.push(`conn${n}:${d.toString().split('\r\n')[0]}`);
        requestsOnSocket++;
        // First connection: answer one request with keep-alive, then die silently on the next one.
        if (n === 1 && requestsOnSocket === 2) return socket.destroy();
        socket.write('HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\n{}');
      });
    });
    const { port, finished } = await proxyTo(await listen(upstream));
    const agent = new http.Agent({ keepAlive: false });
    const get = (p: string) =>
      new Promise<number>((resolve, reject) => {
        http
          .request({ port, path: p, method: 'POST', agent, headers: { 'content-type': 'application/json' } }, (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode!));
          })
          .on('error', reject)
          .end('{"a":1}');
      });
    expect(await get('/v1/one')).toBe(200);
    expect(await get('/v1/two')).toBe(200);
    expect(seen).toEqual(['conn1:POST /v1/one HTTP/1.1', 'conn1:POST /v1/two HTTP/1.1', 'conn2:POST /v1/two HTTP/1.1']);
    expect(finished.map((f) => f.state)).toEqual(['complete', 'complete']);
  });
});

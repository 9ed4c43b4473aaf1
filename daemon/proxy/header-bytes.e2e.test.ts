/**
 * Response header bytes through the real daemon: a raw TCP upstream writes header values with octets
 * 0x80–0xFF (latin1 text, UTF-8 text, every high byte, and a garbled rate-limit header) and a raw client
 * reads what the daemon sends. The head must be byte-identical, whatever path the body takes (Content-Length
 * with its last chunk held for the journal, a chunked event stream whose head leaves alone, a cache replay).
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDaemon, type RunningDaemon } from '../index.ts';
import { silentLogger } from '../log.ts';

const HIGH = Buffer.from(Array.from({ length: 128 }, (_, i) => 0x80 + i));
/** Header lines (name + value bytes) the upstream sends and the client must receive unchanged. */
const ODD_LINES: Buffer[] = [
  Buffer.concat([Buffer.from('X-Latin: caf'), Buffer.from([0xe9])]),
  Buffer.concat([Buffer.from('X-Utf8: caf'), Buffer.from([0xc3, 0xa9]), Buffer.from(' '), Buffer.from([0xe2, 0x80, 0x93])]),
  Buffer.concat([Buffer.from('X-High: <'), HIGH, Buffer.from('>')]),
  Buffer.concat([Buffer.from('anthropic-ratelimit-unified-5h-utilization: 0.5'), Buffer.from([0xff, 0xfe])]),
];

const JSON_BODY = '{"id":"msg_1","type":"message","model":"claude-sonnet-4-6","usage":{"input_tokens":3,"output_tokens":4}}';
const SSE_EVENTS = [
  'event: message_start\ndata: {"type":"message_start","message":{"id":"msg_2","model":"claude-sonnet-4-6","usage":{"input_tokens":3,"output_tokens":1}}}\n\n',
  'event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":4}}\n\n',
  'event: message_stop\ndata: {"type":"message_stop"}\n\n',
];

function head(status: string, lines: Buffer[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`HTTP/1.1 ${status}\r\n`)];
  for (const l of lines) parts.push(l, Buffer.from('\r\n'));
  parts.push(Buffer.from('\r\n'));
  return Buffer.concat(parts);
}

let upstream: net.Server;
let upstreamCalls = 0;
let daemon: RunningDaemon;
const dirs: string[] = [];

beforeAll(async () => {
  upstream = net.createServer((socket) => {
    let seen = '';
    socket.on('data', (d: Buffer) => {
      seen += d.toString('latin1');
      if (!seen.includes('\r\n\r\n') || !seen.includes('}')) return;
      const stream = seen.includes('"stream":true');
      seen = '';
      upstreamCalls++;
      if (stream) {
        socket.write(head('200 OK', [Buffer.from('Content-Type: text/event-stream'), ...ODD_LINES, Buffer.from('Transfer-Encoding: chunked'), Buffer.from('Connection: close')]));
        for (const e of SSE_EVENTS) socket.write(`${Buffer.byteLength(e).toString(16)}\r\n${e}\r\n`);
        socket.end('0\r\n\r\n');
      } else {
        socket.end(Buffer.concat([head('200 OK', [Buffer.from('Content-Type: application/json'), ...ODD_LINES, Buffer.from(`Content-Length: ${JSON_BODY.length}`), Buffer.from('Connection: close')]), Buffer.from(JSON_BODY)]));
      }
    });
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', () => r()));
  const port = (upstream.address() as AddressInfo).port;
  for (const p of ['cco-hdr-data-', 'cco-hdr-config-', 'cco-hdr-cache-']) dirs.push(fs.mkdtempSync(path.join(os.tmpdir(), p)));
  daemon = await startDaemon({
    port: 0,
    upstreamUrl: `http://127.0.0.1:${port}`,
    dataDir: dirs[0]!,
    configDir: dirs[1]!,
    pidDir: false,
    rateLimit: false,
    log: silentLogger,
    apiKey: '',
    cache: { enabled: true, dir: dirs[2]! },
  });
});

afterAll(async () => {
  await daemon?.close();
  await new Promise((r) => upstream?.close(r));
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

function rawPost(body: string, extra = ''): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = net.connect(daemon.port, '127.0.0.1', () =>
      socket.write(`POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1:${daemon.port}\r\nx-api-key: sk-ant-api03-hdr\r\nContent-Type: application/json\r\n${extra}Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`),
    );
    socket.on('data', (d: Buffer) => chunks.push(d));
    socket.on('end', () => resolve(Buffer.concat(chunks)));
    socket.on('error', reject);
  });
}

function expectOddLinesExact(raw: Buffer) {
  const headEnd = raw.indexOf('\r\n\r\n');
  expect(headEnd).toBeGreaterThan(0);
  const headBytes = raw.subarray(0, headEnd + 2);
  for (const line of ODD_LINES) {
    const wanted = Buffer.concat([Buffer.from('\r\n'), line, Buffer.from('\r\n')]);
    expect(headBytes.indexOf(wanted), `${line.subarray(0, line.indexOf(':')).toString()} byte for byte`).toBeGreaterThan(0);
  }
}

describe('response header bytes through the daemon', () => {
  it('header values with octets 0x80-0xFF reach the client byte for byte (Content-Length body)', async () => {
    const raw = await rawPost('{"model":"claude-sonnet-4-6","max_tokens":8,"messages":[]}');
    expectOddLinesExact(raw);
    expect(raw.subarray(raw.indexOf('\r\n\r\n') + 4).toString()).toBe(JSON_BODY);
  });

  it('the same for a chunked event stream whose head leaves alone', async () => {
    const raw = await rawPost('{"model":"claude-sonnet-4-6","max_tokens":8,"stream":true,"messages":[]}');
    expectOddLinesExact(raw);
    expect(raw.toString('latin1')).toContain('message_stop');
  });

  it('the same for an answer replayed from the response cache', async () => {
    const body = '{"model":"claude-sonnet-4-6","max_tokens":9,"messages":[]}';
    expectOddLinesExact(await rawPost(body, 'x-cco-cache: on\r\n'));
    let replayed: Buffer | null = null;
    // the entry is written in the background: ask again until an answer comes without reaching the upstream
    for (let i = 0; i < 50 && replayed === null; i++) {
      const before = upstreamCalls;
      const raw = await rawPost(body, 'x-cco-cache: on\r\n');
      if (upstreamCalls === before) replayed = raw;
      else await new Promise((r) => setTimeout(r, 20));
    }
    expect(replayed, 'a cache hit').not.toBeNull();
    expectOddLinesExact(replayed!);
  });
});

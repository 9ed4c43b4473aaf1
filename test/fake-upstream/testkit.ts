/** Helpers shared by the fake upstream's own tests (raw HTTP without any decoding). */
import { request } from 'node:http';
import { connect } from 'node:net';
import { gunzipSync } from 'node:zlib';

export const API_KEY = 'sk-ant-test';

export const JSON_HEADERS: Record<string, string> = {
  'x-api-key': API_KEY,
  'anthropic-version': '2023-06-01',
  'content-type': 'application/json',
};

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** Body bytes as they came off the wire (still compressed when content-encoding is gzip). */
  raw: Buffer;
  /** Each `data` chunk as the client's socket delivered it. */
  chunks: Buffer[];
  /** The body decoded (gunzipped when needed) as UTF-8. */
  text: string;
  /** How the body ended: 'end' (clean) or 'error' (socket reset / aborted mid-body). */
  ending: 'end' | 'error';
}

/** POST/GET with node:http so nothing is decoded or normalised on the way. */
export function rawRequest(url: string, opts: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const headers = opts.headers;
    const req = request(url, { method: opts.method ?? (opts.body === undefined ? 'GET' : 'POST'), headers }, (res) => {
      const chunks: Buffer[] = [];
      let done = false;
      const finish = (ending: 'end' | 'error'): void => {
        if (done) return;
        done = true;
        const raw = Buffer.concat(chunks);
        let text: string;
        try {
          text = res.headers['content-encoding'] === 'gzip' ? gunzipSync(raw, { finishFlush: 2 }).toString('utf8') : raw.toString('utf8');
        } catch {
          text = '';
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, raw, chunks, text, ending });
      };
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => finish('end'));
      res.on('error', () => finish('error'));
      res.on('aborted', () => finish('error'));
      res.on('close', () => finish(res.complete ? 'end' : 'error'));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

export interface SseEvent {
  event: string;
  data: Record<string, unknown>;
}

/** Parse a complete SSE text into events (tests only; the fake's output is one data line per event). */
export function parseSse(text: string): SseEvent[] {
  return text
    .split('\n\n')
    .filter((b) => b.trim() !== '')
    .map((block) => {
      const lines = block.split('\n');
      const event = lines.find((l) => l.startsWith('event: '))?.slice(7) ?? '';
      const data = lines.find((l) => l.startsWith('data: '))?.slice(6) ?? '{}';
      return { event, data: JSON.parse(data) as Record<string, unknown> };
    });
}

export function messagesBody(extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ model: 'claude-sonnet-4-6', max_tokens: 256, messages: [{ role: 'user', content: 'Hello there' }], ...extra });
}

/**
 * Send a request with exactly these header lines (casing, order, duplicates) over a plain socket
 * (`Connection: close` is appended) and return the raw response text.
 */
export function socketRequest(url: string, method: string, path: string, headers: [string, string][], body: Buffer): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const sock = connect(Number(port), hostname, () => {
      const head = [`${method} ${path} HTTP/1.1`, `Host: ${hostname}:${port}`, ...headers.map(([k, v]) => `${k}: ${v}`), 'Connection: close', '', ''].join('\r\n');
      sock.write(Buffer.concat([Buffer.from(head, 'latin1'), body]));
    });
    const chunks: Buffer[] = [];
    sock.on('data', (c: Buffer) => chunks.push(c));
    sock.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    sock.on('error', reject);
  });
}

/**
 * Per-IP limits for the daemon's own surface (API, dashboard, live feed) — never the proxy path, which
 * must not throttle Claude Code. Two limits, from the seed (§11.3):
 *   - at most `maxConnections` requests in flight plus open live-feed sockets per IP (default 10);
 *   - `requestsPerMinute` per IP (default 100), as a token bucket: a burst of that many, then refilled
 *     evenly over the minute.
 * Over a limit the answer is 429 with `Retry-After` (seconds). The client IP is the socket's peer
 * address; forwarded-for headers are not trusted.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';

export interface RateLimitOptions {
  requestsPerMinute?: number;
  maxConnections?: number;
  /** Clock (ms); tests may pass their own. */
  now?: () => number;
}

export type Admission = { ok: true; release: () => void } | { ok: false; retryAfter: number; reason: 'rate' | 'connections' };

export interface RateLimiter {
  readonly requestsPerMinute: number;
  readonly maxConnections: number;
  /** Take one request (and one connection slot) for `ip`; call `release` when it ends. */
  admit(ip: string): Admission;
  /** Connect/express middleware. */
  middleware(req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void): void;
  /** For WS upgrades: admits and holds a slot while the socket is open, or answers 429 and returns false. */
  admitUpgrade(req: IncomingMessage, socket: Duplex): boolean;
  /** Tracked IPs (for tests and /metrics). */
  size(): number;
}

interface Bucket {
  tokens: number;
  at: number;
  open: number;
}

export function clientIp(req: IncomingMessage): string {
  const a = req.socket.remoteAddress ?? 'unknown';
  return a.startsWith('::ffff:') ? a.slice(7) : a;
}

export function createRateLimiter(opts: RateLimitOptions = {}): RateLimiter {
  const rpm = opts.requestsPerMinute ?? 100;
  const maxConn = opts.maxConnections ?? 10;
  const now = opts.now ?? Date.now;
  const perMs = rpm / 60_000;
  const buckets = new Map<string, Bucket>();
  let lastSweep = now();

  const sweep = (t: number) => {
    if (t - lastSweep < 60_000) return;
    lastSweep = t;
    for (const [ip, b] of buckets) if (b.open === 0 && b.tokens + (t - b.at) * perMs >= rpm) buckets.delete(ip);
  };

  const admit = (ip: string): Admission => {
    const t = now();
    sweep(t);
    let b = buckets.get(ip);
    if (!b) buckets.set(ip, (b = { tokens: rpm, at: t, open: 0 }));
    b.tokens = Math.min(rpm, b.tokens + (t - b.at) * perMs);
    b.at = t;
    if (b.open >= maxConn) return { ok: false, retryAfter: 1, reason: 'connections' };
    if (b.tokens < 1) return { ok: false, retryAfter: Math.max(1, Math.ceil((1 - b.tokens) / perMs / 1000)), reason: 'rate' };
    b.tokens -= 1;
    b.open += 1;
    const bucket = b;
    let released = false;
    return {
      ok: true,
      release() {
        if (released) return;
        released = true;
        bucket.open -= 1;
      },
    };
  };

  const message = (a: Extract<Admission, { ok: false }>) =>
    a.reason === 'rate'
      ? `Too many requests to the CCO daemon (limit ${rpm} per minute per address); retry in ${a.retryAfter} s`
      : `Too many concurrent connections to the CCO daemon (limit ${maxConn} per address)`;

  return {
    requestsPerMinute: rpm,
    maxConnections: maxConn,
    admit,
    middleware(req, res, next) {
      const a = admit(clientIp(req));
      if (!a.ok) {
        res.writeHead(429, { 'content-type': 'application/json', 'retry-after': String(a.retryAfter) });
        res.end(JSON.stringify({ error: { type: 'rate_limit_error', message: message(a) } }));
        return;
      }
      res.once('close', a.release);
      next();
    },
    admitUpgrade(req, socket) {
      const a = admit(clientIp(req));
      if (!a.ok) {
        const body = message(a) + '\n';
        socket.end(`HTTP/1.1 429 Too Many Requests\r\nretry-after: ${a.retryAfter}\r\ncontent-type: text/plain\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
        return false;
      }
      socket.once('close', a.release);
      return true;
    },
    size: () => buckets.size,
  };
}

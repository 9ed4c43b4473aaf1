/**
 * Limits for the daemon's own surface (API and live feed) — never the proxy path, which must not throttle
 * Claude Code, and never /health, /ready or the dashboard's files. It runs only AFTER the token, Host and
 * Origin checks (api/app.ts, api/live.ts), so a web page without the token cannot spend a bucket that CCO's
 * own screens use. Two limits per client key:
 *   - at most `maxConnections` requests in flight plus open live-feed sockets (default 64);
 *   - `requestsPerMinute` (default 6000), as a token bucket: a burst of that many, then refilled evenly.
 * The key is the credential presented (bearer token, cookie or `?token=` of the live feed, hashed): each kind
 * gets its own bucket, so the dashboard (cookie) never waits for the popover, TUI or statusline (bearer).
 * A peer that is not loopback (a daemon bound beyond loopback) is keyed by its address too.
 * Over a limit the answer is 429 with `Retry-After` (seconds). Time is monotonic (performance.now()): a
 * wall-clock step (NTP, DST, a user changing the time) neither refills nor drains a bucket.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { isLoopbackAddress, readCookie, TOKEN_COOKIE } from '../api/auth.ts';

/** Defaults: CCO's own screens (dashboard, popover, TUI, statusline, tray) under live traffic stay far below. */
export const DEFAULT_REQUESTS_PER_MINUTE = 6000;
export const DEFAULT_MAX_CONNECTIONS = 64;

export interface RateLimitOptions {
  requestsPerMinute?: number;
  maxConnections?: number;
  /** Monotonic clock (ms); default performance.now(). Tests may pass their own. */
  now?: () => number;
}

export type Admission = { ok: true; release: () => void } | { ok: false; retryAfter: number; reason: 'rate' | 'connections' };

export interface RateLimiter {
  readonly requestsPerMinute: number;
  readonly maxConnections: number;
  /** Take one request (and one connection slot) for a client key (see clientKey); call `release` when it ends. */
  admit(key: string): Admission;
  /** Connect/express middleware; mount it after the trust checks. */
  middleware(req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void): void;
  /** For WS upgrades (after the trust checks): admits and holds a slot while the socket is open, or answers 429 and returns false. */
  admitUpgrade(req: IncomingMessage, socket: Duplex): boolean;
  /** Tracked keys (for tests and /metrics). */
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

/**
 * The bucket a request counts against: the kind and a hash of the credential it presented (the same
 * precedence as auth.ts's presentedToken), prefixed by the peer address when that is not loopback.
 */
export function clientKey(req: IncomingMessage): string {
  const h = req.headers;
  let credential = 'none';
  if (h.authorization?.startsWith('Bearer ')) credential = `bearer:${digest(h.authorization.slice(7).trim())}`;
  else {
    const cookie = readCookie(h.cookie, TOKEN_COOKIE);
    if (cookie !== undefined) credential = `cookie:${digest(cookie)}`;
    else {
      const q = (req.url ?? '').indexOf('?');
      const token = q === -1 ? null : new URLSearchParams(req.url!.slice(q + 1)).get('token');
      if (token) credential = `query:${digest(token)}`;
    }
  }
  const ip = clientIp(req);
  return isLoopbackAddress(ip) ? credential : `${ip}|${credential}`;
}

function digest(secret: string): string {
  return createHash('sha256').update(secret).digest('base64url').slice(0, 16);
}

export function createRateLimiter(opts: RateLimitOptions = {}): RateLimiter {
  const rpm = opts.requestsPerMinute ?? DEFAULT_REQUESTS_PER_MINUTE;
  const maxConn = opts.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
  const now = opts.now ?? (() => performance.now());
  const perMs = rpm / 60_000;
  const buckets = new Map<string, Bucket>();
  let lastSweep = now();

  const sweep = (t: number) => {
    if (t - lastSweep < 60_000) return;
    lastSweep = t;
    for (const [key, b] of buckets) if (b.open === 0 && b.tokens + (t - b.at) * perMs >= rpm) buckets.delete(key);
  };

  const admit = (key: string): Admission => {
    const t = now();
    sweep(t);
    let b = buckets.get(key);
    if (!b) buckets.set(key, (b = { tokens: rpm, at: t, open: 0 }));
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
      ? `Too many requests to the CCO daemon (limit ${rpm} per minute per client); retry in ${a.retryAfter} s`
      : `Too many concurrent connections to the CCO daemon (limit ${maxConn} per client)`;

  return {
    requestsPerMinute: rpm,
    maxConnections: maxConn,
    admit,
    middleware(req, res, next) {
      const a = admit(clientKey(req));
      if (!a.ok) {
        res.writeHead(429, { 'content-type': 'application/json', 'retry-after': String(a.retryAfter) });
        res.end(JSON.stringify({ error: { type: 'rate_limit_error', message: message(a) } }));
        return;
      }
      res.once('close', a.release);
      next();
    },
    admitUpgrade(req, socket) {
      const a = admit(clientKey(req));
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

/**
 * Trust checks for the daemon's own surface (API, live feed, dashboard), as pure functions.
 * docs/architecture.md, "Security": a token (bearer header, or a cookie set by opening `/?token=…` or by the
 * login form), a Host allow-list against DNS rebinding, and an Origin allow-list against other web pages.
 * Two kinds of token (docs/team.md, "Dashboard login"): the daemon token (the whole surface) and, when users
 * exist, a per-user token (`cco users add`), which makes the request a `user` viewer scoped to its records.
 */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { Viewer } from '../../shared/contract.ts';

export const TOKEN_COOKIE = 'cco_token';

export interface TrustPolicy {
  token: string;
  /** `host:port` values the daemon answers to. */
  hosts: ReadonlySet<string>;
  /** Full origins allowed besides the daemon's own (e.g. the Electron app's). */
  origins: ReadonlySet<string>;
  /** A per-user token's user (users.json), or null; absent = no user logins. */
  userOf?: (token: string) => string | null;
  /** Gateway mode (beyond loopback, or users configured): the daemon token is `admin`, else `local`. */
  gateway?: () => boolean;
}

export function loopbackHosts(port: number, bindHost: string): Set<string> {
  const hosts = new Set([`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`]);
  if (bindHost && bindHost !== '0.0.0.0' && bindHost !== '::') {
    hosts.add(`${bindHost.includes(':') && !bindHost.startsWith('[') ? `[${bindHost}]` : bindHost}:${port}`);
  }
  return hosts;
}

const NAME_RE = /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*(?::\d{1,5})?$|^\[[0-9a-f:.]+\](?::\d{1,5})?$/;

/**
 * `[server] names` (comma-separated `host[:port]`): the names browsers reach a gateway by, besides the loopback
 * ones. Lower-cased; null when one is not a host name (a scheme, a path, a space, a wildcard).
 */
export function parseServerNames(text: string): string[] | null {
  const names = text.split(',').map((n) => n.trim().toLowerCase()).filter((n) => n !== '');
  return names.every((n) => NAME_RE.test(n)) ? names : null;
}

/**
 * Host header values and TLS origins a configured name allows: `name:port` for browsers that reach the daemon
 * directly, the name as given for a reverse proxy on the default port (or its own port, when one is given),
 * and `https://…` for a TLS-terminating proxy in front.
 */
export function serverNameTrust(names: readonly string[], port: number): { hosts: string[]; origins: string[] } {
  const hosts: string[] = [];
  const origins: string[] = [];
  for (const n of names) {
    const hasPort = /:\d+$/.test(n) && !n.endsWith(']');
    hosts.push(n);
    if (!hasPort) hosts.push(`${n}:${port}`);
    origins.push(`https://${n}`);
  }
  return { hosts, origins };
}

/** A peer or bind address on the loopback interface (127.0.0.0/8, ::1, IPv4-mapped 127.x, `localhost`). */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (!address) return false;
  const a = address.toLowerCase().replace(/^\[|\]$/g, '');
  if (a === 'localhost' || a === '::1' || a === '0:0:0:0:0:0:0:1') return true;
  const v4 = a.startsWith('::ffff:') ? a.slice(7) : a;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4);
}

/** Listening on this address makes the daemon reachable from other machines (0.0.0.0, ::, a LAN address). */
export function bindsBeyondLoopback(bindHost: string): boolean {
  return !isLoopbackAddress(bindHost);
}

export function hostAllowed(policy: Pick<TrustPolicy, 'hosts'>, host: string | undefined): boolean {
  return host !== undefined && policy.hosts.has(host.toLowerCase());
}

/** No Origin (non-browser clients, same-origin GETs) is fine; otherwise it must be ours. */
export function originAllowed(policy: TrustPolicy, origin: string | undefined): boolean {
  if (origin === undefined) return true;
  if (policy.origins.has(origin)) return true;
  try {
    const url = new URL(origin);
    return url.protocol === 'http:' && policy.hosts.has(url.host);
  } catch {
    return false;
  }
}

export function tokenMatches(policy: TrustPolicy, candidate: string | undefined): boolean {
  if (!candidate) return false;
  const a = Buffer.from(candidate);
  const b = Buffer.from(policy.token);
  return a.length === b.length && timingSafeEqual(a, b);
}

export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return undefined;
}

/** The token a request presents: `Authorization: Bearer`, else the cookie, else (live feed only) `?token=`. */
export function presentedToken(headers: IncomingHttpHeaders, queryToken?: string | null): string | undefined {
  const auth = headers.authorization;
  if (auth?.startsWith('Bearer ')) return auth.slice(7).trim();
  return readCookie(headers.cookie, TOKEN_COOKIE) ?? queryToken ?? undefined;
}

/** The viewer a token makes: the daemon token's (admin or local), a user's, or null for neither. */
export function viewerOf(policy: TrustPolicy, candidate: string | undefined): Viewer | null {
  if (!candidate) return null;
  if (tokenMatches(policy, candidate)) return { kind: policy.gateway?.() ? 'admin' : 'local' };
  const user = policy.userOf?.(candidate) ?? null;
  return user === null ? null : { kind: 'user', user };
}

export type Verdict = { ok: true; viewer: Viewer } | { ok: false; status: 401 | 403; message: string };

/** Host and Origin only (the login form's POST, before any token is known). */
export function checkSite(policy: TrustPolicy, headers: IncomingHttpHeaders): { ok: true } | { ok: false; status: 403; message: string } {
  if (!hostAllowed(policy, headers.host)) return { ok: false, status: 403, message: `Host ${headers.host ?? '(none)'} is not allowed` };
  if (!originAllowed(policy, headers.origin)) return { ok: false, status: 403, message: `Origin ${headers.origin} is not allowed` };
  return { ok: true };
}

export function checkRequest(policy: TrustPolicy, headers: IncomingHttpHeaders, queryToken?: string | null): Verdict {
  const site = checkSite(policy, headers);
  if (!site.ok) return site;
  const viewer = viewerOf(policy, presentedToken(headers, queryToken));
  if (!viewer) {
    return { ok: false, status: 401, message: 'Missing or invalid CCO token: open the dashboard URL the daemon printed, or send Authorization: Bearer <token>' };
  }
  return { ok: true, viewer };
}

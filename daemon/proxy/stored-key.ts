/**
 * When the proxy may add the stored Anthropic key (ANTHROPIC_API_KEY or the credential store's key) to a
 * request that carries no credential of its own. Pure: one decision from the request's headers and peer.
 *
 * The key is spent only for a request that is provably from a local, non-browser client:
 *   - the daemon listens on loopback only (bound beyond loopback, the key is never added: see below);
 *   - the peer address is loopback;
 *   - `Host` is one of the daemon's own loopback names and port (auth.ts's list, the same one the API checks),
 *     so a DNS-rebinding page (Host: evil.com:PORT) gets no key;
 *   - no browser marks: no `Origin`, no `Sec-Fetch-Site`/`-Dest`/`-User` (a browser sends them together with
 *     `Sec-Fetch-Mode`, also on same-origin GETs and `<img>` loads; `Sec-Fetch-Mode: cors` ALONE is what
 *     Node's own fetch (undici) sends, so it is not a browser mark), no `Referer` to another site, no browser
 *     `User-Agent` (`Mozilla/…`).
 * Anything else is forwarded unchanged, without the key: the upstream answers 401 itself.
 *
 * Bound beyond loopback (`--host 0.0.0.0`) injection is off: the daemon would otherwise be an open relay
 * spending the key for anyone on the network. The seam for CCO proxy tokens (team issue) is here: a
 * request presenting a valid proxy token would be allowed the key in that case.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { hostAllowed, isLoopbackAddress, type TrustPolicy } from '../api/auth.ts';

export interface StoredKeyContext {
  /** The daemon's own `host:port` names (TrustPolicy.hosts, filled once the port is known). */
  policy: Pick<TrustPolicy, 'hosts'>;
  /** The daemon listens beyond loopback (0.0.0.0, ::, a LAN address). */
  exposed: boolean;
}

/** The parts of an IncomingMessage the decision reads. */
export interface KeyRequest {
  headers: IncomingHttpHeaders;
  socket: { remoteAddress?: string | undefined };
}

export type KeyDecision = { inject: true } | { inject: false; reason: string };

export function mayInjectStoredKey(req: KeyRequest, ctx: StoredKeyContext): KeyDecision {
  // Until CCO proxy tokens exist, an exposed daemon never spends the stored key.
  if (ctx.exposed) return { inject: false, reason: 'the daemon listens beyond loopback' };
  if (!isLoopbackAddress(req.socket.remoteAddress)) return { inject: false, reason: `peer ${req.socket.remoteAddress ?? '(unknown)'} is not loopback` };
  const h = req.headers;
  if (!hostAllowed(ctx.policy, h.host)) return { inject: false, reason: `Host ${h.host ?? '(none)'} is not the daemon's own` };
  if (h.origin !== undefined) return { inject: false, reason: 'browser request (Origin)' };
  for (const name of Object.keys(h)) {
    if (name.startsWith('sec-fetch-') && name !== 'sec-fetch-mode') return { inject: false, reason: `browser request (${name})` };
  }
  if (h.referer !== undefined && !refersToSelf(ctx, h.referer)) return { inject: false, reason: 'browser request (Referer to another site)' };
  if (h['user-agent']?.startsWith('Mozilla/')) return { inject: false, reason: 'browser request (User-Agent)' };
  return { inject: true };
}

function refersToSelf(ctx: StoredKeyContext, referer: string): boolean {
  try {
    const url = new URL(referer);
    return url.protocol === 'http:' && ctx.policy.hosts.has(url.host.toLowerCase());
  } catch {
    return false;
  }
}

/** The start-up warning for a daemon bound beyond loopback (log and `cco run`'s stdout). */
export function exposedWarning(bindHost: string, port: number): string {
  return (
    `WARNING: CCO listens on ${bindHost}:${port}, beyond loopback: other machines can reach the proxy. ` +
    'Central gateway mode: only requests with a valid per-user token (x-cco-token, `cco users add NAME`) are forwarded; ' +
    'the stored Anthropic key is NOT added to any other request. Bind 127.0.0.1 (the default) for a single machine.'
  );
}

/**
 * The popover/dashboard are served from app://cco and read the daemon at http://127.0.0.1:<port> with a
 * bearer token, which is a cross-origin request. The daemon (as of this commit) sends no CORS headers and
 * answers the preflight OPTIONS with 401, so main adds exactly the CORS grant for our own origin, for the
 * daemon's origin only, via session.webRequest.onHeadersReceived. If the daemon grows native CORS support
 * this stays harmless (headers are replaced, not duplicated).
 */
import type { OnHeadersReceivedListenerDetails, HeadersReceivedResponse, Session } from 'electron';

export interface CorsContext {
  /** Origin of the running daemon, e.g. http://127.0.0.1:3000; null while it is not ready. */
  daemonOrigin: string | null;
  appOrigin: string;
}

const GRANT_HEADERS = ['access-control-allow-origin', 'access-control-allow-headers', 'access-control-allow-methods', 'access-control-max-age', 'vary'];

/** Pure: the header/status patch for one response, or null to leave it untouched. */
export function corsPatch(
  details: Pick<OnHeadersReceivedListenerDetails, 'url' | 'method' | 'initiatorOrigin' | 'statusCode' | 'responseHeaders'>,
  ctx: CorsContext,
): HeadersReceivedResponse | null {
  if (!ctx.daemonOrigin || details.initiatorOrigin !== ctx.appOrigin) return null;
  let origin: string;
  try {
    origin = new URL(details.url).origin;
  } catch {
    return null;
  }
  if (origin !== ctx.daemonOrigin) return null;
  const headers: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(details.responseHeaders ?? {})) {
    if (!GRANT_HEADERS.includes(k.toLowerCase())) headers[k] = v;
  }
  headers['Access-Control-Allow-Origin'] = [ctx.appOrigin];
  headers['Vary'] = ['Origin'];
  if (details.method === 'OPTIONS') {
    headers['Access-Control-Allow-Headers'] = ['authorization, content-type'];
    headers['Access-Control-Allow-Methods'] = ['GET, HEAD, OPTIONS'];
    headers['Access-Control-Max-Age'] = ['600'];
    // A preflight carries no credentials, so the daemon refuses it; the real request is still authenticated.
    if (details.statusCode >= 400) return { responseHeaders: headers, statusLine: 'HTTP/1.1 204 No Content' };
  }
  return { responseHeaders: headers };
}

export function installDaemonCors(session: Pick<Session, 'webRequest'>, ctx: () => CorsContext): void {
  session.webRequest.onHeadersReceived({ urls: ['http://127.0.0.1/*', 'http://localhost/*', 'http://127.0.0.1:*/*', 'http://localhost:*/*'] }, (details, callback) => {
    callback(corsPatch(details, ctx()) ?? {});
  });
}

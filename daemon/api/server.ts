/**
 * One HTTP server, two surfaces: the daemon's own routes (API, live feed, dashboard) and the transparent
 * proxy for everything else (`/v1/*` and any unknown path, so new Anthropic endpoints just work).
 */
import http from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { LiveFeed } from './live.ts';
import { apiRootOf } from './access.ts';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * The daemon's own API roots (access.ts, each with who may use it). Other /api/* paths are Anthropic's
 * (older Claude Code builds POST /api/event_logging/batch to the base URL), so they are forwarded like any
 * unknown path.
 */
function ownApiPath(path: string): boolean {
  return apiRootOf(path) !== null;
}

/** Paths served by the daemon itself; all others are forwarded upstream. */
export function isOwnRoute(method: string, url: string, accept: string | undefined): boolean {
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  if (path.startsWith('/v1/')) return false;
  if (ownApiPath(path) || path === '/health' || path === '/ready' || path === '/metrics') return true;
  if (method !== 'GET' && method !== 'HEAD') return false;
  if (path === '/' || path === '/index.html' || path === '/popover' || path === '/favicon.ico' || path.startsWith('/assets/')) return true;
  // Browser navigations to the dashboard's own routes (deep links) accept HTML; API clients do not.
  return method === 'GET' && accept !== undefined && accept.includes('text/html');
}

export function createDaemonServer(opts: { api: Handler; proxy: Handler; live: LiveFeed }): http.Server {
  const server = http.createServer(
    {
      noDelay: true,
      keepAlive: true,
      // Claude Code keeps connections open between turns; be more patient than Node's 5 s default.
      keepAliveTimeout: 65_000,
      // Bounds only the upload of a request; responses (streams) have no total timeout.
      requestTimeout: 15 * 60_000,
    },
    (req, res) => {
      const method = req.method ?? 'GET';
      const url = req.url ?? '/';
      // Claude Code probes the base URL with HEAD / at start; answer locally.
      if (method === 'HEAD' && (url === '/' || url.startsWith('/?'))) {
        res.writeHead(200, { 'content-length': '0' });
        res.end();
        return;
      }
      if (isOwnRoute(method, url, req.headers.accept)) opts.api(req, res);
      else opts.proxy(req, res);
    },
  );
  server.on('upgrade', (req, socket, head) => {
    // Node hands an upgrade's socket over without its error listener. A client that resets the connection
    // while CCO refuses it (401/403/429 written with socket.end) or before `ws` has taken it would raise an
    // uncaught ECONNRESET and take the daemon down. `ws` adds its own listeners once it owns the socket.
    socket.on('error', () => socket.destroy());
    if (!opts.live.handleUpgrade(req, socket, head)) socket.destroy();
  });
  return server;
}

/**
 * WS /api/live: pushes each finished record to every connected client. Slow consumers are dropped rather
 * than buffered without bound; clients reconnect and re-read state over HTTP.
 *
 * A client logged in with a user token (docs/team.md, "Dashboard login") gets only that user's `request`
 * frames (the dashboard adds them to its figures, so that is also all it learns of the summaries) and, of the
 * broadcasts (limits, alerts, import progress), which are about the whole daemon, only the alerts on that
 * user's own budget caps (the caps GET /api/budgets shows them).
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { LiveMessage, RequestRecord, Viewer } from '../../shared/contract.ts';
import { checkRequest, type TrustPolicy } from './auth.ts';

const MAX_BUFFERED = 4 * 1024 * 1024;

export interface LiveFeed {
  /** Handles an HTTP upgrade for /api/live; returns false when the path is not ours. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean;
  /** `json`: the record already serialised (the store's journal line), so a record is serialised once. */
  publish(record: RequestRecord, json?: string | null): void;
  /** Sends any other live message (e.g. `limits`) to every client logged in with the daemon token (and an
   * alert on one user's budget to that user's clients). */
  broadcast(msg: LiveMessage): void;
  clients(): number;
  /** Records published since start (the hello frame's and the API's `seq`). */
  seq(): number;
  close(): void;
}

export function createLiveFeed(
  policy: TrustPolicy,
  version: string,
  opts?: { /** Rate limit: false = refused (it answered the socket). */ admit?: (req: IncomingMessage, socket: Duplex) => boolean },
): LiveFeed {
  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  const viewers = new WeakMap<WebSocket, Viewer>();
  /** The user a client is narrowed to, undefined for the daemon token; null: not known (never sent to). */
  const scopeOf = (ws: WebSocket): string | undefined | null => {
    const v = viewers.get(ws);
    if (!v) return null;
    return v.kind === 'user' ? v.user : undefined;
  };
  let published = 0;
  const heartbeat = setInterval(() => {
    for (const ws of wss.clients) ws.ping();
  }, 30_000);
  heartbeat.unref();

  const send = (ws: WebSocket, msg: string) => {
    if (ws.readyState !== ws.OPEN) return;
    if (ws.bufferedAmount > MAX_BUFFERED) {
      ws.terminate();
      return;
    }
    ws.send(msg);
  };

  return {
    handleUpgrade(req, socket, head) {
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (url.pathname !== '/api/live') return false;
      const verdict = checkRequest(policy, req.headers, url.searchParams.get('token'));
      if (!verdict.ok) {
        const reason = verdict.status === 401 ? 'Unauthorized' : 'Forbidden';
        socket.end(`HTTP/1.1 ${verdict.status} ${reason}\r\ncontent-type: text/plain\r\nconnection: close\r\n\r\n${verdict.message}\n`);
        return true;
      }
      // Rate limit only after the trust checks: a page without the token spends no one's bucket.
      if (opts?.admit && !opts.admit(req, socket)) return true;
      const viewer = verdict.viewer;
      wss.handleUpgrade(req, socket, head, (ws) => {
        viewers.set(ws, viewer);
        const hello: LiveMessage = { type: 'hello', version, serverTime: new Date().toISOString(), seq: published };
        send(ws, JSON.stringify(hello));
      });
      return true;
    },
    publish(record, json) {
      published++;
      if (wss.clients.size === 0) return;
      // The same text JSON.stringify({ type: 'request', record }) gives, without serialising the record again.
      const msg = json ? `{"type":"request","record":${json}}` : JSON.stringify({ type: 'request', record } satisfies LiveMessage);
      for (const ws of wss.clients) {
        const scope = scopeOf(ws);
        if (scope === undefined || (scope !== null && record.user === scope)) send(ws, msg);
      }
    },
    broadcast(msg) {
      if (wss.clients.size === 0) return;
      const text = JSON.stringify(msg);
      const user = msg.type === 'alert' ? msg.alert.user : undefined;
      for (const ws of wss.clients) {
        const scope = scopeOf(ws);
        if (scope === undefined || (user !== undefined && scope === user)) send(ws, text);
      }
    },
    clients: () => wss.clients.size,
    seq: () => published,
    close() {
      clearInterval(heartbeat);
      for (const ws of wss.clients) ws.terminate();
      wss.close();
    },
  };
}

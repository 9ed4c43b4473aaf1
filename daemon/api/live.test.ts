/**
 * The live feed's routing by viewer (live.ts): a real HTTP server and real WebSocket clients, one per token.
 * A user token gets its own request frames and the alerts on its own budget caps; the daemon-wide frames
 * (plan limits, other alerts, import progress) reach the daemon token only.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CcoAlert, LiveMessage } from '../../shared/contract.ts';
import { makeRecord } from '../store/test-fixtures.ts';
import { createLiveFeed, type LiveFeed } from './live.ts';

const alert = (key: string, user?: string): CcoAlert => ({ key, kind: 'budget', title: key, body: '', at: 1, ...(user !== undefined && { user }) });

describe('live feed routing', () => {
  let server: http.Server;
  let feed: LiveFeed;
  const sockets: Record<'admin' | 'alice' | 'bob', { ws: WebSocket; frames: LiveMessage[] }> = {} as never;

  beforeAll(async () => {
    server = http.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    const users: Record<string, string> = { 'tok-alice': 'alice', 'tok-bob': 'bob' };
    feed = createLiveFeed({ token: 'tok-admin', hosts: new Set([`127.0.0.1:${port}`]), origins: new Set(), userOf: (t) => users[t] ?? null, gateway: () => true }, 'test');
    server.on('upgrade', (req, socket, head) => {
      if (!feed.handleUpgrade(req, socket, head)) socket.destroy();
    });
    for (const [who, token] of [['admin', 'tok-admin'], ['alice', 'tok-alice'], ['bob', 'tok-bob']] as const) {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/api/live`, { headers: { authorization: `Bearer ${token}` } });
      const frames: LiveMessage[] = [];
      ws.on('message', (d) => frames.push(JSON.parse(String(d)) as LiveMessage));
      await new Promise((resolve, reject) => {
        ws.once('open', resolve);
        ws.once('unexpected-response', (_q, res) => reject(new Error(`refused ${res.statusCode}`)));
      });
      sockets[who] = { ws, frames };
    }
  });
  afterAll(async () => {
    feed?.close();
    await new Promise((r) => server?.close(r));
  });

  /** Every frame the server wrote before now has arrived (a pong follows them). */
  const settle = () => Promise.all(Object.values(sockets).map(({ ws }) => new Promise<void>((r) => { ws.once('pong', () => r()); ws.ping(); })));

  it('a user socket gets its own requests and its own budget alerts; the admin everything', async () => {
    feed.publish(makeRecord({ id: 'r-alice', user: 'alice' }));
    feed.publish(makeRecord({ id: 'r-bob', user: 'bob' }));
    feed.broadcast({ type: 'alert', alert: alert('budget:daily::user=alice', 'alice') });
    feed.broadcast({ type: 'alert', alert: alert('budget:monthly:') });
    feed.broadcast({ type: 'alert', alert: alert('budget:daily::user=bob', 'bob') });
    await settle();
    const seen = (who: 'admin' | 'alice' | 'bob') =>
      sockets[who].frames.flatMap((f) => (f.type === 'request' ? [f.record.id] : f.type === 'alert' ? [f.alert.key] : []));
    expect(seen('admin')).toEqual(['r-alice', 'r-bob', 'budget:daily::user=alice', 'budget:monthly:', 'budget:daily::user=bob']);
    expect(seen('alice')).toEqual(['r-alice', 'budget:daily::user=alice']);
    expect(seen('bob')).toEqual(['r-bob', 'budget:daily::user=bob']);
  });
});

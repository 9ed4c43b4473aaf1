/**
 * A client that resets its connection during a WebSocket upgrade must not crash the daemon. Node gives the
 * 'upgrade' handler a socket without an error listener; before the fix, each reset below was an uncaught
 * `read ECONNRESET` (seen in CI as an unhandled error while a dashboard test unmounted its live socket).
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startDaemon, type RunningDaemon } from '../index.ts';
import { silentLogger } from '../log.ts';

let daemon: RunningDaemon;
const dirs: string[] = [];

beforeAll(async () => {
  const tmp = (p: string): string => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), p));
    dirs.push(d);
    return d;
  };
  daemon = await startDaemon({ port: 0, upstreamUrl: 'http://127.0.0.1:9', dataDir: tmp('cco-upg-data-'), configDir: tmp('cco-upg-config-'), log: silentLogger, apiKey: '' });
});

afterAll(async () => {
  await daemon?.close();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

/** Sends an upgrade request and resets the connection (TCP RST) as soon as the daemon answers anything. */
function upgradeThenReset(target: string): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect(daemon.port, '127.0.0.1', () => {
      s.write(`GET ${target} HTTP/1.1\r\nHost: 127.0.0.1:${daemon.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`);
    });
    s.once('data', (chunk) => {
      s.resetAndDestroy();
      resolve(chunk.toString('latin1').split('\r\n')[0]!);
    });
    s.on('error', () => resolve('error'));
    s.on('close', () => resolve('closed'));
  });
}

it('survives clients that reset a refused or accepted upgrade', async () => {
  const uncaught: unknown[] = [];
  const onUncaught = (e: unknown): void => void uncaught.push(e);
  process.on('uncaughtException', onUncaught);
  try {
    const answers: string[] = [];
    for (let i = 0; i < 10; i++) {
      answers.push(await upgradeThenReset('/api/live')); // no token: 401, written with socket.end
      answers.push(await upgradeThenReset(`/api/live?token=${daemon.token}`)); // accepted: 101, then reset
      answers.push(await upgradeThenReset('/elsewhere')); // not a live path: destroyed
    }
    await new Promise((r) => setTimeout(r, 300)); // the resets arrive after the answers
    expect(answers.filter((a) => a.startsWith('HTTP/1.1 401')).length).toBe(10);
    expect(answers.filter((a) => a.startsWith('HTTP/1.1 101')).length).toBe(10);
    expect(uncaught).toEqual([]);
    expect((await fetch(`${daemon.url}/health`)).status).toBe(200);
  } finally {
    process.off('uncaughtException', onUncaught);
  }
});

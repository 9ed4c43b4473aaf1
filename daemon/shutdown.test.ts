/**
 * Shutdown with streams in flight (issue 13 item 7): SIGTERM to a real daemon process while 20 streams
 * from the fake upstream are stalled mid-response. Each is cut after the grace period and recorded (with
 * the usage seen) before the store closes: all 20 are stored after a restart.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDaemon } from './index.ts';
import { silentLogger } from './log.ts';
import { spawnFakeUpstream } from '../test/fake-upstream/process.ts';
import { allRecords, exitedWithin, killAllDaemons, runDaemon, waitForUrl } from '../test/daemon-process.ts';

type Fake = Awaited<ReturnType<typeof spawnFakeUpstream>>;
let fake: Fake;
const dirs: string[] = [];

beforeAll(async () => {
  fake = await spawnFakeUpstream({ seed: 7, pingIntervalMs: 500 });
});

afterAll(async () => {
  killAllDaemons();
  await fake?.close();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

describe('shutdown with streams in flight', () => {
  it('SIGTERM with 20 stalled streams: all 20 recorded (client_aborted, usage seen) after a restart', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cco-shutdown-'));
    dirs.push(dataDir);
    const p = runDaemon(['--port', '0', '--upstream', fake.url, '--data-dir', dataDir]);
    const url = await waitForUrl(p);
    const streams = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        const res = await fetch(`${url}/v1/messages`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-api-key': 'sk-ant-shutdown', 'anthropic-version': '2023-06-01', 'x-mock-scenario': 'stall_after:2' },
          body: JSON.stringify({ model: 'claude-haiku-4-5', max_tokens: 200, stream: true, messages: [{ role: 'user', content: `in flight ${i}` }] }),
        });
        expect(res.status).toBe(200);
        const reader = res.body!.getReader();
        let text = '';
        while (!text.includes('content_block_delta')) {
          const { value, done } = await reader.read();
          if (done) break;
          text += Buffer.from(value).toString('utf8');
        }
        const rest = (async () => {
          try {
            for (;;) if ((await reader.read()).done) return;
          } catch {
            // cut by the shutdown
          }
        })();
        return { rest }; // not the promise itself: an async function would wait for it
      }),
    );
    p.child.kill('SIGTERM');
    expect(await exitedWithin(p, 20_000)).toBe(0);
    await Promise.all(streams.map((s) => s.rest));

    const d = await startDaemon({ port: 0, upstreamUrl: fake.url, dataDir, log: silentLogger, apiKey: '', pidDir: false });
    try {
      const stored = await allRecords(d.store);
      expect(stored).toHaveLength(20);
      for (const r of stored) {
        expect(r.state).toBe('client_aborted');
        expect(r.tokens.input).toBeGreaterThan(0); // the usage of message_start was seen
      }
    } finally {
      await d.close();
    }
  }, 90_000);
});

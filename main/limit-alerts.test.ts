/**
 * Alerts reach the desktop once per crossing: the daemon (real port) with the fake upstream's plan limits,
 * the tray's SpendFeed on its live feed, and Electron's Notification (faked).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Notification } from 'electron';
import { startDaemon, type RunningDaemon } from '../daemon/index.ts';
import { silentLogger } from '../daemon/log.ts';
import { startFakeUpstream, type FakeUpstream } from '../test/fake-upstream/server.ts';
import { createAlertNotifier } from './limit-alerts.ts';
import { SpendFeed, type SpendFigures } from './spend-feed.ts';

vi.mock('electron', async () => (await import('./__mocks__/electron.ts')).createElectronFake());

const TOKEN = 'sk-ant-oat01-desktop-alerts';
const hash = createHash('sha256').update(TOKEN).digest('hex').slice(0, 16);
let up: FakeUpstream;
let daemon: RunningDaemon;
let dirs: string[];

beforeAll(async () => {
  up = await startFakeUpstream({ seed: 4 });
  dirs = [fs.mkdtempSync(path.join(os.tmpdir(), 'cco-alerts-data-')), fs.mkdtempSync(path.join(os.tmpdir(), 'cco-alerts-config-'))];
  daemon = await startDaemon({ port: 0, upstreamUrl: up.url, dataDir: dirs[0], configDir: dirs[1], pidDir: false, rateLimit: false, log: silentLogger, apiKey: '' });
});
afterAll(async () => {
  await daemon?.close();
  await up?.close();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

const call = () =>
  fetch(`${daemon.url}/v1/messages`, {
    method: 'POST',
    headers: { 'anthropic-version': '2023-06-01', 'content-type': 'application/json', authorization: `Bearer ${TOKEN}`, 'anthropic-beta': 'oauth-2025-04-20' },
    body: JSON.stringify({ model: 'claude-haiku-4-5', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] }),
  }).then((r) => r.status);

const until = async (cond: () => boolean, ms = 5000) => {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 25));
};

describe('desktop notifications for limit alerts', () => {
  it('fire once per crossing, and the tray figures carry the binding limit', async () => {
    const shown = (Notification as unknown as { shown: { title: string; body: string }[] }).shown;
    const desktop = createAlertNotifier(Notification as never);
    let figures: SpendFigures | null = null;
    const feed = new SpendFeed({ baseUrl: daemon.url, token: daemon.token, onUpdate: (f) => (figures = f), onAlert: (a) => void desktop.show(a), debounceMs: 20 });
    feed.start();
    try {
      expect(await call()).toBe(200);
      await new Promise((r) => setTimeout(r, 300)); // the live socket is open
      up.plan.setUtilization('5h', 0.82, hash);
      for (let i = 0; i < 3; i++) expect(await call()).toBe(200); // 82 % … seen three times
      await until(() => shown.length >= 2);
      await new Promise((r) => setTimeout(r, 300));
      // the 80 % crossing, and the API's status turning allowed_warning (the fake warns from 80 %)
      expect(shown.map((n) => n.title)).toEqual(['5-hour limit at 82%', 'Claude plan limit close']);
      up.plan.setUtilization('5h', 0.97, hash);
      expect(await call()).toBe(200);
      await until(() => shown.length >= 3);
      expect(await call()).toBe(200);
      await new Promise((r) => setTimeout(r, 300));
      expect(shown.map((n) => n.title)).toEqual(['5-hour limit at 82%', 'Claude plan limit close', '5-hour limit at 97%']);
      await until(() => (figures?.limit?.utilization ?? 0) > 0.9);
      expect(figures!.limit).toMatchObject({ window: '5h' });
    } finally {
      feed.stop();
    }
  });
});

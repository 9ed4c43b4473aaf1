/**
 * The tray's alert and budget entries against a real daemon (real port, the in-process fake upstream): the
 * menu built by TrayController (fake Tray and Menu) shows the entries the daemon's state calls for, and a click
 * on one changes the daemon (mute, lift for an hour or for the period, undo).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Anthropic, { APIError } from '@anthropic-ai/sdk';
import type { Menu, MenuItemConstructorOptions, NativeImage } from 'electron';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlertsResponse, BudgetsResponse } from '../shared/contract.ts';
import { startDaemon, type RunningDaemon } from '../daemon/index.ts';
import { silentLogger } from '../daemon/log.ts';
import { startFakeUpstream, type FakeUpstream } from '../test/fake-upstream/server.ts';
import { fetchGuardState, guardStateOf, isGuardAction, runGuardAction, type GuardState } from './guard-actions.ts';
import { TrayController, type TrayLike } from './tray.ts';
import type { TrayAction, TrayModel } from './tray-state.ts';

let up: FakeUpstream;
let daemon: RunningDaemon;
const dirs: string[] = [];

beforeAll(async () => {
  up = await startFakeUpstream({ seed: 3 });
  const configDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cco-guard-config-'));
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cco-guard-data-'));
  dirs.push(configDir, dataDir);
  // one 2000-token answer from Sonnet 4.6 costs $0.03: it crosses a $0.02 hard daily budget
  fs.writeFileSync(path.join(configDir, 'config.toml'), '[budgets]\ndaily_usd = 0.02\ndaily_hard = true\n');
  daemon = await startDaemon({ port: 0, upstreamUrl: up.url, dataDir, configDir, pidDir: false, rateLimit: false, log: silentLogger, apiKey: '' });
});
afterAll(async () => {
  await daemon?.close();
  await up?.close();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

async function get<T>(p: string): Promise<T> {
  const res = await fetch(daemon.url + p, { headers: { authorization: `Bearer ${daemon.token}` } });
  return (await res.json()) as T;
}

const ask = (output = 10) =>
  new Anthropic({ apiKey: 'sk-ant-api03-guard', baseURL: daemon.url, maxRetries: 0 }).messages.create(
    { model: 'claude-sonnet-4-6', max_tokens: 4000, messages: [{ role: 'user', content: 'hi' }] },
    { headers: { 'x-mock-scenario': `output_tokens:${output}` } },
  );

/** A TrayController on a fake tray whose menu actions go to the daemon as main/index.ts wires them. */
function trayOnDaemon() {
  let template: MenuItemConstructorOptions[] = [];
  let guards: GuardState | null = null;
  let pending: Promise<void> = Promise.resolve();
  const model = (): TrayModel => ({ daemon: 'ready', lastError: null, todayNanoUsd: 0, monthNanoUsd: 0, unpricedToday: 0, recording: true, launchAtLogin: false, guards });
  const fakeTray: TrayLike = {
    setImage: () => {}, setToolTip: () => {}, setTitle: () => {}, setContextMenu: () => {}, popUpContextMenu: () => {},
    getBounds: () => ({ x: 0, y: 0, width: 0, height: 0 }), destroy: () => {}, isDestroyed: () => false, setIgnoreDoubleClickEvents: () => {}, on: () => fakeTray,
  };
  const client = { baseUrl: daemon.url, token: daemon.token };
  const ctl = new TrayController({
    platform: 'linux',
    assetsDir: '/assets',
    createTray: () => fakeTray,
    loadImage: (file) => ({ file, setTemplateImage() {} }) as unknown as NativeImage,
    buildMenu: (t) => ((template = t), { items: t } as unknown as Menu),
    onAction: (a: TrayAction) => {
      if (!isGuardAction(a)) return;
      pending = runGuardAction(client, a, guards).then((g) => {
        guards = g;
        ctl.update(model());
      });
    },
    onClick: () => {},
  });
  return {
    async refresh() {
      guards = await fetchGuardState(client);
      ctl.start(model());
    },
    labels: () => template.filter((i) => i.type !== 'separator').map((i) => String(i.label)),
    async click(id: TrayAction) {
      const item = template.find((i) => i.id === id);
      expect(item, `menu entry ${id}`).toBeDefined();
      item!.click!({} as never, undefined, {} as never);
      await pending;
    },
  };
}

describe('tray alert and budget entries on a real daemon', () => {
  it('mutes alerts for an hour, then unmutes', async () => {
    const t = trayOnDaemon();
    await t.refresh();
    expect(t.labels()).toEqual(expect.arrayContaining(['Mute alerts for 1 hour', 'Mute alerts for today', 'Lift budget for 1 hour']));
    const before = Date.now();
    await t.click('mute-alerts-hour');
    const muted = await get<AlertsResponse>('/api/alerts');
    expect(muted.mutedUntil).toBeGreaterThanOrEqual(before + 3_600_000);
    expect(muted.mutedUntil).toBeLessThanOrEqual(Date.now() + 3_600_000);
    expect(t.labels().some((l) => l.startsWith('Unmute alerts (muted until '))).toBe(true);
    await t.click('unmute-alerts');
    expect((await get<AlertsResponse>('/api/alerts')).mutedUntil).toBeNull();
    await t.click('mute-alerts-today');
    expect((await get<AlertsResponse>('/api/alerts')).mutedUntil).toBeGreaterThan(Date.now());
    await t.click('unmute-alerts');
  });

  it('lifts an exceeded hard budget until its period ends, and ends the override', async () => {
    await ask(2000); // crosses the cap
    await new Promise((r) => setTimeout(r, 50));
    expect(await ask().catch((e: unknown) => (e as APIError).status)).toBe(400);
    const t = trayOnDaemon();
    await t.refresh();
    const status = await get<BudgetsResponse>('/api/budgets');
    const periodEnd = status.budgets[0]!.periodEnd;
    expect(t.labels().some((l) => l.startsWith('Lift budget until the period ends ('))).toBe(true);

    await t.click('lift-budget-period');
    const lifted = await get<BudgetsResponse>('/api/budgets');
    // whole minutes up to the period's end (the daemon takes minutes)
    expect(lifted.overrideUntil).toBeGreaterThanOrEqual(periodEnd);
    expect(lifted.overrideUntil! - periodEnd).toBeLessThan(60_000 + 5_000);
    expect((await ask()).type).toBe('message');
    expect(t.labels().some((l) => l.startsWith('End budget override (lifted until '))).toBe(true);

    await t.click('end-budget-override');
    expect((await get<BudgetsResponse>('/api/budgets')).overrideUntil).toBeNull();
    expect(await ask().catch((e: unknown) => (e as APIError).status)).toBe(400);

    await t.click('lift-budget-hour');
    const hour = (await get<BudgetsResponse>('/api/budgets')).overrideUntil!;
    expect(hour).toBeGreaterThan(Date.now() + 59 * 60_000);
    expect((await ask()).type).toBe('message');
    await t.click('end-budget-override');
  });
});

describe('guardStateOf', () => {
  const budget = (over: Partial<BudgetsResponse['budgets'][number]>) => ({
    period: 'daily' as const, usd: 1, project: null, hard: true, spentNanoUsd: 0, fraction: 0, state: 'ok' as const, periodStart: 0, periodEnd: 1000, ...over,
  });
  it('no hard budget and nothing paused: nothing to lift; past times are not shown', () => {
    const g = guardStateOf({ tz: 'UTC', budgets: [budget({ hard: false, state: 'exceeded' })], overrideUntil: 10, pausedSessions: [], rules: [], ready: true }, { recent: [], mutedUntil: 10 }, 50);
    expect(g).toEqual({ mutedUntil: null, overrideUntil: null, canLift: false, periodEnd: null });
  });
  it('the latest end among the exceeded hard budgets; a paused session can be lifted', () => {
    const g = guardStateOf(
      { tz: 'UTC', budgets: [budget({ state: 'exceeded', periodEnd: 500 }), budget({ period: 'weekly', state: 'exceeded', periodEnd: 900 }), budget({ periodEnd: 2000 })], overrideUntil: null, pausedSessions: [], rules: [], ready: true },
      null,
      50,
    );
    expect(g).toMatchObject({ canLift: true, periodEnd: 900 });
    expect(guardStateOf({ tz: 'UTC', budgets: [], overrideUntil: null, pausedSessions: [{ sessionId: 's', since: 1, reason: 'r' }], rules: [], ready: true }, null, 5).canLift).toBe(true);
  });
});

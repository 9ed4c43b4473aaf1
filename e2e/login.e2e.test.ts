/**
 * The dashboard login in real Chromium against a central gateway (0.0.0.0, PostgreSQL store, the fake
 * upstream): the no-token page's form logs alice in with her user token; her dashboard shows only her
 * requests, live too, while bob sends traffic; Log out brings the form back; the daemon token through the
 * same form is the admin with the By-user breakdown.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startDaemon, type RunningDaemon } from '../daemon/index.ts';
import { silentLogger } from '../daemon/log.ts';
import { addUser } from '../daemon/team/users.ts';
import { startFakeUpstream, type FakeUpstream } from '../test/fake-upstream/server.ts';
import { pgSkipReason, startPgCluster, type PgCluster } from '../test/pg/cluster.ts';
import { chromiumAvailable, launchChromium } from './helpers/chromium.ts';
import { buildRenderer } from './helpers/build.ts';

process.env.CCO_CONFIG_DIR ??= fs.mkdtempSync(path.join(os.tmpdir(), 'cco-config-'));

const skip = pgSkipReason() ?? (chromiumAvailable() ? null : 'no Chromium');

describe.skipIf(skip !== null)('dashboard login in Chromium (central gateway)', () => {
  let cluster: PgCluster;
  let fake: FakeUpstream;
  let daemon: RunningDaemon;
  let staticDir: string;
  let browser: Browser;
  const tokens = { alice: '', bob: '' };

  const send = (who: 'alice' | 'bob') =>
    new Anthropic({ apiKey: 'sk-ant-api03-client', baseURL: daemon.url, maxRetries: 0, defaultHeaders: { 'x-cco-token': tokens[who] } }).messages.create({
      model: 'claude-haiku-4-5', max_tokens: 16, messages: [{ role: 'user', content: who }],
    });

  const waitText = (page: Page, testId: string, want: string) =>
    page.waitForFunction(([id, w]) => document.querySelector(`[data-testid="${id}"]`)?.textContent?.trim() === w, [testId, want] as const, { timeout: 10_000 });

  const logIn = async (page: Page, token: string) => {
    await page.goto(`${daemon.url}/`);
    await page.getByLabel('Token').fill(token);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByTestId('viewer').waitFor({ timeout: 15_000 });
  };

  beforeAll(async () => {
    [staticDir, cluster, fake] = await Promise.all([buildRenderer(), startPgCluster(), startFakeUpstream({ seed: 29 })]);
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cco-login-e2e-'));
    tokens.alice = addUser(dataDir, 'alice');
    tokens.bob = addUser(dataDir, 'bob');
    daemon = await startDaemon({
      host: '0.0.0.0', port: 0, upstreamUrl: fake.url, dataDir, staticDir, log: silentLogger, apiKey: '', pidDir: false,
      databaseUrl: await cluster.createDatabase(),
    });
    await send('alice');
    await send('bob');
    await send('alice');
    await daemon.store.flush();
    browser = await launchChromium();
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await daemon?.close();
    await fake?.close();
    await cluster?.destroy();
    if (staticDir) fs.rmSync(staticDir, { recursive: true, force: true });
  });

  it('a user logs in with the form, sees only their requests (live too), and logs out', async () => {
    const ctx = await browser.newContext({ locale: 'en-US', timezoneId: 'UTC' });
    const page = await ctx.newPage();
    await logIn(page, tokens.alice);
    expect(new URL(page.url()).pathname).toBe('/');
    expect(await page.getByTestId('viewer').innerText()).toMatch(/Signed in as alice/);
    await waitText(page, 'range-requests', '2');
    expect(await page.getByRole('region', { name: 'By user' }).count()).toBe(0);
    const cookies = await ctx.cookies();
    expect(cookies.find((c) => c.name === 'cco_token')).toMatchObject({ httpOnly: true, sameSite: 'Strict', value: tokens.alice });

    // live: bob's request then alice's; the count moves by alice's only (bob's frame would come first)
    await page.waitForFunction(() => document.querySelector('[data-testid="live-status"]')?.textContent?.includes('Live'), undefined, { timeout: 10_000 });
    await send('bob');
    await send('alice');
    await page.waitForFunction(() => ['3', '4'].includes(document.querySelector('[data-testid="range-requests"]')?.textContent?.trim() ?? ''), undefined, { timeout: 10_000 });
    expect(await page.getByTestId('range-requests').innerText()).toBe('3');

    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByLabel('Token').waitFor({ timeout: 10_000 });
    expect((await ctx.cookies()).find((c) => c.name === 'cco_token')).toBeUndefined();
    await ctx.close();
  });

  it('the daemon token through the same form is the admin, with every user', async () => {
    const ctx = await browser.newContext({ locale: 'en-US', timezoneId: 'UTC' });
    const page = await ctx.newPage();
    await logIn(page, daemon.token);
    expect(await page.getByTestId('viewer').innerText()).toMatch(/Admin/);
    await waitText(page, 'range-requests', '5');
    await page.getByRole('region', { name: 'By user' }).waitFor({ timeout: 10_000 });
    await ctx.close();
  });

  it('a wrong token gets the form back, and no cookie', async () => {
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    await page.goto(`${daemon.url}/`);
    await page.getByLabel('Token').fill('cco_not-a-token');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByText('That token is not valid here').waitFor({ timeout: 10_000 });
    expect(await ctx.cookies()).toEqual([]);
    await ctx.close();
  });
});

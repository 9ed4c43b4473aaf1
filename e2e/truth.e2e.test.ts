/**
 * What the dashboard tells a user, in real Chromium against the real daemon and the fake upstream (issue: the
 * truth at a glance): exact headline money, errors in red with their status, same-named projects told apart,
 * Claude Code side calls in their session's project, a breakdown click that moves to the filtered table,
 * 800 px without horizontal scroll, the popover's setup URL on one line, the no-token page, and the
 * disconnected state.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { RequestPage, Summary } from '../shared/contract.ts';
import { makeRecord } from '../daemon/store/test-fixtures.ts';
import { launchChromium } from './helpers/chromium.ts';
import { startStack, type Stack } from './helpers/stack.ts';

let stack: Stack;
let browser: Browser;
let ctx: BrowserContext;
let dash: Page;

/**
 * The dashboard adds a request to its table when the live feed brings it: after a (re)load, wait until the
 * feed is open before sending one. CI at load 10 sent the request before the socket opened, and the row never
 * came: a record finished in that window shows only at the next refresh (renderer/src/hooks/daemon.tsx
 * refetches after a reconnect, not after the first open).
 */
async function untilLive(page: Page): Promise<void> {
  await page.waitForFunction(() => document.querySelector('[data-testid="live-status"]')?.textContent?.includes('Live'), undefined, { timeout: 8000 });
}

async function waitText(page: Page, testId: string, expected: string, timeout = 8000) {
  await page.waitForFunction(
    ([id, want]) => document.querySelector(`[data-testid="${id}"]`)?.textContent?.trim() === want,
    [testId, expected] as const,
    { timeout, polling: 'raf' },
  );
}

/** A Claude Code-like request: its session header, and the working directory in the system prompt (main calls). */
async function claudeCall(session: string, project: string | null, opts: { scenario?: string; model?: string } = {}) {
  const headers: Record<string, string> = { 'x-claude-code-session-id': session };
  if (opts.scenario) headers['x-mock-scenario'] = opts.scenario;
  const system = project ? `You are Claude Code.\nPrimary working directory: ${project}\nPlatform: linux` : undefined;
  await stack.sdk.messages
    .create({ model: opts.model ?? 'claude-sonnet-4-6', max_tokens: 16, ...(system ? { system } : {}), messages: [{ role: 'user', content: 'hi' }] }, { headers })
    .catch(() => undefined); // an upstream error reaches the client as it should; the record is what matters here
}

beforeAll(async () => {
  stack = await startStack();
  browser = await launchChromium();
  ctx = await browser.newContext({ locale: 'en-US', timezoneId: 'UTC', viewport: { width: 1280, height: 900 } });
  dash = await ctx.newPage();
  await dash.goto(`${stack.daemon.url}/?token=${encodeURIComponent(stack.daemon.token)}`);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

describe('the truth at a glance, in Chromium', () => {
  it('a browser without the token gets a page that says how to get in', async () => {
    const stranger = await browser.newContext();
    const page = await stranger.newPage();
    const res = await page.goto(stack.daemon.url + '/');
    expect(res?.status()).toBe(401);
    expect(await page.locator('h1').innerText()).toContain('CCO is running');
    expect(await page.locator('body').innerText()).toContain('cco dashboard');
    await stranger.close();
  });

  it('the empty popover shows the setup URL on one line, never wrapped inside the port', async () => {
    const pop = await ctx.newPage();
    await pop.setViewportSize({ width: 380, height: 520 });
    await pop.goto(`${stack.daemon.url}/popover`);
    const line = pop.getByTestId('setup-line');
    await line.waitFor();
    const rects = await line.evaluate((el) => el.getClientRects().length);
    const box = await line.evaluate((el) => ({ h: el.getBoundingClientRect().height, lh: parseFloat(getComputedStyle(el).lineHeight) || 18 }));
    expect(rects).toBe(1);
    expect(box.h).toBeLessThan(box.lh * 2 + 16); // one line (plus padding)
    await pop.close();
  });

  it('the headline shows exact dollars with separators: $1,702.47', async () => {
    const now = Date.now();
    // 1,702.47 USD in three imported requests (nano-USD), today
    const costs = [1_000_000_000_000, 700_000_000_000, 2_470_000_000];
    await stack.daemon.store.addBulk(costs.map((c, i) => makeRecord({ startedAt: now - (i + 1) * 60_000, endedAt: now - (i + 1) * 60_000 + 500, costNanoUsd: c, sessionId: null, project: null })));
    await stack.daemon.store.flush();
    await dash.reload();
    await waitText(dash, 'range-total', '$1,702.47');
  });

  it('an upstream 429 shows red with its status and is counted apart', async () => {
    await untilLive(dash);
    await claudeCall('sess-err', '/home/u/a/my-app', { scenario: 'status:429' });
    await stack.daemon.store.flush();
    const page = await stack.api<RequestPage>('/api/requests?state=errors');
    expect(page.items.map((r) => r.status)).toEqual([429]);
    const row = dash.locator(`tr[data-request-id="${page.items[0]!.id}"]`);
    await row.waitFor({ timeout: 8000 });
    const badge = row.locator('.state-error').first();
    expect(await badge.innerText()).toContain('429 rate limited');
    const color = await badge.evaluate((el) => getComputedStyle(el).color);
    const [r, g, b] = color.match(/\d+/g)!.map(Number);
    expect(r).toBeGreaterThan(150); // red
    expect(g!).toBeLessThan(120);
    expect(b!).toBeLessThan(120);
    await dash.getByTestId('error-count').first().waitFor({ timeout: 8000 });
    expect(await dash.getByTestId('error-count').first().innerText()).toContain('429 rate limited');
  });

  it('two same-named projects show distinct labels; a side call lands in its session project', async () => {
    await claudeCall('sess-a', '/home/u/a/my-app');
    await claudeCall('sess-b', '/home/u/b/my-app');
    await claudeCall('sess-b', null, { model: 'claude-haiku-4-5' }); // the title call: no working directory
    await stack.daemon.store.flush();
    const week = await stack.api<Summary>('/api/summary?range=7d&tz=UTC');
    expect(week.byProject.find((g) => g.key === '/home/u/b/my-app')?.requests).toBe(2);
    const projects = dash.getByRole('region', { name: 'By project' });
    await projects.getByRole('button', { name: 'b/my-app', exact: true }).waitFor({ timeout: 8000 });
    await projects.getByRole('button', { name: 'a/my-app', exact: true }).waitFor();
    expect(await projects.getByRole('button', { name: 'my-app', exact: true }).count()).toBe(0);
  });

  it('clicking a project row filters the requests table and moves there', async () => {
    await dash.evaluate(() => window.scrollTo(0, 0));
    const projects = dash.getByRole('region', { name: 'By project' });
    await projects.getByRole('button', { name: 'b/my-app', exact: true }).click();
    await dash.waitForFunction(() => new URLSearchParams(location.search).get('project') === '/home/u/b/my-app');
    await dash.waitForFunction(() => document.querySelectorAll('[data-testid="requests-table"] tbody tr[data-request-id]').length === 2, undefined, { timeout: 8000 });
    // the table's heading is in the viewport after the (smooth) scroll
    await dash.waitForFunction(() => {
      const top = document.getElementById('requests-title')!.getBoundingClientRect().top;
      return top >= 0 && top < window.innerHeight;
    }, undefined, { timeout: 5000 });
    // and a reload opens the same view
    await dash.reload();
    await dash.waitForFunction(() => document.querySelectorAll('[data-testid="requests-table"] tbody tr[data-request-id]').length === 2, undefined, { timeout: 8000 });
    await dash.goto(`${stack.daemon.url}/`); // back to all requests for the next tests
  });

  it('fits 800 px without horizontal scrolling', async () => {
    await dash.setViewportSize({ width: 800, height: 900 });
    await dash.getByRole('region', { name: 'By session' }).waitFor({ timeout: 8000 });
    const overflow = await dash.evaluate(() => Math.max(0, document.documentElement.scrollWidth - window.innerWidth));
    const wide = await dash.evaluate(() =>
      [...document.querySelectorAll('body *')]
        .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 0.5 && !el.closest('.table-wrap'))
        .slice(0, 5)
        .map((el) => `${el.tagName.toLowerCase()}.${(el as HTMLElement).className} ${Math.round(el.getBoundingClientRect().right)}`),
    );
    expect({ overflow, wide }).toEqual({ overflow: 0, wide: [] });
    await dash.setViewportSize({ width: 1280, height: 900 });
  });

  it('when the daemon goes away the numbers stay, dimmed and labelled with their age', async () => {
    await untilLive(dash);
    await stack.daemon.close();
    const note = dash.getByTestId('stale-note');
    await note.waitFor({ timeout: 10_000 });
    expect(await note.innerText()).toMatch(/figures as of/);
    const opacity = await dash.getByRole('region', { name: 'Totals' }).evaluate((el) => Number(getComputedStyle(el).opacity));
    expect(opacity).toBeLessThan(1);
    expect(await dash.getByRole('radio', { name: '30 days' }).isDisabled()).toBe(true);
  });
});

// @vitest-environment node
/**
 * The request detail dialog in real Chromium (jsdom has no modal <dialog>): the component and React bundled
 * with esbuild, talking to the contract test server over HTTP. Checks what showModal() is there for: focus
 * moves in and stays in under Tab / Shift+Tab, the page behind is inert, Escape closes, focus returns to the
 * row's button that opened it.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumAvailable, launchChromium } from '../../../e2e/helpers/chromium.ts';
import { startTestApi, type TestApi } from '../test-server.ts';
import { makeRecord } from '../test-fixtures.ts';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const record = makeRecord({ priceVersion: '2026-02-02' });

const HARNESS = `
import { useState } from 'react';
import { createRoot } from 'react-dom/client';
import { DaemonProvider } from '../hooks/daemon.tsx';
import { RequestDetailView } from './RequestDetailView.tsx';
const info = window.__ccoInfo;
const bridge = { daemon: { info: async () => info }, app: { openDashboard: async () => {} } };
function Harness() {
  const [open, setOpen] = useState(null);
  return (
    <DaemonProvider bridge={bridge}>
      <button id="before">before</button>
      <table><tbody><tr data-request-id={info.id}><td>
        <button id="opener" onClick={() => setOpen(info.id)}>open</button>
      </td></tr></tbody></table>
      <a id="after" href="#x">after</a>
      {open && <RequestDetailView id={open} onClose={() => setOpen(null)} />}
    </DaemonProvider>
  );
}
createRoot(document.getElementById('root')).render(<Harness />);
`;

let api: TestApi;
let browser: Browser;
let page: Page;

/** Where focus is: inside the dialog, on a named element of the page, or on the body. */
const focusIs = (p: Page) =>
  p.evaluate(() => {
    const a = document.activeElement;
    if (a?.closest('dialog')) return `dialog:${a.textContent?.trim()}`;
    return a && a !== document.body ? (a.id || a.tagName) : 'body';
  });

describe.skipIf(!chromiumAvailable())('RequestDetailView in Chromium', () => {
  beforeAll(async () => {
    api = await startTestApi({ summaries: {}, records: [record] });
    const out = await build({
      stdin: { contents: HARNESS, loader: 'tsx', resolveDir: HERE, sourcefile: 'harness.tsx' },
      bundle: true,
      write: false,
      format: 'iife',
      jsx: 'automatic',
      define: { 'process.env.NODE_ENV': '"development"' },
      logLevel: 'silent',
    });
    browser = await launchChromium();
    page = await browser.newPage();
    await page.setContent('<!doctype html><html><body><div id="root"></div></body></html>');
    await page.evaluate((info) => Object.assign(window, { __ccoInfo: info }), { baseUrl: api.baseUrl, token: api.token, id: record.id });
    await page.addScriptTag({ content: out.outputFiles[0]!.text });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await api?.close();
  });

  it('opens as a modal, keeps focus inside, closes on Escape and gives focus back to the row', async () => {
    await page.focus('#opener', { timeout: 3000 });
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: 'Request' });
    await dialog.waitFor();
    await dialog.getByText('2026-02-02', { exact: true }).waitFor(); // the detail arrived over HTTP
    expect(await page.evaluate(() => document.querySelector('dialog')!.matches(':modal'))).toBe(true);
    expect(await focusIs(page)).toBe('dialog:Close');

    // Tab and Shift+Tab never reach the page behind (Chromium may pass through the document itself)
    const stops = new Set<string>();
    for (const key of [...Array<string>(8).fill('Tab'), ...Array<string>(8).fill('Shift+Tab')]) {
      await page.keyboard.press(key);
      stops.add(await focusIs(page));
    }
    expect([...stops].filter((s) => !s.startsWith('dialog:') && s !== 'body')).toEqual([]);
    expect(stops.has('dialog:Close')).toBe(true);

    // the page behind is inert: it takes neither focus nor clicks
    expect(await page.evaluate(() => (document.getElementById('after')!.focus(), document.activeElement?.id))).not.toBe('after');
    await page.mouse.click(5, 5); // on the backdrop: closes, like the old overlay
    await dialog.waitFor({ state: 'detached' });
    expect(await focusIs(page)).toBe('opener');

    await page.keyboard.press('Enter');
    await dialog.waitFor();
    expect(await focusIs(page)).toBe('dialog:Close');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    expect(await focusIs(page)).toBe('opener');
    expect(await page.evaluate(() => location.hash)).toBe(''); // the inert link was never followed
  });
});

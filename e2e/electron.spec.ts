/**
 * The real Electron app (unpackaged build in out/), driven by Playwright's `_electron`: the supervised
 * daemon comes up, a request goes through its proxy to the fake upstream, the popover (opened through the
 * CCO_E2E test hook, since the OS tray cannot be clicked) shows it. Runs in GitHub Actions
 * (`npm run build && npm run e2e:electron`, xvfb on Linux); skips locally when the binary is absent.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { _electron as electron, expect, test, type ElectronApplication } from 'playwright/test';
import { startFakeUpstream, type FakeUpstream } from '../test/fake-upstream/server.ts';
import { API_KEY, messagesBody } from '../test/fake-upstream/testkit.ts';
import { findElectronBinary } from './electron-binary.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const binary = findElectronBinary(ROOT);
if (binary.path === null) console.log(`Skipping the Electron e2e: ${binary.reason}`);

interface DaemonSnapshot { state: string; port: number | null; token: string | null; url: string | null }
interface E2EHook { showPopover(): void; daemon(): DaemonSnapshot }

test.describe('Electron app', () => {
  test.skip(binary.path === null, binary.reason ?? '');

  let app: ElectronApplication;
  let upstream: FakeUpstream;
  let tmp: string;

  test.beforeAll(async () => {
    expect(fs.existsSync(path.join(ROOT, 'out', 'main', 'index.js')), 'run `npm run build` first').toBe(true);
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cco-electron-e2e-'));
    upstream = await startFakeUpstream({ seed: 6 });
    app = await electron.launch({
      executablePath: binary.path!,
      args: [ROOT, ...(process.platform === 'linux' ? ['--no-sandbox'] : [])],
      cwd: ROOT,
      env: {
        ...process.env,
        CCO_E2E: '1',
        CCO_USER_DATA_DIR: path.join(tmp, 'user-data'),
        CCO_DATA_DIR: path.join(tmp, 'data'),
        CCO_PORT: '0',
        CCO_UPSTREAM_URL: upstream.url,
        ANTHROPIC_API_KEY: '',
      },
      timeout: 60_000,
    });
    app.process().stdout?.on('data', (d: Buffer) => process.stdout.write(`[app] ${d}`));
    app.process().stderr?.on('data', (d: Buffer) => process.stderr.write(`[app] ${d}`));
  });

  test.afterAll(async () => {
    await app?.close();
    await upstream?.close();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  const daemon = () => app.evaluate(() => (globalThis as unknown as { __cco: E2EHook }).__cco.daemon());

  test('daemon ready, request recorded, popover shows it', async () => {
    await expect.poll(async () => (await daemon()).state, { timeout: 20_000 }).toBe('ready');
    const snap = await daemon();
    expect(snap.port).toBeGreaterThan(0);

    const res = await fetch(`${snap.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': API_KEY, 'anthropic-version': '2023-06-01' },
      body: messagesBody(),
    });
    expect(res.status).toBe(200);
    await res.arrayBuffer();

    const windowPromise = app.waitForEvent('window');
    await app.evaluate(() => (globalThis as unknown as { __cco: E2EHook }).__cco.showPopover());
    const page = await windowPromise;
    await page.waitForLoadState('domcontentloaded');
    expect(page.url()).toMatch(/^app:\/\/cco\/index\.html#\/popover/);

    // The renderer sees one narrow bridge and no Node.
    const bridge = await page.evaluate(async () => ({
      keys: Object.keys(window.cco ?? {}).sort(),
      info: await window.cco?.daemon.info(),
      node: typeof (globalThis as { process?: unknown }).process,
      require: typeof (globalThis as { require?: unknown }).require,
    }));
    expect(bridge).toMatchObject({ keys: ['app', 'daemon', 'updates'], info: { baseUrl: snap.url, token: snap.token }, node: 'undefined', require: 'undefined' });

    await page.waitForFunction(() => document.querySelectorAll('[data-testid="recent-list"] li').length >= 1, undefined, { timeout: 15_000 });
    await page.screenshot({ path: path.join(ROOT, 'test-results', 'electron', `popover-${process.platform}.png`) });
  });

  test('navigation away from app:// and window.open are blocked', async () => {
    const page = app.windows()[0]!;
    await page.evaluate(() => window.open('http://example.com/')); // denied (and, being http, not handed to the OS browser)
    await page.evaluate(() => void (location.href = 'https://example.com/'));
    await page.waitForTimeout(500);
    expect(app.windows()).toHaveLength(1);
    expect(page.url()).toMatch(/^app:\/\/cco\//);
  });
});

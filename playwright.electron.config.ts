/**
 * Playwright config for the real-Electron e2e (e2e/electron.spec.ts). CI: `npm run build` then
 * `npm run e2e:electron` (on Linux under `xvfb-run --auto-servernum`). Locally the spec skips when the
 * Electron binary is absent, naming the missing file.
 */
import { defineConfig } from 'playwright/test';

export default defineConfig({
  testDir: './e2e',
  testMatch: 'electron.spec.ts',
  fullyParallel: false,
  workers: 1,
  retries: process.env.CI ? 1 : 0,
  timeout: 90_000,
  reporter: process.env.CI ? [['list'], ['html', { open: 'never', outputFolder: 'test-results/electron-report' }]] : 'list',
  outputDir: 'test-results/electron',
  use: { trace: 'retain-on-failure', screenshot: 'only-on-failure' },
});

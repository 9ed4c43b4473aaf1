/**
 * The real-Electron e2e (e2e/electron.spec.ts, Playwright `_electron`) from the local suite: it needs the
 * Electron binary, which npm's electron package downloads from GitHub at first use — impossible on a
 * machine without that network. So `npm test` skips it here, saying why, and GitHub Actions runs it
 * (`npm run build && npm run e2e:electron`, xvfb on Linux). Where a binary exists, this runs it.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { findElectronBinary } from './electron-binary.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const binary = findElectronBinary(ROOT);
const why = `no Electron binary (${binary.reason ?? 'not found'}); the Electron e2e runs in GitHub Actions`;
if (binary.path === null) console.log(`Electron e2e skipped: ${why}`);

describe('Electron app (real binary)', () => {
  it.skipIf(binary.path === null)(binary.path === null ? `skipped: ${why}` : 'launches, reaches the daemon and shows the popover', () => {
    execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
    const out = execFileSync('npx', ['playwright', 'test', '-c', 'playwright.electron.config.ts'], { cwd: ROOT, encoding: 'utf8' });
    expect(out).toMatch(/passed/);
  }, 600_000);
});

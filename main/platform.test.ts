import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import yaml from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { APP_ID, selfUpdate, startupSwitches } from './platform.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

describe('platform', () => {
  it('the Windows AppUserModelID is the NSIS appId', () => {
    const cfg = yaml.load(fs.readFileSync(path.join(root, 'electron-builder.yml'), 'utf8')) as { appId: string };
    expect(APP_ID).toBe(cfg.appId);
  });

  it('AppImage on Ubuntu 24.04+ (user namespaces restricted): electron-builder\'s AppRun adds --no-sandbox', () => {
    // The abort happens before main.js runs, so only the launcher can fall back; pin the installed template.
    const appRun = fs.readFileSync(path.join(root, 'node_modules', 'app-builder-lib', 'out', 'targets', 'appimage', 'appImageUtil.js'), 'utf8');
    expect(appRun).toContain('unshare -Ur true');
    expect(appRun).toMatch(/NO_SANDBOX=\(--no-sandbox\)/);
    expect(appRun).toMatch(/exec "\$BIN" "\\?\$\{NO_SANDBOX\[@\]\}"/);
  });

  it('Wayland with XWayland prefers X11 (the popover can be placed by the tray) unless the user chose', () => {
    const env = { XDG_SESSION_TYPE: 'wayland', WAYLAND_DISPLAY: 'wayland-0', DISPLAY: ':0' };
    expect(startupSwitches({ platform: 'linux', env, argv: [] })).toEqual([['ozone-platform', 'x11']]);
    expect(startupSwitches({ platform: 'linux', env, argv: ['--ozone-platform=wayland'] })).toEqual([]);
    expect(startupSwitches({ platform: 'linux', env: { ...env, DISPLAY: '' }, argv: [] })).toEqual([]); // no XWayland
  });

  it('Scoop installs and development builds do not update themselves', () => {
    expect(selfUpdate({ isPackaged: true, platform: 'win32', execPath: 'C:\\Users\\u\\scoop\\apps\\cco\\current\\CCO.exe', env: {} })).toMatchObject({ enabled: false, reason: expect.stringMatching(/scoop update cco/) });
    expect(selfUpdate({ isPackaged: true, platform: 'win32', execPath: 'C:\\Users\\u\\AppData\\Local\\Programs\\CCO\\CCO.exe', env: {} })).toEqual({ enabled: true });
    expect(selfUpdate({ isPackaged: false, platform: 'linux', execPath: '/x/electron', env: {} }).enabled).toBe(false);
  });
});

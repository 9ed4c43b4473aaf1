import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import yaml from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { APP_ID, selfUpdate, startupSwitches } from './platform.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const files = (map: Record<string, string>) => (f: string) => map[f] ?? null;

describe('platform', () => {
  it('the Windows AppUserModelID is the NSIS appId', () => {
    const cfg = yaml.load(fs.readFileSync(path.join(root, 'electron-builder.yml'), 'utf8')) as { appId: string };
    expect(APP_ID).toBe(cfg.appId);
  });

  it('AppImage on a system that restricts user namespaces (Ubuntu 24.04+) runs without the sandbox; otherwise not', () => {
    const restricted = files({ '/proc/sys/kernel/apparmor_restrict_unprivileged_userns': '1\n' });
    expect(startupSwitches({ platform: 'linux', env: { APPIMAGE: '/a/CCO.AppImage' }, argv: [], read: restricted })).toEqual([['no-sandbox']]);
    expect(startupSwitches({ platform: 'linux', env: { APPIMAGE: '/a/CCO.AppImage' }, argv: [], read: files({ '/proc/sys/kernel/unprivileged_userns_clone': '0' }) })).toEqual([['no-sandbox']]);
    expect(startupSwitches({ platform: 'linux', env: { APPIMAGE: '/a/CCO.AppImage' }, argv: [], read: files({ '/proc/sys/kernel/apparmor_restrict_unprivileged_userns': '0' }) })).toEqual([]);
    expect(startupSwitches({ platform: 'linux', env: {}, argv: [], read: restricted })).toEqual([]); // the deb has its SUID sandbox
    expect(startupSwitches({ platform: 'darwin', env: { APPIMAGE: 'x' }, argv: [], read: restricted })).toEqual([]);
  });

  it('Wayland with XWayland prefers X11 (the popover can be placed by the tray) unless the user chose', () => {
    const env = { XDG_SESSION_TYPE: 'wayland', WAYLAND_DISPLAY: 'wayland-0', DISPLAY: ':0' };
    expect(startupSwitches({ platform: 'linux', env, argv: [], read: files({}) })).toEqual([['ozone-platform', 'x11']]);
    expect(startupSwitches({ platform: 'linux', env, argv: ['--ozone-platform=wayland'], read: files({}) })).toEqual([]);
    expect(startupSwitches({ platform: 'linux', env: { ...env, DISPLAY: '' }, argv: [], read: files({}) })).toEqual([]); // no XWayland
  });

  it('Scoop installs and development builds do not update themselves', () => {
    expect(selfUpdate({ isPackaged: true, platform: 'win32', execPath: 'C:\\Users\\u\\scoop\\apps\\cco\\current\\CCO.exe', env: {} })).toMatchObject({ enabled: false, reason: expect.stringMatching(/scoop update cco/) });
    expect(selfUpdate({ isPackaged: true, platform: 'win32', execPath: 'C:\\Users\\u\\AppData\\Local\\Programs\\CCO\\CCO.exe', env: {} })).toEqual({ enabled: true });
    expect(selfUpdate({ isPackaged: false, platform: 'linux', execPath: '/x/electron', env: {} }).enabled).toBe(false);
  });
});

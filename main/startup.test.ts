import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { autostartFile, createLoginItem, type LoginItemApp } from './login-item.ts';
import { createSettingsStore } from './settings.ts';
import { syncLoginItem, takeFirstRun } from './startup.ts';

const dirs: string[] = [];
const tmp = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'cco-startup-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

/** macOS/Windows login items as the OS keeps them; the user may change them behind the app's back. */
function osLoginItems(openAtLogin: boolean) {
  const state = { openAtLogin, sets: 0 };
  const app: LoginItemApp = {
    getLoginItemSettings: () => ({ openAtLogin: state.openAtLogin }) as ReturnType<LoginItemApp['getLoginItemSettings']>,
    setLoginItemSettings: (s) => void ((state.openAtLogin = s.openAtLogin ?? false), state.sets++),
  };
  return { app, state };
}

describe('startup', () => {
  it('macOS: a login item the user turned off in System Settings stays off (read, not re-registered)', () => {
    const settings = createSettingsStore(tmp());
    settings.update({ launchAtLogin: true }); // the app had it on
    const { app, state } = osLoginItems(false); // the user switched it off
    const item = createLoginItem({ platform: 'darwin', app, env: {}, execPath: '/Applications/CCO.app/Contents/MacOS/CCO' });
    expect(syncLoginItem(item, settings, 'darwin')).toBe(false);
    expect(state.sets).toBe(0);
    expect(settings.get().launchAtLogin).toBe(false);
  });

  it('Linux AppImage: an enabled autostart entry is rewritten at every start to the current AppImage', () => {
    const home = tmp();
    const env = { XDG_CONFIG_HOME: path.join(home, '.config'), APPIMAGE: '/home/u/Apps/CCO-2026.1122.0.AppImage' };
    const { app } = osLoginItems(false);
    createLoginItem({ platform: 'linux', app, env, execPath: '/tmp/.mount_x/cco-app', homeDir: home }).setEnabled(true);
    const settings = createSettingsStore(tmp());
    // updated: a new AppImage file, the old one deleted
    const env2 = { ...env, APPIMAGE: '/home/u/Apps/CCO-2026.1201.0.AppImage' };
    const item = createLoginItem({ platform: 'linux', app, env: env2, execPath: '/tmp/.mount_y/cco-app', homeDir: home });
    expect(syncLoginItem(item, settings, 'linux')).toBe(true);
    const text = fs.readFileSync(autostartFile(env2, home), 'utf8');
    expect(text).toContain('Exec=/home/u/Apps/CCO-2026.1201.0.AppImage --autostart');
    expect(settings.get().launchAtLogin).toBe(true);
  });

  it('Linux: no autostart entry is created when there was none', () => {
    const home = tmp();
    const env = { XDG_CONFIG_HOME: path.join(home, '.config') };
    const item = createLoginItem({ platform: 'linux', app: osLoginItems(false).app, env, execPath: '/opt/CCO/cco-app', homeDir: home });
    expect(syncLoginItem(item, createSettingsStore(tmp()), 'linux')).toBe(false);
    expect(fs.existsSync(autostartFile(env, home))).toBe(false);
  });

  it('the popover opens by itself on the first run only, across restarts', () => {
    const dir = tmp();
    expect(takeFirstRun(createSettingsStore(dir))).toBe(true);
    expect(takeFirstRun(createSettingsStore(dir))).toBe(false);
    expect(takeFirstRun(createSettingsStore(dir))).toBe(false);
  });
});

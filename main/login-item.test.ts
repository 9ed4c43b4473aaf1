import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { LoginItemApp } from './login-item.ts';
import { autostartExecutable, autostartFile, createLoginItem, desktopEntry, isLoginLaunch, quoteExecArg } from './login-item.ts';

/** A typed fake of the two app methods, keeping state like the OS would. */
function fakeApp() {
  const calls: Electron.Settings[] = [];
  let open = false;
  const app: LoginItemApp = {
    setLoginItemSettings: (s) => {
      calls.push(s);
      open = s.openAtLogin ?? false;
    },
    getLoginItemSettings: () => ({ openAtLogin: open, wasOpenedAtLogin: false }) as Electron.LoginItemSettings,
  };
  return { app, calls };
}

describe('login-item', () => {
  const dirs: string[] = [];
  const tmp = () => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'cco-login-'));
    dirs.push(d);
    return d;
  };
  afterEach(() => {
    for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  });

  it('prefers the AppImage path over the mounted execPath', () => {
    expect(autostartExecutable({ APPIMAGE: '/home/u/Apps/CCO.AppImage' }, '/tmp/.mount_CCOx/cco-app')).toBe('/home/u/Apps/CCO.AppImage');
    expect(autostartExecutable({}, '/opt/CCO/cco-app')).toBe('/opt/CCO/cco-app');
  });

  it('quotes Exec arguments per the desktop entry spec', () => {
    expect(quoteExecArg('/opt/CCO/cco-app')).toBe('/opt/CCO/cco-app');
    expect(quoteExecArg('/home/u/My Apps/CCO.AppImage')).toBe('"/home/u/My Apps/CCO.AppImage"');
    expect(quoteExecArg('/a/$HOME"x`\\')).toBe('"/a/\\$HOME\\"x\\`\\\\"');
    expect(quoteExecArg('100%')).toBe('"100%%"');
  });

  it('desktop entry has the autostart keys', () => {
    const text = desktopEntry({ name: 'CCO', exec: '/home/u/My Apps/CCO.AppImage', args: ['--autostart'] });
    expect(text).toContain('[Desktop Entry]\nType=Application\n');
    expect(text).toContain('Exec="/home/u/My Apps/CCO.AppImage" --autostart\n');
    expect(text).toContain('X-GNOME-Autostart-enabled=true');
    expect(text).toContain('Hidden=false');
  });

  it('autostart file honours an absolute XDG_CONFIG_HOME only', () => {
    expect(autostartFile({ XDG_CONFIG_HOME: '/x/cfg' }, '/home/u')).toBe(path.join('/x/cfg', 'autostart', 'cco.desktop'));
    expect(autostartFile({ XDG_CONFIG_HOME: 'relative' }, '/home/u')).toBe(path.join('/home/u', '.config', 'autostart', 'cco.desktop'));
  });

  it('Linux: writes and removes the .desktop file in a temp config home', () => {
    const home = tmp();
    const { app, calls } = fakeApp();
    const item = createLoginItem({ platform: 'linux', app, env: { APPIMAGE: '/apps/CCO.AppImage' }, execPath: '/tmp/.mount/cco', homeDir: home });
    expect(item.isEnabled()).toBe(false);
    item.setEnabled(true);
    const file = path.join(home, '.config', 'autostart', 'cco.desktop');
    expect(fs.readFileSync(file, 'utf8')).toContain('Exec=/apps/CCO.AppImage --autostart');
    expect(item.isEnabled()).toBe(true);
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('Hidden=false', 'Hidden=true'));
    expect(item.isEnabled()).toBe(false); // the user hid it in their session settings
    item.setEnabled(false);
    expect(fs.existsSync(file)).toBe(false);
    item.setEnabled(false); // idempotent
    expect(calls).toEqual([]); // never touches Electron's API on Linux
  });

  it('Windows: passes path and --autostart to the Run key', () => {
    const { app, calls } = fakeApp();
    const item = createLoginItem({ platform: 'win32', app, env: {}, execPath: 'C:\\Users\\u\\AppData\\Local\\Programs\\CCO\\CCO.exe' });
    item.setEnabled(true);
    expect(calls).toEqual([{ openAtLogin: true, path: 'C:\\Users\\u\\AppData\\Local\\Programs\\CCO\\CCO.exe', args: ['--autostart'] }]);
    expect(item.isEnabled()).toBe(true);
  });

  it('macOS: uses openAtLogin only', () => {
    const { app, calls } = fakeApp();
    const item = createLoginItem({ platform: 'darwin', app, env: {}, execPath: '/Applications/CCO.app/Contents/MacOS/CCO' });
    item.setEnabled(true);
    item.setEnabled(false);
    expect(calls).toEqual([{ openAtLogin: true }, { openAtLogin: false }]);
  });

  it('detects a login launch', () => {
    const { app } = fakeApp();
    expect(isLoginLaunch(['/opt/CCO/cco-app', '--autostart'], 'linux', app)).toBe(true);
    expect(isLoginLaunch(['/opt/CCO/cco-app'], 'linux', app)).toBe(false);
    const mac: LoginItemApp = { ...app, getLoginItemSettings: () => ({ openAtLogin: true, wasOpenedAtLogin: true }) as Electron.LoginItemSettings };
    expect(isLoginLaunch(['/Applications/CCO.app/Contents/MacOS/CCO'], 'darwin', mac)).toBe(true);
  });
});

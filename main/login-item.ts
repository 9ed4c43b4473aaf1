/**
 * Launch at login. macOS/Windows: app.setLoginItemSettings (with `--autostart` in args on Windows so a
 * login start stays quiet). Linux: an XDG autostart .desktop file ($XDG_CONFIG_HOME/autostart/cco.desktop),
 * pointing at the AppImage when running from one (process.execPath is inside a temporary mount then).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { App } from 'electron';

export const AUTOSTART_FLAG = '--autostart';

export type LoginItemApp = Pick<App, 'setLoginItemSettings' | 'getLoginItemSettings'>;

export interface LoginItemDeps {
  platform: NodeJS.Platform;
  app: LoginItemApp;
  env: NodeJS.ProcessEnv;
  execPath: string;
  homeDir?: string;
  /** Extra args before --autostart (e.g. the app path when running unpackaged electron). */
  args?: string[];
}

/** The executable a login session should start: the AppImage file when running from one. */
export function autostartExecutable(env: NodeJS.ProcessEnv, execPath: string): string {
  return env.APPIMAGE && env.APPIMAGE.trim() !== '' ? env.APPIMAGE : execPath;
}

/** Quotes one argument for a desktop-entry Exec line (XDG Desktop Entry spec, "Exec key"). */
export function quoteExecArg(arg: string): string {
  if (arg !== '' && !/[\s"'`$\\<>~|&;*?#()=%]/.test(arg)) return arg;
  return `"${arg.replace(/(["`$\\])/g, '\\$1').replace(/%/g, '%%')}"`;
}

export function desktopEntry(opts: { name: string; exec: string; args: readonly string[]; comment?: string }): string {
  const exec = [opts.exec, ...opts.args].map(quoteExecArg).join(' ');
  return [
    '[Desktop Entry]',
    'Type=Application',
    'Version=1.0',
    `Name=${opts.name}`,
    `Comment=${opts.comment ?? 'Claude Code cost monitor'}`,
    `Exec=${exec}`,
    'Terminal=false',
    'Hidden=false',
    'NoDisplay=false',
    'X-GNOME-Autostart-enabled=true',
    '',
  ].join('\n');
}

export function autostartFile(env: NodeJS.ProcessEnv, homeDir: string = os.homedir()): string {
  const configHome = env.XDG_CONFIG_HOME && path.isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : path.join(homeDir, '.config');
  return path.join(configHome, 'autostart', 'cco.desktop');
}

/** True when this launch came from the login item (flag on Windows/Linux, wasOpenedAtLogin on macOS). */
export function isLoginLaunch(argv: readonly string[], platform: NodeJS.Platform, app: Pick<App, 'getLoginItemSettings'>): boolean {
  if (argv.includes(AUTOSTART_FLAG)) return true;
  if (platform === 'darwin') {
    try {
      return app.getLoginItemSettings().wasOpenedAtLogin === true;
    } catch {
      return false;
    }
  }
  return false;
}

export interface LoginItem {
  isEnabled(): boolean;
  setEnabled(on: boolean): void;
}

export function createLoginItem(deps: LoginItemDeps): LoginItem {
  const args = [...(deps.args ?? []), AUTOSTART_FLAG];
  if (deps.platform === 'linux' || (deps.platform !== 'darwin' && deps.platform !== 'win32')) {
    const file = autostartFile(deps.env, deps.homeDir);
    return {
      isEnabled: () => {
        try {
          const text = fs.readFileSync(file, 'utf8');
          return !/^Hidden=true$/m.test(text) && !/^X-GNOME-Autostart-enabled=false$/m.test(text);
        } catch {
          return false;
        }
      },
      setEnabled: (on) => {
        if (!on) {
          fs.rmSync(file, { force: true });
          return;
        }
        fs.mkdirSync(path.dirname(file), { recursive: true });
        const tmp = `${file}.${process.pid}.tmp`;
        fs.writeFileSync(tmp, desktopEntry({ name: 'CCO', exec: autostartExecutable(deps.env, deps.execPath), args }), { mode: 0o644 });
        fs.renameSync(tmp, file);
      },
    };
  }
  const winOpts = deps.platform === 'win32' ? { path: deps.execPath, args } : {};
  return {
    isEnabled: () => deps.app.getLoginItemSettings(winOpts).openAtLogin,
    setEnabled: (on) => deps.app.setLoginItemSettings({ openAtLogin: on, ...winOpts }),
  };
}

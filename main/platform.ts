/**
 * Per-platform start-up switches and identities, as pure functions (tested in Node):
 * - Windows: the AppUserModelID must equal the NSIS appId, or notifications carry the wrong identity
 *   (electron.exe's) and are grouped/attributed wrongly;
 * - Linux AppImage: an AppImage cannot ship a SUID `chrome-sandbox` (it is mounted nosuid), so Chromium
 *   needs unprivileged user namespaces; Ubuntu 24.04+ restricts them with AppArmor and the app aborts at
 *   launch (electron/electron#42510). Then, and only then, the app runs with `--no-sandbox`. The deb install
 *   (install.sh prefers it where dpkg exists) keeps the SUID sandbox;
 * - Linux Wayland: a Wayland client cannot place its own windows, so the popover would not sit by the tray.
 *   When XWayland is there (DISPLAY set), the app asks for X11 unless the user chose a platform.
 * - Self-update is off where something else owns the install (Scoop) and in development builds.
 */
import fs from 'node:fs';

/** electron-builder.yml `appId` (scripts/electron-builder-config.test.ts checks they match). */
export const APP_ID = 'dev.cco.tray';

export type ReadFile = (file: string) => string | null;

const readFileOrNull: ReadFile = (file) => {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
};

/** True when Chromium's namespace sandbox cannot start here (AppArmor or a sysctl forbids unprivileged userns). */
export function userNamespacesRestricted(read: ReadFile = readFileOrNull): boolean {
  if (read('/proc/sys/kernel/apparmor_restrict_unprivileged_userns')?.trim() === '1') return true;
  if (read('/proc/sys/kernel/unprivileged_userns_clone')?.trim() === '0') return true;
  return false;
}

export interface SwitchInput {
  platform: NodeJS.Platform;
  env: NodeJS.ProcessEnv;
  argv: readonly string[];
  read?: ReadFile;
}

/** Command-line switches to append before `ready`: [name, value?]. */
export function startupSwitches(input: SwitchInput): Array<[string, string?]> {
  if (input.platform !== 'linux') return [];
  const out: Array<[string, string?]> = [];
  const fromAppImage = !!input.env.APPIMAGE;
  if (fromAppImage && !input.argv.includes('--no-sandbox') && userNamespacesRestricted(input.read)) out.push(['no-sandbox']);
  const chosePlatform = input.argv.some((a) => a.startsWith('--ozone-platform')) || !!input.env.ELECTRON_OZONE_PLATFORM_HINT;
  const wayland = input.env.XDG_SESSION_TYPE === 'wayland' || !!input.env.WAYLAND_DISPLAY;
  if (wayland && !chosePlatform && input.env.DISPLAY) out.push(['ozone-platform', 'x11']);
  return out;
}

export type SelfUpdate = { enabled: true } | { enabled: false; reason: string };

/** Whether this install updates itself. */
export function selfUpdate(opts: { isPackaged: boolean; platform: NodeJS.Platform; execPath: string; env: NodeJS.ProcessEnv }): SelfUpdate {
  if (!opts.isPackaged) return { enabled: false, reason: 'This is a development build: it does not update itself.' };
  if (opts.platform === 'win32' && /[\\/]scoop[\\/]apps[\\/]/i.test(opts.execPath)) {
    return { enabled: false, reason: 'CCO was installed with Scoop: update it with `scoop update cco`.' };
  }
  if (opts.env.CCO_DISABLE_SELF_UPDATE === '1') return { enabled: false, reason: 'Self-update is turned off (CCO_DISABLE_SELF_UPDATE=1).' };
  return { enabled: true };
}

/**
 * Per-platform start-up switches and identities, as pure functions (tested in Node):
 * - Windows: the AppUserModelID must equal the NSIS appId, or notifications carry the wrong identity
 *   (electron.exe's) and are grouped/attributed wrongly;
 * - Linux AppImage: an AppImage cannot ship a SUID `chrome-sandbox` (it is mounted nosuid), so Chromium
 *   needs unprivileged user namespaces; Ubuntu 24.04+ restricts them with AppArmor and the app would abort
 *   at launch (electron/electron#42510), before any of this code runs. The fallback therefore lives in the
 *   launcher: electron-builder 26's AppImage AppRun adds `--no-sandbox` when `unshare -Ur true` fails
 *   (main/platform.test.ts pins that). The deb (install.sh prefers it where dpkg exists) keeps the SUID sandbox;
 * - Linux Wayland: a Wayland client cannot place its own windows, so the popover would not sit by the tray.
 *   When XWayland is there (DISPLAY set), the app asks for X11 unless the user chose a platform.
 * - Self-update is off where something else owns the install (Scoop) and in development builds.
 */
/** electron-builder.yml `appId` (scripts/electron-builder-config.test.ts checks they match). */
export const APP_ID = 'dev.cco.tray';

export interface SwitchInput {
  platform: NodeJS.Platform;
  env: NodeJS.ProcessEnv;
  argv: readonly string[];
}

/** Command-line switches to append before `ready`: [name, value?]. */
export function startupSwitches(input: SwitchInput): Array<[string, string?]> {
  if (input.platform !== 'linux') return [];
  const out: Array<[string, string?]> = [];
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

/**
 * Decisions taken once per app start, kept out of index.ts so they are tested in Node:
 * - the login item's state is read from the OS, never re-registered (a user who turned CCO off in macOS
 *   System Settings or the Windows Task Manager stays off); on Linux an enabled autostart entry is rewritten,
 *   so after an AppImage update its Exec names the current file, not a deleted one;
 * - the popover opens by itself only on the very first run (macOS `wasOpenedAtLogin` is unreliable with
 *   SMAppService, so "not a login launch" would open it at every login).
 */
import type { LoginItem } from './login-item.ts';
import type { SettingsStore } from './settings.ts';

export function syncLoginItem(loginItem: LoginItem, settings: SettingsStore, platform: NodeJS.Platform): boolean {
  const enabled = loginItem.isEnabled();
  if (enabled && platform === 'linux') loginItem.setEnabled(true);
  if (settings.get().launchAtLogin !== enabled) settings.update({ launchAtLogin: enabled });
  return enabled;
}

/** True exactly once per installation (per userData folder). */
export function takeFirstRun(settings: SettingsStore): boolean {
  if (settings.get().welcomed) return false;
  settings.update({ welcomed: true });
  return true;
}

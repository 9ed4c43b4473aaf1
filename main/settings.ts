/**
 * App preferences persisted as JSON in the app's userData folder (launch at login, recording paused).
 * Writes are atomic (temp file + rename); an unreadable or invalid file falls back to defaults.
 */
import fs from 'node:fs';
import path from 'node:path';

export interface AppSettings {
  /** Last known state of the OS login item (the OS is the truth: main/startup.ts reads it at every start). */
  launchAtLogin: boolean;
  recording: boolean;
  /** The popover was shown once on the very first run; it never opens by itself again. */
  welcomed: boolean;
}

export const DEFAULT_SETTINGS: AppSettings = { launchAtLogin: false, recording: true, welcomed: false };

export function parseSettings(value: unknown): AppSettings {
  const out = { ...DEFAULT_SETTINGS };
  if (typeof value !== 'object' || value === null) return out;
  const v = value as Record<string, unknown>;
  if (typeof v.launchAtLogin === 'boolean') out.launchAtLogin = v.launchAtLogin;
  if (typeof v.recording === 'boolean') out.recording = v.recording;
  if (typeof v.welcomed === 'boolean') out.welcomed = v.welcomed;
  return out;
}

export interface SettingsStore {
  get(): AppSettings;
  update(patch: Partial<AppSettings>): AppSettings;
}

export function createSettingsStore(dir: string, fileName = 'settings.json'): SettingsStore {
  const file = path.join(dir, fileName);
  let current: AppSettings;
  try {
    current = parseSettings(JSON.parse(fs.readFileSync(file, 'utf8')));
  } catch {
    current = { ...DEFAULT_SETTINGS };
  }
  return {
    get: () => ({ ...current }),
    update: (patch) => {
      current = parseSettings({ ...current, ...patch });
      fs.mkdirSync(dir, { recursive: true });
      const tmp = `${file}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, JSON.stringify(current, null, 2) + '\n', { mode: 0o600 });
      fs.renameSync(tmp, file);
      return { ...current };
    },
  };
}

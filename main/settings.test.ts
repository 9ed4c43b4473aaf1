import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, createSettingsStore, parseSettings } from './settings.ts';

describe('settings', () => {
  const dirs: string[] = [];
  const tmp = () => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'cco-settings-'));
    dirs.push(d);
    return d;
  };
  afterEach(() => {
    for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  });

  it('validates fields and ignores junk', () => {
    expect(parseSettings(null)).toEqual(DEFAULT_SETTINGS);
    expect(parseSettings({ launchAtLogin: 'yes', recording: false, extra: 1 })).toEqual({ launchAtLogin: false, recording: false, welcomed: false });
  });

  it('persists across instances and survives a corrupt file', () => {
    const dir = tmp();
    const a = createSettingsStore(dir);
    expect(a.get()).toEqual(DEFAULT_SETTINGS);
    a.update({ launchAtLogin: true });
    expect(createSettingsStore(dir).get()).toEqual({ launchAtLogin: true, recording: true, welcomed: false });
    fs.writeFileSync(path.join(dir, 'settings.json'), '{not json');
    expect(createSettingsStore(dir).get()).toEqual(DEFAULT_SETTINGS);
    expect(fs.readdirSync(dir)).toEqual(['settings.json']); // no temp files left behind
  });
});

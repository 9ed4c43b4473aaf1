import { describe, expect, it } from 'vitest';
import { platformCacheDir, platformDirs } from './paths.ts';

describe('platformDirs', () => {
  it('follows XDG on Linux', () => {
    expect(platformDirs({}, 'linux', '/home/u')).toEqual({ configDir: '/home/u/.config/cco', dataDir: '/home/u/.local/share/cco' });
    expect(platformDirs({ XDG_CONFIG_HOME: '/c', XDG_DATA_HOME: '/d' }, 'linux', '/home/u')).toEqual({ configDir: '/c/cco', dataDir: '/d/cco' });
  });
  it('uses Application Support on macOS and APPDATA/LOCALAPPDATA on Windows', () => {
    expect(platformDirs({}, 'darwin', '/Users/u').dataDir).toBe('/Users/u/Library/Application Support/cco');
    const win = platformDirs({ APPDATA: 'C:/R', LOCALAPPDATA: 'C:/L' }, 'win32', 'C:/u');
    expect(win.configDir).toMatch(/R.cco$/);
    expect(win.dataDir).toMatch(/L.cco$/);
  });
  it('lets CCO_DATA_DIR override the data dir', () => {
    expect(platformDirs({ CCO_DATA_DIR: '/tmp/x' }, 'linux', '/home/u').dataDir).toBe('/tmp/x');
  });
  it('puts the cache in the platform cache folder (XDG_CACHE_HOME, Library/Caches, LOCALAPPDATA\\cco\\cache), CCO_CACHE_DIR first', () => {
    expect(platformCacheDir({}, 'linux', '/home/u')).toBe('/home/u/.cache/cco');
    expect(platformCacheDir({ XDG_CACHE_HOME: '/xc' }, 'linux', '/home/u')).toBe('/xc/cco');
    expect(platformCacheDir({}, 'darwin', '/Users/u')).toBe('/Users/u/Library/Caches/cco');
    expect(platformCacheDir({ LOCALAPPDATA: 'C:/L' }, 'win32', 'C:/u')).toMatch(/L.cco.cache$/);
    expect(platformCacheDir({ CCO_CACHE_DIR: '/tmp/c' }, 'linux', '/home/u')).toBe('/tmp/c');
  });
});

import os from 'node:os';
import path from 'node:path';

/** Platform directories for CCO (seed §: data and logs in the platform data dir, config in the config dir). */
export interface PlatformDirs {
  configDir: string;
  dataDir: string;
}

export function platformDirs(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform, home = os.homedir()): PlatformDirs {
  let configDir: string;
  let dataDir: string;
  if (platform === 'darwin') {
    configDir = dataDir = path.join(home, 'Library', 'Application Support', 'cco');
  } else if (platform === 'win32') {
    configDir = path.join(env.APPDATA || path.join(home, 'AppData', 'Roaming'), 'cco');
    dataDir = path.join(env.LOCALAPPDATA || path.join(home, 'AppData', 'Local'), 'cco');
  } else {
    configDir = path.join(env.XDG_CONFIG_HOME || path.join(home, '.config'), 'cco');
    dataDir = path.join(env.XDG_DATA_HOME || path.join(home, '.local', 'share'), 'cco');
  }
  if (env.CCO_DATA_DIR) dataDir = path.resolve(env.CCO_DATA_DIR);
  if (env.CCO_CONFIG_DIR) configDir = path.resolve(env.CCO_CONFIG_DIR);
  return { configDir, dataDir };
}

/**
 * The platform cache folder (the response cache lives under it): Linux `$XDG_CACHE_HOME/cco` or
 * `~/.cache/cco`, macOS `~/Library/Caches/cco`, Windows `%LOCALAPPDATA%\cco\cache`. `CCO_CACHE_DIR` overrides it.
 */
export function platformCacheDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform, home = os.homedir()): string {
  if (env.CCO_CACHE_DIR) return path.resolve(env.CCO_CACHE_DIR);
  if (platform === 'darwin') return path.join(home, 'Library', 'Caches', 'cco');
  if (platform === 'win32') return path.join(env.LOCALAPPDATA || path.join(home, 'AppData', 'Local'), 'cco', 'cache');
  return path.join(env.XDG_CACHE_HOME || path.join(home, '.cache'), 'cco');
}

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

/** Where the built pieces live, relative to the app root (`app.getAppPath()`: the repo or app.asar). */
import path from 'node:path';

export interface AppPaths {
  preload: string;
  daemonEntry: string;
  rendererDir: string;
  assetsDir: string;
  userDataOverride: string | null;
}

export function appPaths(opts: { appPath: string; isPackaged: boolean; resourcesPath: string; env: NodeJS.ProcessEnv }): AppPaths {
  const { appPath, env } = opts;
  return {
    preload: path.join(appPath, 'out', 'preload', 'index.cjs'),
    daemonEntry: path.join(appPath, 'out', 'daemon', 'entry-utility.js'),
    rendererDir: env.CCO_RENDERER_DIR ? path.resolve(env.CCO_RENDERER_DIR) : path.join(appPath, 'out', 'renderer'),
    // Packaged: electron-builder's extraResources copies assets/ to <resources>/assets (outside the asar).
    assetsDir: opts.isPackaged ? path.join(opts.resourcesPath, 'assets') : path.join(appPath, 'assets'),
    userDataOverride: env.CCO_USER_DATA_DIR ? path.resolve(env.CCO_USER_DATA_DIR) : null,
  };
}

import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { appPaths } from './paths.ts';

describe('appPaths', () => {
  it('dev layout: everything under the repo', () => {
    const p = appPaths({ appPath: '/repo', isPackaged: false, resourcesPath: '/ignored', env: {} });
    expect(p).toEqual({
      preload: path.join('/repo', 'out', 'preload', 'index.cjs'),
      daemonEntry: path.join('/repo', 'out', 'daemon', 'entry-utility.js'),
      rendererDir: path.join('/repo', 'out', 'renderer'),
      assetsDir: path.join('/repo', 'assets'),
      userDataOverride: null,
    });
  });

  it('packaged: assets from resources; env overrides for tests', () => {
    const p = appPaths({ appPath: '/Applications/CCO.app/Contents/Resources/app.asar', isPackaged: true, resourcesPath: '/Applications/CCO.app/Contents/Resources', env: { CCO_USER_DATA_DIR: '/tmp/u', CCO_RENDERER_DIR: '/tmp/r' } });
    expect(p.assetsDir).toBe(path.join('/Applications/CCO.app/Contents/Resources', 'assets'));
    expect(p.userDataOverride).toBe(path.resolve('/tmp/u'));
    expect(p.rendererDir).toBe(path.resolve('/tmp/r'));
  });
});

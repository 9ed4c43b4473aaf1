/**
 * Finds the Electron binary that `npm install electron` downloads, WITHOUT importing the electron package
 * (its index.js would try to download it when missing). Reads node_modules/electron/path.txt like index.js does.
 */
import fs from 'node:fs';
import path from 'node:path';

export interface ElectronBinary {
  path: string | null;
  /** Why it is missing (names the file looked for), when path is null. */
  reason: string | null;
}

export function findElectronBinary(repoRoot: string, env: NodeJS.ProcessEnv = process.env): ElectronBinary {
  const pkgDir = path.join(repoRoot, 'node_modules', 'electron');
  const distDir = env.ELECTRON_OVERRIDE_DIST_PATH || path.join(pkgDir, 'dist');
  const pathTxt = path.join(pkgDir, 'path.txt');
  if (!fs.existsSync(pathTxt)) {
    return { path: null, reason: `Electron binary missing: ${pathTxt} not found (the electron package's download step has not run; try \`node node_modules/electron/install.js\`)` };
  }
  const exe = path.join(distDir, fs.readFileSync(pathTxt, 'utf8').trim());
  if (!fs.existsSync(exe)) return { path: null, reason: `Electron binary missing: ${exe} does not exist` };
  return { path: exe, reason: null };
}

/** Build the renderer once into a temp dir (so tests never clobber daemon/public). */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

export async function buildRenderer(outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cco-renderer-'))): Promise<string> {
  const vite = path.join(REPO_ROOT, 'node_modules', 'vite', 'bin', 'vite.js');
  await run(process.execPath, [vite, 'build', '--config', 'renderer/vite.config.ts', '--outDir', outDir, '--emptyOutDir', '--logLevel', 'warn'], {
    cwd: REPO_ROOT,
  });
  if (!fs.existsSync(path.join(outDir, 'index.html'))) throw new Error(`renderer build produced no index.html in ${outDir}`);
  return outDir;
}

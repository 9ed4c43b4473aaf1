/**
 * The real package, as part of `npm test` (so `.ci/run` needs no step of its own): `npm run package:smoke`
 * builds the app with electron-builder (`--linux dir`, a stub Electron binary), checks app.asar's contents,
 * size and fuses, and runs the packaged daemon under plain Node (scripts/package-smoke.ts, ~40 s).
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './helpers/build.ts';

describe('packaged app', () => {
  it('npm run package:smoke passes', () => {
    const tsx = path.join(REPO_ROOT, 'node_modules', '.bin', 'tsx');
    const r = spawnSync(tsx, [path.join(REPO_ROOT, 'scripts', 'package-smoke.ts')], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 600_000 });
    expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
  }, 660_000);
});

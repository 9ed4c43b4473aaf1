/** The package smoke's own checks (the full run is `npm run package:smoke`, which e2e/package-smoke.e2e.test.ts runs in `npm test`). */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MUST_HAVE, checkAsarListing, readFuses, writeStubElectronDist } from './package-smoke.ts';

describe('package smoke checks', () => {
  it('flags what the 57 MB app.asar shipped: renderer packages, every sql.js build, maps', () => {
    const old = [...MUST_HAVE, '/node_modules/react/index.js', '/node_modules/recharts/lib/index.js', '/node_modules/es-toolkit/dist/index.js', '/node_modules/sql.js/dist/sql-asm-debug.js', '/node_modules/sql.js/dist/sqljs-all.zip', '/out/main/index.js.map'];
    const problems = checkAsarListing(old);
    expect(problems).toHaveLength(6);
    expect(problems.join('\n')).toMatch(/react\/index\.js \(renderer-only/);
    expect(problems.join('\n')).toMatch(/sql-asm-debug\.js \(a sql\.js build the daemon does not load\)/);
    expect(checkAsarListing(MUST_HAVE)).toEqual([]);
    expect(checkAsarListing(MUST_HAVE.filter((f) => !f.includes('sql-wasm.wasm')))).toEqual(['missing /node_modules/sql.js/dist/sql-wasm.wasm']);
  });

  it('the stub Electron binary carries a fuse wire @electron/fuses can flip', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cco-stub-electron-'));
    try {
      writeStubElectronDist(dir);
      const bin = path.join(dir, 'electron');
      expect(readFuses(fs.readFileSync(bin))).toMatchObject({ runAsNode: true, onlyLoadAppFromAsar: true });
      const { flipFuses, FuseVersion, FuseV1Options } = await import('@electron/fuses');
      await flipFuses(bin, { version: FuseVersion.V1, [FuseV1Options.RunAsNode]: false });
      expect(readFuses(fs.readFileSync(bin))).toMatchObject({ runAsNode: false, onlyLoadAppFromAsar: true });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

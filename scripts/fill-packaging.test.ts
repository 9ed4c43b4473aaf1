import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fillPackaging, fillTemplate } from './fill-packaging.ts';
import { loadBuilderConfig, releaseAssetNames } from './release-assets.ts';
import { BESIDE_DAEMON } from '../daemon/cli/update-feed.ts';

const VERSION = '2026.1122.1';
const hex = (s: string): string => createHash('sha256').update(s).digest('hex');
const names = releaseAssetNames(loadBuilderConfig(), VERSION);
const allFiles = [names.macDmg.arm64, names.macDmg.x64, names.macZip.arm64, names.macZip.x64, names.winSetup, names.appImage, names.deb, names.daemon, 'latest-mac.yml'];
const sums = allFiles.map((f) => `${hex(f)}  ${f}`).join('\n') + '\n';

describe('release asset names', () => {
  it('follow electron-builder.yml and keep the arch in every name', () => {
    expect(names).toEqual({
      macDmg: { x64: 'CCO-2026.1122.1-mac-x64.dmg', arm64: 'CCO-2026.1122.1-mac-arm64.dmg' },
      macZip: { x64: 'CCO-2026.1122.1-mac-x64.zip', arm64: 'CCO-2026.1122.1-mac-arm64.zip' },
      winSetup: 'CCO-Setup-2026.1122.1-win-x64.exe',
      appImage: 'CCO-2026.1122.1-linux-x86_64.AppImage',
      deb: 'CCO-2026.1122.1-linux-amd64.deb',
      daemon: 'cco-daemon.cjs',
    });
  });

  it('install.sh and install.ps1 look for the same name shapes', () => {
    const sh = readFileSync(resolve(import.meta.dirname, '../install.sh'), 'utf8');
    const ps = readFileSync(resolve(import.meta.dirname, '../install.ps1'), 'utf8');
    for (const suffix of ['SUFFIX="-mac-$ARCH.dmg"', "SUFFIX='-linux-x86_64.AppImage'", `SUFFIX='${names.daemon}'`]) {
      expect(sh, suffix).toContain(suffix);
    }
    for (const arch of ['arm64', 'x64'] as const) expect(names.macDmg[arch].endsWith(`-mac-${arch}.dmg`)).toBe(true);
    expect(names.appImage.endsWith('-linux-x86_64.AppImage')).toBe(true);
    expect(ps).toContain('-win-x64.exe');
    expect(names.winSetup.endsWith('-win-x64.exe')).toBe(true);
  });

  it('install.sh and install.ps1 both fetch the files the daemon needs beside it (program, store worker)', () => {
    const sh = readFileSync(resolve(import.meta.dirname, '../install.sh'), 'utf8');
    const ps = readFileSync(resolve(import.meta.dirname, '../install.ps1'), 'utf8');
    // the kinds each looks for: `cco-<kind>-<hex>.cjs` names, the shapes of PROGRAM_FILE and STORE_WORKER_FILE
    for (const kind of ['program', 'store-worker']) {
      const name = `cco-${kind}-0123456789ab.cjs`;
      expect(BESIDE_DAEMON.some((p) => p.test(name)), name).toBe(true);
    }
    expect(sh).toContain('for KIND in program store-worker; do');
    expect(ps).toContain("foreach ($Kind in @('program', 'store-worker'))");
    expect(BESIDE_DAEMON).toHaveLength(2);
  });
});

describe('fill-packaging', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cco-packaging-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('fills the cask and the Scoop manifest with the right hashes', () => {
    const { cask, scoop } = fillPackaging({ version: VERSION, repo: 'cco-app/cco', sums });
    expect(cask).toContain(`version "${VERSION}"`);
    expect(cask).toContain(`sha256 "${hex(names.macDmg.arm64)}"\n    url "https://github.com/cco-app/cco/releases/download/v#{version}/${names.macDmg.arm64}"`);
    expect(cask).toContain(`sha256 "${hex(names.macDmg.x64)}"\n    url "https://github.com/cco-app/cco/releases/download/v#{version}/${names.macDmg.x64}"`);
    const manifest = JSON.parse(scoop) as { version: string; architecture: { '64bit': { url: string; hash: string } }; autoupdate: { architecture: { '64bit': { url: string } } } };
    expect(manifest.version).toBe(VERSION);
    expect(manifest.architecture['64bit']).toEqual({
      url: `https://github.com/cco-app/cco/releases/download/v${VERSION}/${names.winSetup}#/dl.7z`,
      hash: hex(names.winSetup),
    });
    expect(manifest.autoupdate.architecture['64bit'].url).toBe('https://github.com/cco-app/cco/releases/download/v$version/CCO-Setup-$version-win-x64.exe#/dl.7z');
  });

  it.skipIf(spawnSync('ruby', ['--version']).status !== 0)('writes a cask Ruby can parse', () => {
    const { cask } = fillPackaging({ version: VERSION, repo: 'cco-app/cco', sums });
    writeFileSync(join(dir, 'syntax.rb'), cask);
    expect(execFileSync('ruby', ['-c', join(dir, 'syntax.rb')], { encoding: 'utf8' })).toContain('Syntax OK');
  });

  it('fails when an asset is missing from SHA256SUMS', () => {
    const partial = sums.split('\n').filter((l) => !l.endsWith(names.winSetup)).join('\n');
    expect(() => fillPackaging({ version: VERSION, repo: 'cco-app/cco', sums: partial })).toThrow(`SHA256SUMS has no line for ${names.winSetup}`);
  });

  it('refuses unknown or leftover placeholders', () => {
    expect(() => fillTemplate('{{NOPE}}', {})).toThrow('no value for {{NOPE}}');
    expect(fillTemplate('a {{X}} b', { X: '1' })).toBe('a 1 b');
  });

  it('runs as the release workflow calls it', () => {
    writeFileSync(join(dir, 'SHA256SUMS'), sums);
    const tsx = resolve(import.meta.dirname, '../node_modules/.bin/tsx');
    const out = join(dir, 'out');
    execFileSync(tsx, [resolve(import.meta.dirname, 'fill-packaging.ts'), '--version', VERSION, '--sums', join(dir, 'SHA256SUMS'), '--repo', 'cco-app/cco', '--out', out]);
    expect(readFileSync(join(out, 'cco.rb'), 'utf8')).toContain(hex(names.macDmg.arm64));
    expect(JSON.parse(readFileSync(join(out, 'cco.json'), 'utf8')).architecture['64bit'].hash).toBe(hex(names.winSetup));
  });
});

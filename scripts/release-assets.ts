/**
 * Release asset names, computed from electron-builder.yml's artifactName patterns the way electron-builder
 * expands them (app-builder-lib `computeArtifactName` + builder-util `getArtifactArchName`: x64 is
 * `x86_64` for AppImage and `amd64` for deb). Used to fill the Homebrew/Scoop templates and by tests that
 * keep install.sh/install.ps1 in step with the real names.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import yaml from 'js-yaml';

export type Arch = 'x64' | 'arm64';

interface Section {
  artifactName?: string;
}
export interface BuilderConfig {
  productName?: string;
  artifactName?: string;
  mac?: Section;
  dmg?: Section;
  win?: Section;
  nsis?: Section;
  linux?: Section;
  appImage?: Section;
  deb?: Section;
}

export function loadBuilderConfig(root = resolve(import.meta.dirname, '..')): BuilderConfig {
  return yaml.load(readFileSync(resolve(root, 'electron-builder.yml'), 'utf8')) as BuilderConfig;
}

export function artifactArchName(arch: Arch, ext: string): string {
  if (arch === 'x64' && (ext === 'AppImage' || ext === 'rpm')) return 'x86_64';
  if (arch === 'x64' && ext === 'deb') return 'amd64';
  return arch;
}

export function expandArtifactName(pattern: string, v: { productName: string; version: string; arch: Arch; ext: string; os: string }): string {
  const values: Record<string, string> = {
    productName: v.productName,
    name: v.productName.toLowerCase(),
    version: v.version,
    arch: artifactArchName(v.arch, v.ext),
    ext: v.ext,
    os: v.os,
  };
  return pattern.replace(/\$\{(\w+)\}/g, (whole, key: string) => {
    const value = values[key];
    if (value === undefined) throw new Error(`artifactName macro ${whole} is not supported here`);
    return value;
  });
}

export interface ReleaseAssets {
  macDmg: Record<Arch, string>;
  macZip: Record<Arch, string>;
  winSetup: string;
  appImage: string;
  deb: string;
  daemon: string;
}

/** The file names a release of `version` carries (x64 for Windows/Linux, both arches for macOS). */
export function releaseAssetNames(config: BuilderConfig, version: string): ReleaseAssets {
  const productName = config.productName ?? 'CCO';
  const pick = (...sections: Array<Section | undefined>): string => {
    const found = sections.map((s) => s?.artifactName).find(Boolean) ?? config.artifactName;
    if (!found) throw new Error('electron-builder.yml needs explicit artifactName patterns');
    return found;
  };
  const name = (pattern: string, arch: Arch, ext: string, os: string): string => expandArtifactName(pattern, { productName, version, arch, ext, os });
  return {
    macDmg: { x64: name(pick(config.dmg, config.mac), 'x64', 'dmg', 'mac'), arm64: name(pick(config.dmg, config.mac), 'arm64', 'dmg', 'mac') },
    macZip: { x64: name(pick(config.mac), 'x64', 'zip', 'mac'), arm64: name(pick(config.mac), 'arm64', 'zip', 'mac') },
    winSetup: name(pick(config.nsis, config.win), 'x64', 'exe', 'win'),
    appImage: name(pick(config.appImage, config.linux), 'x64', 'AppImage', 'linux'),
    deb: name(pick(config.deb, config.linux), 'x64', 'deb', 'linux'),
    daemon: 'cco-daemon.cjs',
  };
}

/**
 * Fills packaging/homebrew/cco.rb.tmpl and packaging/scoop/cco.json.tmpl for a release.
 *
 * CLI (release workflow): `tsx scripts/fill-packaging.ts --version V --sums SHA256SUMS --repo owner/repo --out DIR`
 * writes DIR/cco.rb and DIR/cco.json. Fails when an asset is missing from SHA256SUMS or a placeholder is
 * left unfilled.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseSha256Sums } from '../daemon/cli/update-feed.ts';
import { loadBuilderConfig, releaseAssetNames, type BuilderConfig } from './release-assets.ts';

const root = resolve(import.meta.dirname, '..');

export function fillTemplate(template: string, values: Record<string, string>): string {
  const out = template.replace(/\{\{([A-Z0-9_]+)\}\}/g, (whole, key: string) => {
    const value = values[key];
    if (value === undefined) throw new Error(`no value for ${whole}`);
    return value;
  });
  const left = /\{\{[^}]*\}\}/.exec(out);
  if (left) throw new Error(`unfilled placeholder ${left[0]}`);
  return out;
}

export function packagingValues(opts: { version: string; repo: string; sums: string; config?: BuilderConfig }): Record<string, string> {
  const sums = parseSha256Sums(opts.sums);
  const names = releaseAssetNames(opts.config ?? loadBuilderConfig(root), opts.version);
  const hash = (file: string): string => {
    const h = sums.get(file);
    if (!h) throw new Error(`SHA256SUMS has no line for ${file}`);
    return h;
  };
  // the Scoop autoupdate URL keeps `$version` for Scoop to substitute
  const setupPattern = releaseAssetNames(opts.config ?? loadBuilderConfig(root), '$version').winSetup;
  return {
    VERSION: opts.version,
    REPO: opts.repo,
    MAC_ARM64_DMG: names.macDmg.arm64,
    MAC_X64_DMG: names.macDmg.x64,
    SHA256_MAC_ARM64_DMG: hash(names.macDmg.arm64),
    SHA256_MAC_X64_DMG: hash(names.macDmg.x64),
    WIN_X64_SETUP: names.winSetup,
    WIN_X64_SETUP_PATTERN: setupPattern,
    SHA256_WIN_X64_SETUP: hash(names.winSetup),
  };
}

export function fillPackaging(opts: { version: string; repo: string; sums: string; config?: BuilderConfig }): { cask: string; scoop: string } {
  const values = packagingValues(opts);
  const read = (p: string): string => readFileSync(join(root, 'packaging', p), 'utf8');
  return { cask: fillTemplate(read('homebrew/cco.rb.tmpl'), values), scoop: fillTemplate(read('scoop/cco.json.tmpl'), values) };
}

function arg(argv: string[], name: string): string {
  const i = argv.indexOf(name);
  const value = i >= 0 ? argv[i + 1] : undefined;
  if (!value) throw new Error(`missing ${name}`);
  return value;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    const argv = process.argv.slice(2);
    const out = arg(argv, '--out');
    const { cask, scoop } = fillPackaging({ version: arg(argv, '--version'), repo: arg(argv, '--repo'), sums: readFileSync(arg(argv, '--sums'), 'utf8') });
    JSON.parse(scoop);
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, 'cco.rb'), cask);
    writeFileSync(join(out, 'cco.json'), scoop);
    process.stdout.write(`wrote ${join(out, 'cco.rb')} and ${join(out, 'cco.json')}\n`);
  } catch (err) {
    process.stderr.write(`fill-packaging: ${(err as Error).message}\n`);
    process.exit(1);
  }
}

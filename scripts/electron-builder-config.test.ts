import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { validateConfiguration } from 'app-builder-lib/out/util/config/config.js';
import type { Configuration } from 'app-builder-lib';
import yaml from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { DEFAULT_RELEASE_REPO } from '../daemon/cli/update-feed.ts';

// validateConfiguration only asks the logger isEnabled/add (builder-util's DebugLogger shape)
const quietLogger = { isEnabled: false, add: () => {} } as unknown as Parameters<typeof validateConfiguration>[1];
const root = resolve(import.meta.dirname, '..');
const load = (): Configuration => yaml.load(readFileSync(resolve(root, 'electron-builder.yml'), 'utf8')) as Configuration;
const validate = (cfg: unknown): Promise<void> => validateConfiguration(cfg as Configuration, quietLogger);

interface TargetEntry {
  target: string;
  arch?: string[];
}
const targets = (list: unknown): TargetEntry[] => list as TargetEntry[];

describe('electron-builder.yml', () => {
  it("passes app-builder-lib's own schema validation", async () => {
    await expect(validate(load())).resolves.toBeUndefined();
  });

  it('the validator is live: a bad key or a bad type is rejected', async () => {
    const bogus = load() as Record<string, unknown>;
    (bogus.nsis as Record<string, unknown>).bogusKey = true;
    await expect(validate(bogus)).rejects.toThrow(/configuration\.nsis/);
    const badType = load() as Record<string, unknown>;
    (badType.mac as Record<string, unknown>).notarize = { teamId: 'X' };
    await expect(validate(badType)).rejects.toThrow(/configuration\.mac/);
  });

  it('names the app CCO', () => {
    const cfg = load();
    expect(cfg.appId).toBe('dev.cco.tray');
    expect(cfg.productName).toBe('CCO');
  });

  it('builds dmg and zip for x64 and arm64 in one mac invocation, signed and notarized', () => {
    const mac = load().mac!;
    const list = targets(mac.target);
    for (const kind of ['dmg', 'zip']) {
      const entry = list.find((t) => t.target === kind);
      expect(entry, kind).toBeDefined();
      expect([...(entry!.arch ?? [])].sort()).toEqual(['arm64', 'x64']);
    }
    expect(mac.hardenedRuntime).toBe(true);
    expect(mac.notarize).toBe(true);
    expect(mac.extendInfo).toMatchObject({ LSUIElement: true });
    expect(mac.entitlements).toBe('assets/entitlements.mac.plist');
    expect(mac.entitlementsInherit).toBe('assets/entitlements.mac.plist');
    const plist = readFileSync(resolve(root, mac.entitlements!), 'utf8');
    expect(plist).toMatch(/<key>com\.apple\.security\.cs\.allow-jit<\/key>\s*<true\/>/);
  });

  it('keeps ${arch} in every artifact name (the mac updater picks arm64 files by name)', () => {
    const cfg = load() as Record<string, { artifactName?: string } | undefined>;
    const names = ['mac', 'dmg', 'win', 'nsis', 'linux'].map((k) => [k, cfg[k]?.artifactName] as const);
    for (const [key, name] of names) {
      expect(name, key).toBeDefined();
      expect(name, key).toContain('${arch}');
      expect(name, key).toContain('${version}');
    }
  });

  it('builds a per-user one-click NSIS installer with literal Azure signing options', () => {
    const cfg = load();
    expect(targets(cfg.win!.target)).toEqual([{ target: 'nsis', arch: ['x64'] }]);
    expect(cfg.nsis).toMatchObject({ oneClick: true, perMachine: false });
    const azure = cfg.win!.azureSignOptions as Record<string, string>;
    for (const key of ['publisherName', 'endpoint', 'codeSigningAccountName', 'certificateProfileName']) {
      expect(azure[key], key).toBeTruthy();
      expect(azure[key], key).not.toContain('${');
    }
  });

  it('builds AppImage and deb on Linux', () => {
    expect(targets(load().linux!.target).map((t) => t.target).sort()).toEqual(['AppImage', 'deb']);
  });

  it('sets the hardening fuses', () => {
    expect(load().electronFuses).toMatchObject({
      runAsNode: false,
      enableCookieEncryption: true,
      enableNodeOptionsEnvironmentVariable: false,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
    });
  });

  it('publishes drafts to the same GitHub repository the daemon updater reads', () => {
    const publish = load().publish as Record<string, unknown>;
    expect(publish).toMatchObject({ provider: 'github', releaseType: 'draft', vPrefixedTagName: true });
    expect(`${String(publish.owner)}/${String(publish.repo)}`).toBe(DEFAULT_RELEASE_REPO);
    // the install scripts default to the same repository
    expect(readFileSync(resolve(root, 'install.sh'), 'utf8')).toContain(`REPO="\${CCO_REPO:-${DEFAULT_RELEASE_REPO}}"`);
    expect(readFileSync(resolve(root, 'install.ps1'), 'utf8')).toContain(`else { '${DEFAULT_RELEASE_REPO}' }`);
  });
});

/**
 * Channel policy against the REAL electron-updater GitHub provider, pointed at a local fake of github.com
 * (releases.atom, the latest-release API, release assets): beta sees GitHub prereleases, stable does not,
 * and switching back to stable from a beta build offers the newest stable even though it sorts lower.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UpdateService, type UpdateChannel } from './updater.ts';
import { createTestUpdater, latestYml, startFeedServer } from './updater-test-feed.ts';

const OWNER = 'cco-app';
const REPO = 'cco';

interface FakeRelease {
  tag: string;
  prerelease: boolean;
}

/** Files a GitHub repository with these releases (newest first) would serve to electron-updater. */
function githubFiles(releases: FakeRelease[], payload: Buffer): Map<string, string | Buffer> {
  const files = new Map<string, string | Buffer>();
  const entries = releases.map(
    (r) => `<entry><id>tag:github.com,2008:Repository/1/${r.tag}</id><link rel="alternate" type="text/html" href="https://github.com/${OWNER}/${REPO}/releases/tag/${r.tag}"/><title>${r.tag}</title><content type="html">notes ${r.tag}</content></entry>`,
  );
  files.set(`/${OWNER}/${REPO}/releases.atom`, `<?xml version="1.0" encoding="UTF-8"?><feed xmlns="http://www.w3.org/2005/Atom">${entries.join('')}</feed>`);
  const latestStable = releases.find((r) => !r.prerelease);
  if (latestStable) files.set(`/api/v3/repos/${OWNER}/${REPO}/releases/latest`, JSON.stringify({ tag_name: latestStable.tag }));
  for (const r of releases) {
    const version = r.tag.replace(/^v/, '');
    const file = `CCO-Setup-${version}-win-x64.exe`;
    // electron-builder's github publishing writes only latest*.yml, also for prereleases
    files.set(`/${OWNER}/${REPO}/releases/download/${r.tag}/latest.yml`, latestYml(version, file, payload));
    files.set(`/${OWNER}/${REPO}/releases/download/${r.tag}/${file}`, payload);
  }
  return files;
}

describe('update channels with the real GitHub provider', () => {
  let dir: string;
  let feed: Awaited<ReturnType<typeof startFeedServer>>;
  const releases: FakeRelease[] = [
    { tag: 'v2026.1122.2-beta.1', prerelease: true },
    { tag: 'v2026.1122.1', prerelease: false },
    { tag: 'v2026.1121.0', prerelease: false },
  ];

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cco-channels-'));
    feed = await startFeedServer(githubFiles(releases, randomBytes(1024)));
  });
  afterEach(async () => {
    await feed.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const service = (version: string, channel: UpdateChannel): UpdateService => {
    const host = feed.url.replace('http://', '');
    const appUpdateYml = `provider: github\nowner: ${OWNER}\nrepo: ${REPO}\nhost: ${host}\nprotocol: http\nupdaterCacheDirName: cco-updater\n`;
    return new UpdateService({ updater: createTestUpdater({ dir, version, appUpdateYml }), channel });
  };

  it('stable ignores prereleases', async () => {
    const status = await service('2026.1121.0', 'stable').check();
    expect(status.state).toMatchObject({ kind: 'available', version: '2026.1122.1' });
  });

  it('beta offers the newest prerelease', async () => {
    const status = await service('2026.1121.0', 'beta').check();
    expect(status.state).toMatchObject({ kind: 'available', version: '2026.1122.2-beta.1' });
  });

  it('a beta build on beta with nothing newer stays put', async () => {
    expect((await service('2026.1122.2-beta.1', 'beta').check()).state.kind).toBe('not-available');
  });

  it('switching a beta build back to stable offers the newest stable (downgrade)', async () => {
    const svc = service('2026.1122.2-beta.1', 'beta');
    expect((await svc.check()).state.kind).toBe('not-available');
    svc.setChannel('stable');
    const status = await svc.check();
    expect(status.channel).toBe('stable');
    expect(status.state).toMatchObject({ kind: 'available', version: '2026.1122.1' });
  });

  it('a stable build newer than every release never downgrades', async () => {
    expect((await service('2026.1123.0', 'stable').check()).state.kind).toBe('not-available');
  });

  it('a stable build that tried beta and went back stays put', async () => {
    const svc = service('2026.1122.1', 'beta');
    expect((await svc.check()).state).toMatchObject({ kind: 'available', version: '2026.1122.2-beta.1' });
    svc.setChannel('stable');
    expect((await svc.check()).state.kind).toBe('not-available');
  });

  describe('channel files and date versions', () => {
    let feed2: Awaited<ReturnType<typeof startFeedServer>>;
    let dir2: string;
    const payload = randomBytes(2048);
    afterEach(async () => {
      await feed2?.close();
      if (dir2) rmSync(dir2, { recursive: true, force: true });
    });
    const serviceOn = (files: Map<string, string | Buffer>, version: string, channel: UpdateChannel) => {
      const host = feed2.url.replace('http://', '');
      const appUpdateYml = `provider: github\nowner: ${OWNER}\nrepo: ${REPO}\nhost: ${host}\nprotocol: http\nupdaterCacheDirName: cco-updater\n`;
      return new UpdateService({ updater: createTestUpdater({ dir: dir2, version, appUpdateYml }), channel });
    };

    it('a prerelease with its own beta.yml is read from it; without one, latest.yml is the fallback', async () => {
      dir2 = mkdtempSync(join(tmpdir(), 'cco-channels-beta-'));
      const files = githubFiles([{ tag: 'v2026.1201.0-beta.2', prerelease: true }, { tag: 'v2026.1130.0', prerelease: false }], payload);
      const betaFile = 'CCO-Setup-2026.1201.0-beta.2-win-x64-from-beta-yml.exe';
      files.set(`/${OWNER}/${REPO}/releases/download/v2026.1201.0-beta.2/beta.yml`, latestYml('2026.1201.0-beta.2', betaFile, payload));
      files.set(`/${OWNER}/${REPO}/releases/download/v2026.1201.0-beta.2/${betaFile}`, payload);
      feed2 = await startFeedServer(files);
      const svc = serviceOn(files, '2026.1130.0', 'beta');
      expect((await svc.check()).state).toMatchObject({ kind: 'available', version: '2026.1201.0-beta.2' });
      expect(feed2.requested).toContain(`/${OWNER}/${REPO}/releases/download/v2026.1201.0-beta.2/beta.yml`);
      expect(feed2.requested).not.toContain(`/${OWNER}/${REPO}/releases/download/v2026.1201.0-beta.2/latest.yml`);
      expect((await svc.download()).state.kind).toBe('downloaded');
      expect(feed2.requested).toContain(`/${OWNER}/${REPO}/releases/download/v2026.1201.0-beta.2/${betaFile}`);

      // the same release without beta.yml: 404, then latest.yml
      files.delete(`/${OWNER}/${REPO}/releases/download/v2026.1201.0-beta.2/beta.yml`);
      feed2.requested.length = 0;
      rmSync(dir2, { recursive: true, force: true });
      dir2 = mkdtempSync(join(tmpdir(), 'cco-channels-beta-'));
      expect((await serviceOn(files, '2026.1130.0', 'beta').check()).state).toMatchObject({ kind: 'available', version: '2026.1201.0-beta.2' });
      expect(feed2.requested).toEqual(expect.arrayContaining([
        `/${OWNER}/${REPO}/releases/download/v2026.1201.0-beta.2/beta.yml`,
        `/${OWNER}/${REPO}/releases/download/v2026.1201.0-beta.2/latest.yml`,
      ]));
    });

    it('date versions across a year boundary: 2027.101.0 is newer than 2026.1231.3, on both channels', async () => {
      dir2 = mkdtempSync(join(tmpdir(), 'cco-channels-year-'));
      const files = githubFiles([
        { tag: 'v2027.102.0-beta.1', prerelease: true },
        { tag: 'v2027.101.0', prerelease: false },
        { tag: 'v2026.1231.3', prerelease: false },
      ], payload);
      feed2 = await startFeedServer(files);
      expect((await serviceOn(files, '2026.1231.3', 'stable').check()).state).toMatchObject({ kind: 'available', version: '2027.101.0' });
      expect((await serviceOn(files, '2026.1231.3', 'beta').check()).state).toMatchObject({ kind: 'available', version: '2027.102.0-beta.1' });
      expect((await serviceOn(files, '2027.101.0', 'stable').check()).state.kind).toBe('not-available');
      // a December beta does not outrank January's stable when the user goes back to stable
      const back = serviceOn(files, '2026.1231.4-beta.1', 'stable');
      expect((await back.check()).state).toMatchObject({ kind: 'available', version: '2027.101.0' });
    });
  });
});

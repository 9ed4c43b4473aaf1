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
});

/**
 * Contract test: UpdateService over the REAL electron-updater (NsisUpdater, generic provider) against a local
 * HTTP feed. Guards the parts of electron-updater we rely on: version comparison, sha512 verification.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UpdateService, type UpdateStatus } from './updater.ts';
import { createTestUpdater, latestYml, sha512Base64, startFeedServer } from './updater-test-feed.ts';

const INSTALLER = 'CCO-Setup-2026.1122.1-win-x64.exe';

describe('UpdateService with the real electron-updater', () => {
  let dir: string;
  let feed: Awaited<ReturnType<typeof startFeedServer>>;
  let files: Map<string, string | Buffer>;
  const payload = randomBytes(256 * 1024);

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cco-updater-'));
    files = new Map();
    feed = await startFeedServer(files);
  });
  afterEach(async () => {
    await feed.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const service = (version: string): { svc: UpdateService; seen: UpdateStatus[] } => {
    const updater = createTestUpdater({ dir, version, appUpdateYml: `provider: generic\nurl: ${feed.url}/\nupdaterCacheDirName: cco-updater\n` });
    const svc = new UpdateService({ updater });
    const seen: UpdateStatus[] = [];
    svc.onStatus((s) => seen.push(s));
    return { svc, seen };
  };

  it('finds a newer version and reports it as available (no automatic download)', async () => {
    files.set('/latest.yml', latestYml('2026.1122.1', INSTALLER, payload));
    files.set(`/${INSTALLER}`, payload);
    const { svc, seen } = service('2026.1121.0');
    svc.start();
    try {
      await expect.poll(() => svc.getStatus().state.kind).toBe('available');
      expect(svc.getStatus().state).toMatchObject({ kind: 'available', version: '2026.1122.1' });
      expect(seen.map((s) => s.state.kind)).toContain('checking');
      expect(feed.requested).toContain('/latest.yml');
      expect(feed.requested).not.toContain(`/${INSTALLER}`);
    } finally {
      svc.stop();
    }
  });

  it('ignores the same version', async () => {
    files.set('/latest.yml', latestYml('2026.1122.1', INSTALLER, payload));
    const { svc } = service('2026.1122.1');
    const status = await svc.check();
    expect(status.state.kind).toBe('not-available');
    expect(status.lastCheckAt).not.toBeNull();
  });

  it('ignores an older version on the stable channel', async () => {
    files.set('/latest.yml', latestYml('2026.1120.3', INSTALLER, payload));
    const { svc } = service('2026.1122.1');
    expect((await svc.check()).state.kind).toBe('not-available');
  });

  it('downloads with progress, verifies sha512 and becomes ready to install', async () => {
    files.set('/latest.yml', latestYml('2026.1122.1', INSTALLER, payload));
    files.set(`/${INSTALLER}`, payload);
    const { svc, seen } = service('2026.1121.0');
    svc.start();
    try {
      await expect.poll(() => svc.getStatus().state.kind).toBe('available');
      const status = await svc.download();
      expect(status.state).toEqual({ kind: 'downloaded', version: '2026.1122.1' });
      expect(seen.some((s) => s.state.kind === 'downloading')).toBe(true);
      expect(feed.requested).toContain(`/${INSTALLER}`);
      const pending = join(dir, 'cache', 'cco-updater', 'pending');
      expect(readdirSync(pending)).toContain(INSTALLER);
    } finally {
      svc.stop();
    }
  });

  it('rejects a download whose sha512 does not match and shows an error instead of crashing', async () => {
    const wrong = sha512Base64(Buffer.from('something else'));
    files.set('/latest.yml', latestYml('2026.1122.1', INSTALLER, payload, wrong));
    files.set(`/${INSTALLER}`, payload);
    const { svc } = service('2026.1121.0');
    svc.start();
    try {
      await expect.poll(() => svc.getStatus().state.kind).toBe('available');
      const status = await svc.download();
      expect(status.state).toMatchObject({ kind: 'error', during: 'download', code: 'ERR_CHECKSUM_MISMATCH' });
      expect(await svc.install()).toBe(false);
      const pending = join(dir, 'cache', 'cco-updater', 'pending');
      expect(existsSync(join(pending, INSTALLER))).toBe(false);
    } finally {
      svc.stop();
    }
  });

  it('reports an unreachable feed as an error state', async () => {
    await feed.close();
    const { svc } = service('2026.1121.0');
    const status = await svc.check();
    expect(status.state).toMatchObject({ kind: 'error', during: 'check' });
    feed = await startFeedServer(files); // afterEach closes it again
  });
});

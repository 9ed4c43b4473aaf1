import { EventEmitter } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CHECK_INTERVAL_MS, UpdateService, checkFeedback, describeUpdateError, type UpdaterLike } from './updater.ts';

/** A typed fake of electron-updater's AppUpdater: emits what the real one emits, counts calls. */
class FakeUpdater extends EventEmitter implements UpdaterLike {
  autoDownload = true;
  autoInstallOnAppQuit = false;
  allowPrerelease = false;
  allowDowngrade = false;
  readonly currentVersion: { version: string };
  checks = 0;
  installs: Array<[boolean | undefined, boolean | undefined]> = [];
  nextCheck: () => Promise<unknown> = async () => {
    this.emit('checking-for-update');
    this.emit('update-not-available', { version: this.currentVersion.version });
    return { isUpdateAvailable: false };
  };
  nextDownload: () => Promise<unknown> = async () => [];

  constructor(version: string) {
    super();
    this.currentVersion = { version };
  }
  checkForUpdates(): Promise<unknown> {
    this.checks += 1;
    return this.nextCheck();
  }
  downloadUpdate(): Promise<unknown> {
    return this.nextDownload();
  }
  quitAndInstall(isSilent?: boolean, isForceRunAfter?: boolean): void {
    this.installs.push([isSilent, isForceRunAfter]);
  }
}

const offer = (u: FakeUpdater, version: string): void => {
  u.nextCheck = async () => {
    u.emit('checking-for-update');
    u.emit('update-available', { version, releaseName: `CCO ${version}`, releaseDate: '2026-11-22T00:00:00Z' });
    return { isUpdateAvailable: true, updateInfo: { version } };
  };
};

describe('UpdateService', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('turns automatic download off and sets the channel flags', () => {
    const stable = new FakeUpdater('2026.1122.0');
    new UpdateService({ updater: stable });
    expect(stable).toMatchObject({ autoDownload: false, autoInstallOnAppQuit: true, allowPrerelease: false, allowDowngrade: false });

    const beta = new FakeUpdater('2026.1122.1-beta.1');
    const svc = new UpdateService({ updater: beta, channel: 'beta' });
    expect(beta).toMatchObject({ allowPrerelease: true, allowDowngrade: false });
    svc.setChannel('stable');
    expect(beta).toMatchObject({ allowPrerelease: false, allowDowngrade: true });
  });

  it('checks at start and every 6 hours; stop clears the timer and the listeners', async () => {
    const u = new FakeUpdater('2026.1122.0');
    const svc = new UpdateService({ updater: u });
    svc.start();
    svc.start(); // idempotent
    await vi.advanceTimersByTimeAsync(0);
    expect(u.checks).toBe(1);
    expect(u.listenerCount('update-available')).toBe(1);
    await vi.advanceTimersByTimeAsync(CHECK_INTERVAL_MS - 1);
    expect(u.checks).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(u.checks).toBe(2);
    await vi.advanceTimersByTimeAsync(CHECK_INTERVAL_MS * 2);
    expect(u.checks).toBe(4);
    svc.stop();
    svc.stop();
    expect(u.eventNames()).toEqual([]);
    await vi.advanceTimersByTimeAsync(CHECK_INTERVAL_MS * 3);
    expect(u.checks).toBe(4);
  });

  it('walks available → downloading (progress) → downloaded → install', async () => {
    const u = new FakeUpdater('2026.1122.0');
    offer(u, '2026.1123.0');
    u.nextDownload = async () => {
      u.emit('download-progress', { percent: 40, transferred: 40, total: 100, bytesPerSecond: 10 });
      u.emit('update-downloaded', { version: '2026.1123.0' });
      return ['/tmp/x'];
    };
    const svc = new UpdateService({ updater: u });
    const kinds: string[] = [];
    const percents: number[] = [];
    svc.onStatus((s) => {
      kinds.push(s.state.kind);
      if (s.state.kind === 'downloading') percents.push(s.state.percent);
    });
    svc.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(svc.getStatus().state).toMatchObject({ kind: 'available', version: '2026.1123.0', releaseName: 'CCO 2026.1123.0' });
    expect(await svc.install()).toBe(false); // nothing downloaded yet
    await svc.download();
    expect(kinds).toEqual(['checking', 'available', 'downloading', 'downloading', 'downloaded']);
    expect(percents).toEqual([0, 40]);
    // a periodic check must not throw away a finished download
    await vi.advanceTimersByTimeAsync(CHECK_INTERVAL_MS);
    expect(u.checks).toBe(1);
    const order: string[] = [];
    const origQuit = u.quitAndInstall.bind(u);
    u.quitAndInstall = (a, b) => (order.push('quitAndInstall'), origQuit(a, b));
    const installed = svc.install(async () => {
      await Promise.resolve();
      order.push('daemon stopped');
    });
    expect(await installed).toBe(true);
    expect(order).toEqual(['daemon stopped', 'quitAndInstall']); // the daemon is stopped cleanly first
    expect(u.installs).toEqual([[false, true]]);
    expect(svc.running).toBe(false);
  });

  it('shares one check and one download between concurrent callers', async () => {
    const u = new FakeUpdater('2026.1122.0');
    offer(u, '2026.1123.0');
    let downloads = 0;
    u.nextDownload = async () => {
      downloads += 1;
      await new Promise((r) => setTimeout(r, 10));
      return [];
    };
    const svc = new UpdateService({ updater: u });
    await Promise.all([svc.check(), svc.check()]);
    expect(u.checks).toBe(1);
    const both = Promise.all([svc.download(), svc.download()]);
    await vi.advanceTimersByTimeAsync(10);
    await both;
    expect(downloads).toBe(1);
    expect(svc.getStatus().state).toEqual({ kind: 'downloaded', version: '2026.1123.0' });
  });

  it('turns a failing check or download into an error state, and allows a retry', async () => {
    const u = new FakeUpdater('2026.1122.0');
    u.nextCheck = async () => {
      const err = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' });
      u.emit('error', err);
      throw err;
    };
    const svc = new UpdateService({ updater: u });
    const errors: string[] = [];
    svc.onStatus((s) => s.state.kind === 'error' && errors.push(s.state.message));
    svc.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(svc.getStatus().state).toEqual({ kind: 'error', during: 'check', message: 'Could not reach the update server.', code: 'ECONNREFUSED' });
    expect(errors).toHaveLength(1); // the event and the rejection do not report twice

    offer(u, '2026.1123.0');
    let fail = true;
    u.nextDownload = async () => {
      if (fail) throw Object.assign(new Error('sha512 checksum mismatch'), { code: 'ERR_CHECKSUM_MISMATCH' });
      return [];
    };
    await svc.check();
    await svc.download();
    expect(svc.getStatus().state).toMatchObject({ kind: 'error', during: 'download', code: 'ERR_CHECKSUM_MISMATCH' });
    fail = false;
    await svc.download(); // retry straight from the failed download
    expect(svc.getStatus().state).toEqual({ kind: 'downloaded', version: '2026.1123.0' });
    svc.stop();
  });

  it('keeps running when a status listener throws', async () => {
    const u = new FakeUpdater('2026.1122.0');
    const log: string[] = [];
    const svc = new UpdateService({ updater: u, log: (m) => log.push(m) });
    svc.onStatus(() => {
      throw new Error('renderer gone');
    });
    const seen: string[] = [];
    const off = svc.onStatus((s) => seen.push(s.state.kind));
    await svc.check();
    expect(seen).toEqual(['checking', 'not-available']);
    expect(log.some((l) => l.includes('renderer gone'))).toBe(true);
    off();
    await svc.check();
    expect(seen).toHaveLength(2);
  });

  it('rechecks when the channel changes while running', async () => {
    const u = new FakeUpdater('2026.1122.0');
    const svc = new UpdateService({ updater: u });
    svc.start();
    await vi.advanceTimersByTimeAsync(0);
    svc.setChannel('beta');
    await vi.advanceTimersByTimeAsync(0);
    expect(u.checks).toBe(2);
    expect(svc.getStatus().channel).toBe('beta');
    svc.setChannel('beta'); // no change, no check
    await vi.advanceTimersByTimeAsync(0);
    expect(u.checks).toBe(2);
    svc.stop();
  });
});

describe('describeUpdateError', () => {
  it('keeps unknown errors to their first line', () => {
    const { message, code } = describeUpdateError(new Error('Cannot parse releases feed: boom\nXML:\n<feed>…'));
    expect(message).toBe('Update failed: Cannot parse releases feed: boom');
    expect(code).toBeNull();
    expect(describeUpdateError('plain').message).toBe('Update failed: plain');
  });

  it('[updates] auto_check = false: no check at start or on the timer, but a check the user asks for works', async () => {
    vi.useFakeTimers();
    const u = new FakeUpdater('2026.1122.0');
    offer(u, '2026.1123.0');
    const svc = new UpdateService({ updater: u, autoCheck: false });
    svc.start();
    await vi.advanceTimersByTimeAsync(CHECK_INTERVAL_MS * 2);
    expect(u.checks).toBe(0);
    expect((await svc.check()).state).toMatchObject({ kind: 'available', version: '2026.1123.0' });
    expect(u.checks).toBe(1);
    svc.stop();
    vi.useRealTimers();
  });

  it('a check the user asked for always answers: up to date, or why it failed', async () => {
    const u = new FakeUpdater('2026.1122.0');
    const svc = new UpdateService({ updater: u });
    svc.start();
    expect(checkFeedback(await svc.check())).toEqual({ title: 'CCO is up to date', body: 'Version 2026.1122.0 is the newest on the stable channel.' });
    u.nextCheck = async () => {
      throw Object.assign(new Error('net::ERR_CONNECTION_REFUSED'), { code: 'ECONNREFUSED' });
    };
    expect(checkFeedback(await svc.check())).toEqual({ title: 'Update check failed', body: 'Could not reach the update server.' });
    svc.stop();
  });
});

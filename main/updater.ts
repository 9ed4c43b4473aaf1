/**
 * The app's update flow over electron-updater: check at start and every 6 hours, never download on its own;
 * the renderer shows "Update available → Download (progress) → Restart to install".
 *
 * Electron-free: the updater object (electron-updater's `autoUpdater`, or a real `NsisUpdater` in tests) is
 * injected. Channel policy: stable = GitHub releases only; beta = also GitHub prereleases
 * (`allowPrerelease`); on stable while running a beta build, `allowDowngrade` lets the newest stable replace
 * the beta. No method throws: failures become an `error` state.
 */
import semver from 'semver';

import type { UpdateChannel, UpdateState, UpdateStatus } from '../shared/bridge.ts';

export type { UpdateChannel, UpdateState, UpdateStatus };

export type UpdaterEvent = 'checking-for-update' | 'update-available' | 'update-not-available' | 'download-progress' | 'update-downloaded' | 'error';
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- event payloads differ per event, as in EventEmitter
type Listener = (...args: any[]) => void;

/** The part of electron-updater's AppUpdater this service uses (`autoUpdater` satisfies it). */
export interface UpdaterLike {
  autoDownload: boolean;
  autoInstallOnAppQuit: boolean;
  allowPrerelease: boolean;
  allowDowngrade: boolean;
  readonly currentVersion: { readonly version: string };
  checkForUpdates(): Promise<unknown>;
  downloadUpdate(): Promise<unknown>;
  quitAndInstall(isSilent?: boolean, isForceRunAfter?: boolean): void;
  on(event: UpdaterEvent, listener: Listener): unknown;
  removeListener(event: UpdaterEvent, listener: Listener): unknown;
}

export interface UpdateServiceOptions {
  updater: UpdaterLike;
  channel?: UpdateChannel;
  /** Between checks; default 6 hours. */
  intervalMs?: number;
  /** Delay of the first check after start(); default 0 (check at start). */
  startDelayMs?: number;
  /** `[updates] auto_check`: false = only checks the user asks for (start() still listens). Default true. */
  autoCheck?: boolean;
  /** Where the service notes what it did (never secrets); default: nothing. */
  log?: (message: string) => void;
  now?: () => number;
}

export const CHECK_INTERVAL_MS = 6 * 60 * 60 * 1000;

interface InfoLike {
  version?: string;
  releaseName?: string | null;
  releaseDate?: string | null;
}
interface ProgressLike {
  percent?: number;
  transferred?: number;
  total?: number;
  bytesPerSecond?: number;
}

/** A short, user-facing message for an updater error (codes from electron-updater / builder-util-runtime). */
export function describeUpdateError(err: unknown): { message: string; code: string | null } {
  const e = err as { code?: unknown; message?: unknown } | null;
  const code = typeof e?.code === 'string' ? e.code : null;
  const raw = typeof e?.message === 'string' ? e.message : String(err);
  const known: Record<string, string> = {
    ERR_CHECKSUM_MISMATCH: 'The downloaded update failed its checksum and was discarded.',
    ERR_UPDATER_INVALID_VERSION: 'The update feed lists an invalid version.',
    ERR_UPDATER_ZIP_FILE_NOT_FOUND: 'The update has no macOS zip file.',
    ERR_UPDATER_CHANNEL_FILE_NOT_FOUND: 'The release has no update information for this platform.',
    ERR_UPDATER_LATEST_VERSION_NOT_FOUND: 'No published release was found.',
    ERR_UPDATER_NO_PUBLISHED_VERSIONS: 'No published release was found.',
    ECONNREFUSED: 'Could not reach the update server.',
    ENOTFOUND: 'Could not reach the update server.',
    ETIMEDOUT: 'The update server did not answer in time.',
    ECONNRESET: 'The connection to the update server was interrupted.',
  };
  if (code && known[code]) return { message: known[code], code };
  // first line only: electron-updater appends stacks and whole feed bodies to some messages
  const firstLine = raw.split('\n')[0]!.slice(0, 300);
  return { message: `Update failed: ${firstLine}`, code };
}

export class UpdateService {
  readonly #updater: UpdaterLike;
  readonly #intervalMs: number;
  readonly #startDelayMs: number;
  readonly #autoCheck: boolean;
  #started = false;
  readonly #log: (message: string) => void;
  readonly #now: () => number;
  #channel: UpdateChannel;
  #state: UpdateState = { kind: 'idle' };
  #lastCheckAt: number | null = null;
  #listeners = new Set<(status: UpdateStatus) => void>();
  #subscriptions: Array<[UpdaterEvent, Listener]> = [];
  #timer: ReturnType<typeof setInterval> | null = null;
  #startTimer: ReturnType<typeof setTimeout> | null = null;
  #checking: Promise<UpdateStatus> | null = null;
  #downloading: Promise<UpdateStatus> | null = null;
  #pendingVersion: string | null = null;
  #installing = false;

  constructor(opts: UpdateServiceOptions) {
    this.#updater = opts.updater;
    this.#intervalMs = opts.intervalMs ?? CHECK_INTERVAL_MS;
    this.#startDelayMs = opts.startDelayMs ?? 0;
    this.#autoCheck = opts.autoCheck ?? true;
    this.#log = opts.log ?? (() => {});
    this.#now = opts.now ?? Date.now;
    this.#channel = opts.channel ?? 'stable';
    this.#updater.autoDownload = false;
    this.#updater.autoInstallOnAppQuit = true;
    this.#applyChannel();
  }

  get running(): boolean {
    return this.#started;
  }

  getStatus(): UpdateStatus {
    return { state: this.#state, channel: this.#channel, currentVersion: this.#updater.currentVersion.version, lastCheckAt: this.#lastCheckAt };
  }

  /** Calls `listener` on every status change; returns the unsubscribe function. */
  onStatus(listener: (status: UpdateStatus) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Subscribes to the updater, checks now (or after startDelayMs) and every intervalMs. Idempotent. */
  start(): void {
    if (this.#started) return;
    this.#started = true;
    this.#subscribe();
    if (!this.#autoCheck) return;
    this.#startTimer = setTimeout(() => {
      this.#startTimer = null;
      void this.check();
    }, this.#startDelayMs);
    this.#timer = setInterval(() => void this.check(), this.#intervalMs);
    this.#timer.unref?.();
  }

  /** Clears the timers and the updater listeners. Idempotent. */
  stop(): void {
    if (this.#startTimer) clearTimeout(this.#startTimer);
    if (this.#timer) clearInterval(this.#timer);
    this.#startTimer = null;
    this.#timer = null;
    this.#started = false;
    for (const [event, fn] of this.#subscriptions) this.#updater.removeListener(event, fn);
    this.#subscriptions = [];
  }

  /** Switches channel; beta ⇄ stable takes effect at the next check (started now if running). */
  setChannel(channel: UpdateChannel): void {
    if (channel === this.#channel) return;
    this.#channel = channel;
    this.#applyChannel();
    this.#log(`update channel: ${channel}`);
    if (this.#state.kind === 'available' || this.#state.kind === 'not-available' || this.#state.kind === 'error') {
      this.#set({ kind: 'idle' });
    }
    if (this.running) void this.check();
    else this.#emit();
  }

  /** Asks the feed for a newer version. Never rejects; a download in progress or finished is kept. */
  check(): Promise<UpdateStatus> {
    if (this.#checking) return this.#checking;
    if (this.#state.kind === 'downloading' || this.#state.kind === 'downloaded') return Promise.resolve(this.getStatus());
    this.#set({ kind: 'checking' });
    this.#checking = (async () => {
      try {
        const result = (await this.#updater.checkForUpdates()) as { isUpdateAvailable?: boolean; updateInfo?: InfoLike } | null;
        this.#lastCheckAt = this.#now();
        if (this.#state.kind === 'checking') {
          // events normally set the state; this covers updaters that only resolve the promise
          if (result?.isUpdateAvailable && result.updateInfo) this.#available(result.updateInfo);
          else this.#set({ kind: 'not-available', checkedAt: this.#lastCheckAt });
        }
      } catch (err) {
        this.#lastCheckAt = this.#now();
        this.#fail('check', err);
      } finally {
        this.#checking = null;
      }
      return this.getStatus();
    })();
    return this.#checking;
  }

  /** Downloads the available update (verifying its sha512). Only from `available` (or a failed download). */
  download(): Promise<UpdateStatus> {
    if (this.#downloading) return this.#downloading;
    const from = this.#state;
    const version = from.kind === 'available' ? from.version : from.kind === 'error' && from.during === 'download' ? this.#pendingVersion : null;
    if (!version) return Promise.resolve(this.getStatus());
    this.#set({ kind: 'downloading', version, percent: 0, transferred: 0, total: 0, bytesPerSecond: 0 });
    this.#downloading = (async () => {
      try {
        await this.#updater.downloadUpdate();
        if (this.#state.kind !== 'downloaded') this.#set({ kind: 'downloaded', version });
      } catch (err) {
        this.#fail('download', err);
      } finally {
        this.#downloading = null;
      }
      return this.getStatus();
    })();
    return this.#downloading;
  }

  /**
   * Quits and runs the installer; only after a finished download. `beforeQuit` runs first and is awaited
   * (the app stops its daemon cleanly there, so the installer never kills it mid-write). Resolves whether it
   * handed over to the installer.
   */
  async install(beforeQuit?: () => Promise<void>): Promise<boolean> {
    if (this.#state.kind !== 'downloaded' || this.#installing) return false;
    this.#installing = true;
    try {
      this.stop();
      await beforeQuit?.();
      this.#updater.quitAndInstall(false, true);
      return true;
    } catch (err) {
      this.#installing = false;
      this.#fail('install', err);
      return false;
    }
  }

  #applyChannel(): void {
    const current = this.#updater.currentVersion.version;
    this.#updater.allowPrerelease = this.#channel === 'beta';
    this.#updater.allowDowngrade = this.#channel === 'stable' && semver.prerelease(current) !== null;
  }

  #subscribe(): void {
    const on = (event: UpdaterEvent, fn: Listener): void => {
      this.#updater.on(event, fn);
      this.#subscriptions.push([event, fn]);
    };
    on('checking-for-update', () => {
      if (this.#state.kind !== 'checking') this.#set({ kind: 'checking' });
    });
    on('update-available', (info: InfoLike) => this.#available(info));
    on('update-not-available', () => this.#set({ kind: 'not-available', checkedAt: this.#now() }));
    on('download-progress', (p: ProgressLike) => {
      const version = this.#state.kind === 'downloading' ? this.#state.version : this.#pendingVersion ?? '';
      this.#set({
        kind: 'downloading',
        version,
        percent: Math.max(0, Math.min(100, p.percent ?? 0)),
        transferred: p.transferred ?? 0,
        total: p.total ?? 0,
        bytesPerSecond: p.bytesPerSecond ?? 0,
      });
    });
    on('update-downloaded', (info: InfoLike) => this.#set({ kind: 'downloaded', version: info.version ?? this.#pendingVersion ?? '' }));
    on('error', (err: unknown) => {
      const during = this.#state.kind === 'downloading' ? 'download' : 'check';
      this.#fail(during, err);
    });
  }

  #available(info: InfoLike): void {
    this.#pendingVersion = info.version ?? null;
    this.#set({ kind: 'available', version: info.version ?? '', releaseName: info.releaseName ?? null, releaseDate: info.releaseDate ?? null });
  }

  #fail(during: 'check' | 'download' | 'install', err: unknown): void {
    const { message, code } = describeUpdateError(err);
    if (this.#state.kind === 'error' && this.#state.message === message) return;
    this.#log(`update ${during} failed: ${code ?? message}`);
    this.#set({ kind: 'error', during, message, code });
  }

  #set(state: UpdateState): void {
    this.#state = state;
    this.#emit();
  }

  #emit(): void {
    const status = this.getStatus();
    for (const listener of this.#listeners) {
      try {
        listener(status);
      } catch (err) {
        this.#log(`update status listener threw: ${(err as Error).message}`);
      }
    }
  }
}

/** What to tell the user after a check they asked for ("Check for updates…"): up to date, or why it failed. */
export function checkFeedback(status: UpdateStatus): { title: string; body: string } | null {
  const st = status.state;
  if (st.kind === 'not-available') return { title: 'CCO is up to date', body: `Version ${status.currentVersion} is the newest on the ${status.channel} channel.` };
  if (st.kind === 'error') return { title: 'Update check failed', body: st.message };
  return null; // available / downloaded: the status notification says so
}

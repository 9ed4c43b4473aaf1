/**
 * `cco update [--check] [--yes] [--channel stable|beta]` for the standalone daemon (`cco-daemon.cjs`).
 *
 * Reads the release feed (update-feed.ts), downloads the new file next to the running one, verifies its
 * SHA-256 against the release's SHA256SUMS, keeps a backup (`<file>.bak`), swaps atomically (rename over the
 * target) and runs the new file once (`node <file> version`); if that fails, the backup is put back.
 * The files the release puts beside it (update-feed.ts, BESIDE_DAEMON: the program `cco-program-<hash>.cjs` that
 * the head cco-daemon.cjs loads, and the store worker `cco-store-worker-<hash>.cjs`) are verified the same way and
 * put beside the bundle under their own names before the swap (new names: the running build's files are left
 * alone); other builds' files of those kinds (and their programs' V8 code caches, code-cache.ts) go after a good
 * start, and a rollback takes the new ones away again.
 * An older release without them has a cco-daemon.cjs that is the whole program.
 * The CLI command wiring lives elsewhere: it calls runUpdate() and prints the result.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { chmod, copyFile, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import semver from 'semver';
import { CODE_CACHE_FILE, isCodeCacheOf } from './program-file.ts';
import { BESIDE_DAEMON, findLatestDaemonRelease, type DaemonRelease, type FeedOptions, type UpdateChannel } from './update-feed.ts';

export type { UpdateChannel } from './update-feed.ts';

export interface RunUpdateOptions {
  currentVersion: string;
  /** The file to replace: the running cco-daemon.cjs. */
  targetPath: string;
  channel: UpdateChannel;
  /** Only report whether an update exists. */
  checkOnly?: boolean;
  /** Install without asking. */
  yes?: boolean;
  /** Asked before installing unless `yes`; without it (and without `yes`) nothing is installed. */
  confirm?: (question: string) => Promise<boolean>;
  /** Feed location (tests point it at a local server). */
  feed?: Omit<FeedOptions, 'channel'>;
  /** Node binary that runs the new file for the start check; default process.execPath. */
  nodePath?: string;
  /** Arguments for the start check; default ['version'] (exit 0 and the new version on stdout). */
  startCheckArgs?: string[];
  startCheckTimeoutMs?: number;
  /** Progress lines for the user. */
  log?: (line: string) => void;
}

export type UpdateResult =
  | { status: 'up-to-date'; current: string; latest: string | null }
  | { status: 'available'; current: string; latest: string; tag: string }
  | { status: 'declined'; current: string; latest: string }
  | { status: 'updated'; from: string; to: string; backupPath: string }
  | { status: 'rolled-back'; from: string; to: string; backupPath: string; reason: string };

export class UpdateError extends Error {
  constructor(
    readonly code: 'feed' | 'download' | 'checksum' | 'install',
    message: string,
  ) {
    super(message);
    this.name = 'UpdateError';
  }
}

/** Whether `latest` should replace `current` on `channel` (a beta build going back to stable may downgrade). */
export function isUpdate(current: string, latest: string, channel: UpdateChannel): boolean {
  if (semver.eq(latest, current)) return false;
  if (semver.gt(latest, current)) return true;
  return channel === 'stable' && semver.prerelease(current) !== null && semver.prerelease(latest) === null;
}

/** Streams `url` to `dest`, returning the hex SHA-256 of what was written. */
export async function downloadWithSha256(url: string, dest: string, signal?: AbortSignal): Promise<string> {
  const res = await fetch(url, { redirect: 'follow', headers: { 'user-agent': 'cco-update', accept: 'application/octet-stream' }, signal: signal ?? null });
  if (!res.ok || !res.body) throw new UpdateError('download', `GET ${url} → HTTP ${res.status}`);
  const hash = createHash('sha256');
  const tap = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      cb(null, chunk);
    },
  });
  await pipeline(Readable.fromWeb(res.body as WebReadableStream<Uint8Array>), tap, createWriteStream(dest, { mode: 0o600 }));
  return hash.digest('hex');
}

/** Runs `node <file> ...args` and resolves when it exits 0 printing `expectVersion`; rejects otherwise. */
export function checkStarts(nodePath: string, file: string, args: string[], expectVersion: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(nodePath, [file, ...args], { timeout: timeoutMs, windowsHide: true, env: { ...process.env, NO_BROWSER: '1' } }, (err, stdout, stderr) => {
      if (err) {
        const lines = (stderr || err.message).split('\n').map((l) => l.trim()).filter(Boolean);
        const detail = (lines.find((l) => /^\w*Error\b/.test(l)) ?? lines.at(-1) ?? `exit ${String(err.code)}`).slice(0, 300);
        reject(new Error(`new version did not start: ${detail}`));
      } else if (!stdout.includes(expectVersion)) {
        reject(new Error(`new version reported "${stdout.trim().slice(0, 200)}", expected ${expectVersion}`));
      } else {
        resolve();
      }
    });
  });
}

/** Whether the bundle `bundle` names `file` as its program or store worker (the restored one may be the same build). */
async function isFileOf(bundle: string, file: string): Promise<boolean> {
  return (await readFile(bundle, 'latin1')).includes(basename(file));
}

async function install(opts: RunUpdateOptions, release: DaemonRelease, log: (line: string) => void): Promise<UpdateResult> {
  const target = opts.targetPath;
  const dir = dirname(target);
  const temp = join(dir, `.${basename(target)}.download-${process.pid}`);
  const backupPath = `${target}.bak`;
  const mode = (await stat(target)).mode & 0o777;

  log(`downloading ${release.tag} …`);
  const fetchVerified = async (url: string, dest: string, expected: string): Promise<void> => {
    let actual: string;
    try {
      actual = await downloadWithSha256(url, dest);
    } catch (err) {
      await rm(dest, { force: true });
      if (err instanceof UpdateError) throw err;
      throw new UpdateError('download', `download failed: ${(err as Error).message}`);
    }
    if (actual !== expected) {
      await rm(dest, { force: true });
      throw new UpdateError('checksum', `checksum mismatch for ${release.tag}: expected ${expected}, got ${actual}; nothing was changed`);
    }
  };
  await fetchVerified(release.url, temp, release.sha256);
  const beside: string[] = []; // the release's files, in place beside the bundle
  for (const file of release.beside) {
    const dest = join(dir, file.name);
    const fileTemp = join(dir, `.${file.name}.download-${process.pid}`);
    try {
      await fetchVerified(file.url, fileTemp, file.sha256);
      await chmod(fileTemp, 0o644);
      await rename(fileTemp, dest); // a new name: the running daemon's file is left alone
      beside.push(dest);
    } catch (err) {
      await rm(temp, { force: true });
      await rm(fileTemp, { force: true });
      for (const placed of beside) if (!(await isFileOf(target, placed))) await rm(placed, { force: true });
      if (err instanceof UpdateError) throw err;
      throw new UpdateError('install', `could not write ${dest}: ${(err as Error).message}`);
    }
  }
  log('checksum verified (SHA-256)');

  try {
    await chmod(temp, mode | 0o100);
    await copyFile(target, backupPath);
    await rename(temp, target); // atomic replace on the same filesystem
  } catch (err) {
    await rm(temp, { force: true });
    throw new UpdateError('install', `could not replace ${target}: ${(err as Error).message}`);
  }

  try {
    await checkStarts(opts.nodePath ?? process.execPath, target, opts.startCheckArgs ?? ['version'], release.version, opts.startCheckTimeoutMs ?? 15_000);
  } catch (err) {
    const reason = (err as Error).message;
    log(`${reason}; restoring ${opts.currentVersion}`);
    const restore = `${temp}.restore`;
    await copyFile(backupPath, restore);
    await rename(restore, target);
    for (const placed of beside) if (!(await isFileOf(target, placed))) await rm(placed, { force: true });
    return { status: 'rolled-back', from: opts.currentVersion, to: release.version, backupPath, reason };
  }
  for (const name of await readdir(dir)) {
    const stale = BESIDE_DAEMON.some((p) => p.test(name))
      ? !beside.includes(join(dir, name))
      : CODE_CACHE_FILE.test(name) && !beside.some((b) => isCodeCacheOf(name, basename(b))); // other programs' code caches
    if (stale) await rm(join(dir, name), { force: true });
  }
  log(`updated ${opts.currentVersion} → ${release.version} (backup: ${backupPath}); restart the daemon to use it`);
  return { status: 'updated', from: opts.currentVersion, to: release.version, backupPath };
}

export async function runUpdate(opts: RunUpdateOptions): Promise<UpdateResult> {
  const log = opts.log ?? (() => {});
  let release: DaemonRelease | null;
  try {
    release = await findLatestDaemonRelease({ ...opts.feed, channel: opts.channel });
  } catch (err) {
    throw new UpdateError('feed', `could not read the release feed: ${(err as Error).message}`);
  }
  const current = opts.currentVersion;
  if (!release || !isUpdate(current, release.version, opts.channel)) {
    return { status: 'up-to-date', current, latest: release?.version ?? null };
  }
  if (opts.checkOnly) return { status: 'available', current, latest: release.version, tag: release.tag };
  if (!opts.yes) {
    const ok = opts.confirm ? await opts.confirm(`Update cco ${current} → ${release.version}?`) : false;
    if (!ok) return { status: 'declined', current, latest: release.version };
  }
  return install(opts, release, log);
}

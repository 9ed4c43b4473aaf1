/**
 * The release feed for the standalone daemon (`cco update`): GitHub releases of DEFAULT_RELEASE_REPO, each
 * carrying `cco-daemon.cjs`, the files that go beside it — its program `cco-program-<hash>.cjs` (daemon/cli/head.ts)
 * and its store worker `cco-store-worker-<hash>.cjs` (each optional: older releases have neither or only the worker,
 * and their cco-daemon.cjs is the whole program) — and `SHA256SUMS` (see .github/workflows/release.yml).
 *
 * Stable = the newest published, non-prerelease release; beta = the newest published release of any kind
 * (GitHub prereleases carry `-beta.K` versions). Drafts are never considered.
 */
import semver from 'semver';
import { STORE_WORKER_FILE } from '../store/worker-url.ts';
import { PROGRAM_FILE } from './program-file.ts';

/** The files a release may carry beside cco-daemon.cjs, by name pattern: the program, then the store worker. */
export const BESIDE_DAEMON = [PROGRAM_FILE, STORE_WORKER_FILE] as const;

export interface ReleaseFile {
  name: string;
  url: string;
  sha256: string;
}

/** owner/repo of the releases; must match `publish` in electron-builder.yml (a test checks it). */
export const DEFAULT_RELEASE_REPO = 'cco-app/cco';
export const DEFAULT_API_BASE = 'https://api.github.com';
export const DAEMON_ASSET = 'cco-daemon.cjs';
export const SUMS_ASSET = 'SHA256SUMS';

export type UpdateChannel = 'stable' | 'beta';

export interface DaemonRelease {
  version: string;
  tag: string;
  prerelease: boolean;
  /** Download URL of cco-daemon.cjs. */
  url: string;
  /** Lower-case hex SHA-256 of cco-daemon.cjs, from the release's SHA256SUMS. */
  sha256: string;
  /** The files that go beside it (BESIDE_DAEMON: at most one per pattern, each listed in SHA256SUMS). */
  beside: ReleaseFile[];
}

export interface FeedOptions {
  channel: UpdateChannel;
  repo?: string;
  apiBase?: string;
  /** Aborts the feed requests (default: 30 s timeout). */
  signal?: AbortSignal;
}

interface GithubAsset {
  name: string;
  browser_download_url: string;
}
interface GithubRelease {
  tag_name: string;
  draft: boolean;
  prerelease: boolean;
  assets: GithubAsset[];
}

const HEADERS = { accept: 'application/vnd.github+json', 'user-agent': 'cco-update' };

async function get(url: string, signal: AbortSignal, accept?: string): Promise<Response> {
  const res = await fetch(url, { headers: accept ? { ...HEADERS, accept } : HEADERS, signal, redirect: 'follow' });
  if (!res.ok) throw new Error(`GET ${url} → HTTP ${res.status}`);
  return res;
}

/** Parses `sha256sum` output (`<hex>  <name>` or `<hex> *<name>`) into name → hex. */
export function parseSha256Sums(text: string): Map<string, string> {
  const sums = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const m = /^([0-9a-fA-F]{64}) [ *](.+)$/.exec(line.trim());
    if (m) sums.set(m[2]!.trim(), m[1]!.toLowerCase());
  }
  return sums;
}

function eligible(release: GithubRelease, channel: UpdateChannel): string | null {
  if (release.draft) return null;
  const version = semver.valid(release.tag_name.replace(/^v/, ''));
  if (!version) return null;
  const isPre = release.prerelease || semver.prerelease(version) !== null;
  if (channel === 'stable' && isPre) return null;
  if (!release.assets.some((a) => a.name === DAEMON_ASSET) || !release.assets.some((a) => a.name === SUMS_ASSET)) return null;
  return version;
}

/** The newest daemon release on the channel, or null when the feed has none. */
export async function findLatestDaemonRelease(opts: FeedOptions): Promise<DaemonRelease | null> {
  const signal = opts.signal ?? AbortSignal.timeout(30_000);
  const base = (opts.apiBase ?? DEFAULT_API_BASE).replace(/\/$/, '');
  const res = await get(`${base}/repos/${opts.repo ?? DEFAULT_RELEASE_REPO}/releases?per_page=30`, signal);
  const releases = (await res.json()) as GithubRelease[];
  if (!Array.isArray(releases)) throw new Error('release feed: expected a JSON array');

  let best: { version: string; release: GithubRelease } | null = null;
  for (const release of releases) {
    const version = eligible(release, opts.channel);
    if (version && (!best || semver.gt(version, best.version))) best = { version, release };
  }
  if (!best) return null;

  const asset = (name: string): GithubAsset => best.release.assets.find((a) => a.name === name)!;
  const sumsText = await (await get(asset(SUMS_ASSET).browser_download_url, signal, 'application/octet-stream')).text();
  const sums = parseSha256Sums(sumsText);
  const sha256 = sums.get(DAEMON_ASSET);
  if (!sha256) throw new Error(`release ${best.release.tag_name}: ${SUMS_ASSET} has no line for ${DAEMON_ASSET}`);
  const beside: ReleaseFile[] = [];
  for (const pattern of BESIDE_DAEMON) {
    const found = best.release.assets.find((a) => pattern.test(a.name) && sums.has(a.name));
    if (found) beside.push({ name: found.name, url: found.browser_download_url, sha256: sums.get(found.name)! });
  }
  return {
    version: best.version,
    tag: best.release.tag_name,
    prerelease: best.release.prerelease,
    url: asset(DAEMON_ASSET).browser_download_url,
    sha256,
    beside,
  };
}

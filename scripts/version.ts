/**
 * Date versions for CCO: `YYYY.MDD.N` (stable) and `YYYY.MDD.N-beta.K` (beta).
 *
 * - MDD = month * 100 + day of the UTC date (Jan 5 → 105, Nov 22 → 1122): no leading zeros, so strict
 *   semver accepts it and electron-updater can compare versions.
 * - N counts the builds of that day from 0; K counts the betas of build N from 1.
 * - Every numeric part stays ≤ 65535 (Windows version resource, macOS CFBundleShortVersionString).
 *
 * CLI: `tsx scripts/version.ts [--beta] [--date YYYY-MM-DD] [--tag]` prints the next version, reading the
 * existing tags from `git tag --list 'v*'`. `--tag` prints it with the `v` prefix.
 * `tsx scripts/version.ts --check <version>` exits 1 unless <version> is a valid date version.
 */
import { execFileSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import semver from 'semver';

export const MAX_PART = 65535;

export interface DateVersion {
  year: number;
  mdd: number;
  n: number;
  /** Beta number K (≥ 1), or null for a stable version. */
  beta: number | null;
}

const DATE_VERSION = /^v?(\d{4})\.([1-9]\d{2,3})\.(0|[1-9]\d*)(?:-beta\.([1-9]\d*))?$/;

/** `2026.1122.3` / `v2026.1122.3-beta.2` → parts; anything else (including other prerelease tags) → null. */
export function parseDateVersion(text: string): DateVersion | null {
  const m = DATE_VERSION.exec(text.trim());
  if (!m) return null;
  const year = Number(m[1]);
  const mdd = Number(m[2]);
  const n = Number(m[3]);
  const beta = m[4] === undefined ? null : Number(m[4]);
  const month = Math.floor(mdd / 100);
  const day = mdd % 100;
  if (month < 1 || month > 12 || day < 1 || day > 31) return null;
  if (n > MAX_PART || (beta !== null && beta > MAX_PART)) return null;
  return { year, mdd, n, beta };
}

export function formatDateVersion(v: DateVersion): string {
  for (const part of [v.year, v.mdd, v.n, v.beta ?? 1]) {
    if (!Number.isInteger(part) || part < 0 || part > MAX_PART) {
      throw new RangeError(`version part ${part} is outside 0..${MAX_PART}`);
    }
  }
  const base = `${v.year}.${v.mdd}.${v.n}`;
  return v.beta === null ? base : `${base}-beta.${v.beta}`;
}

/** Same order as semver: by year, MDD, N, then beta K, with the final release above its betas. */
export function compareDateVersions(a: DateVersion, b: DateVersion): number {
  return a.year - b.year || a.mdd - b.mdd || a.n - b.n || (a.beta ?? Infinity) - (b.beta ?? Infinity) || 0;
}

/** The `YYYY.MDD` prefix for a date, in UTC. */
export function dayPrefix(date: Date): { year: number; mdd: number } {
  return { year: date.getUTCFullYear(), mdd: (date.getUTCMonth() + 1) * 100 + date.getUTCDate() };
}

export interface NextVersionOptions {
  now: Date;
  /** Existing tags or versions (with or without `v`); unrelated tags are ignored. */
  tags: readonly string[];
  beta?: boolean;
}

/**
 * The next version for `now`, given the existing tags.
 * Stable: promotes today's open beta line (N with betas but no final) or starts N+1.
 * Beta: continues today's open beta line (K+1) or opens a new line N+1 with K = 1.
 * Throws when the result would not sort above every existing date version (clock behind the tags).
 */
export function nextVersion(opts: NextVersionOptions): string {
  const { year, mdd } = dayPrefix(opts.now);
  const all = opts.tags.map(parseDateVersion).filter((v): v is DateVersion => v !== null);
  const today = all.filter((v) => v.year === year && v.mdd === mdd);
  const finals = new Set(today.filter((v) => v.beta === null).map((v) => v.n));
  const maxN = today.reduce((max, v) => Math.max(max, v.n), -1);
  const openLine = today.some((v) => v.n === maxN && v.beta !== null) && !finals.has(maxN) ? maxN : null;

  let next: DateVersion;
  if (opts.beta) {
    if (openLine !== null) {
      const k = today.filter((v) => v.n === openLine && v.beta !== null).reduce((max, v) => Math.max(max, v.beta ?? 0), 0);
      next = { year, mdd, n: openLine, beta: k + 1 };
    } else {
      next = { year, mdd, n: maxN + 1, beta: 1 };
    }
  } else {
    next = { year, mdd, n: openLine ?? maxN + 1, beta: null };
  }

  const version = formatDateVersion(next);
  const newest = all.reduce<DateVersion | undefined>((max, v) => (max === undefined || compareDateVersions(v, max) > 0 ? v : max), undefined);
  if (newest !== undefined && !semver.gt(version, formatDateVersion(newest))) {
    throw new Error(`next version ${version} would not be newer than existing ${formatDateVersion(newest)} (is the clock behind?)`);
  }
  return version;
}

function gitTags(): string[] {
  const out = execFileSync('git', ['tag', '--list', 'v*'], { encoding: 'utf8' });
  return out.split('\n').filter(Boolean);
}

function main(argv: string[]): void {
  const checkArg = argv.indexOf('--check');
  if (checkArg >= 0) {
    const text = argv[checkArg + 1] ?? '';
    if (!parseDateVersion(text) || !semver.valid(text)) throw new Error(`"${text}" is not a date version (YYYY.MDD.N or YYYY.MDD.N-beta.K)`);
    process.stdout.write(`${text}\n`);
    return;
  }
  const dateArg = argv.indexOf('--date');
  const now = dateArg >= 0 ? new Date(`${argv[dateArg + 1] ?? ''}T12:00:00Z`) : new Date();
  if (Number.isNaN(now.getTime())) throw new Error('--date expects YYYY-MM-DD');
  const version = nextVersion({ now, tags: gitTags(), beta: argv.includes('--beta') });
  process.stdout.write(`${argv.includes('--tag') ? 'v' : ''}${version}\n`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    main(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`version: ${(err as Error).message}\n`);
    process.exit(1);
  }
}

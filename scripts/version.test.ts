import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import semver from 'semver';
import { afterAll, describe, expect, it } from 'vitest';
import { MAX_PART, compareDateVersions, dayPrefix, formatDateVersion, nextVersion, parseDateVersion } from './version.ts';

const day = (iso: string): Date => new Date(`${iso}T12:00:00Z`);

describe('date versions', () => {
  it('formats the UTC date as YYYY.MDD without leading zeros', () => {
    expect(dayPrefix(day('2026-01-05'))).toEqual({ year: 2026, mdd: 105 });
    expect(dayPrefix(day('2026-11-22'))).toEqual({ year: 2026, mdd: 1122 });
    // 23:30 at UTC-5 is already the next day in UTC
    expect(dayPrefix(new Date('2026-12-31T23:30:00-05:00'))).toEqual({ year: 2027, mdd: 101 });
  });

  it('produces strict-semver versions whose parts fit 16 bits', () => {
    for (const v of ['2026.105.0', '2026.1231.65535', '2026.1122.3-beta.1']) {
      expect(semver.valid(v)).toBe(v);
      expect(parseDateVersion(v)).not.toBeNull();
    }
    expect(() => formatDateVersion({ year: 2026, mdd: 1122, n: MAX_PART + 1, beta: null })).toThrow(RangeError);
  });

  it('rejects versions that are not date versions', () => {
    for (const v of ['2026.01.05', '2026.1.5.1', '2026.1322.0', '2026.1100.0', '2026.1122.0-alpha.1', '1.2.3', '2026.1122.0-beta.0']) {
      expect(parseDateVersion(v), v).toBeNull();
    }
    expect(parseDateVersion('v2026.1122.3-beta.2')).toEqual({ year: 2026, mdd: 1122, n: 3, beta: 2 });
  });

  it('starts each day at N = 0 and counts builds up', () => {
    expect(nextVersion({ now: day('2026-11-22'), tags: [] })).toBe('2026.1122.0');
    expect(nextVersion({ now: day('2026-11-22'), tags: ['v2026.1121.4', 'v2026.1122.0', 'v2026.1122.1'] })).toBe('2026.1122.2');
    expect(nextVersion({ now: day('2026-11-23'), tags: ['v2026.1122.7', 'unrelated', 'v1.0.0'] })).toBe('2026.1123.0');
  });

  it('opens, continues and promotes beta lines', () => {
    const tags = ['v2026.1122.0'];
    const b1 = nextVersion({ now: day('2026-11-22'), tags, beta: true });
    expect(b1).toBe('2026.1122.1-beta.1');
    const b2 = nextVersion({ now: day('2026-11-22'), tags: [...tags, `v${b1}`], beta: true });
    expect(b2).toBe('2026.1122.1-beta.2');
    const final = nextVersion({ now: day('2026-11-22'), tags: [...tags, `v${b1}`, `v${b2}`] });
    expect(final).toBe('2026.1122.1');
    const b3 = nextVersion({ now: day('2026-11-22'), tags: [...tags, `v${b1}`, `v${b2}`, `v${final}`], beta: true });
    expect(b3).toBe('2026.1122.2-beta.1');
    for (const [lo, hi] of [[tags[0], b1], [b1, b2], [b2, final], [final, b3]] as const) {
      expect(semver.gt(hi, lo!.replace(/^v/, '')), `${hi} > ${lo}`).toBe(true);
    }
  });

  it('refuses to go backwards when the clock is behind the newest tag', () => {
    expect(() => nextVersion({ now: day('2026-11-21'), tags: ['v2026.1122.0'] })).toThrow(/not be newer/);
  });

  it('semver order equals chronological order across month and year boundaries', () => {
    // Every day from 2026-09-25 to 2028-03-05 (month ends, Dec→Jan, a leap February), 3 builds and a beta each.
    const chronological: string[] = [];
    const tags: string[] = [];
    for (let t = day('2026-09-25').getTime(); t <= day('2028-03-05').getTime(); t += 86_400_000) {
      const now = new Date(t);
      for (const beta of [true, false, false, true, true, false]) {
        const v = nextVersion({ now, tags, beta });
        chronological.push(v);
        tags.push(`v${v}`);
      }
    }
    expect(chronological).toContain('2026.930.0-beta.1');
    expect(chronological).toContain('2026.1001.0');
    expect(chronological).toContain('2026.1231.2');
    expect(chronological).toContain('2027.101.0');
    expect(chronological).toContain('2028.229.1');
    expect(new Set(chronological).size).toBe(chronological.length);
    expect([...chronological].sort(semver.compare)).toEqual(chronological);
    expect([...chronological].reverse().sort(semver.compare)).toEqual(chronological);
    const byParts = [...chronological].reverse().map((v) => parseDateVersion(v)!).sort(compareDateVersions);
    expect(byParts.map(formatDateVersion)).toEqual(chronological);
  });
});

describe('version CLI', () => {
  const repo = mkdtempSync(join(tmpdir(), 'cco-version-'));
  afterAll(() => rmSync(repo, { recursive: true, force: true }));

  it('reads git tags and prints the next version', () => {
    const git = (...args: string[]): string =>
      execFileSync('git', ['-c', 'user.email=t@example.invalid', '-c', 'user.name=t', ...args], { cwd: repo, encoding: 'utf8' });
    git('init', '-q');
    git('commit', '-q', '--allow-empty', '-m', 'init');
    git('tag', 'v2026.1122.0');
    git('tag', 'v2026.1122.1-beta.1');
    const script = resolve(import.meta.dirname, 'version.ts');
    const tsx = resolve(import.meta.dirname, '../node_modules/.bin/tsx');
    const run = (...args: string[]): string => execFileSync(tsx, [script, ...args], { cwd: repo, encoding: 'utf8' }).trim();
    expect(run('--date', '2026-11-22')).toBe('2026.1122.1');
    expect(run('--date', '2026-11-22', '--beta', '--tag')).toBe('v2026.1122.1-beta.2');
    expect(run('--date', '2026-11-23')).toBe('2026.1123.0');
    expect(run('--check', '2026.1122.1-beta.2')).toBe('2026.1122.1-beta.2');
    expect(() => run('--check', '2026.01.05')).toThrow(/not a date version/);
  }, 90_000); // five tsx processes in a row: ~5 s alone, 20 s+ on a loaded 2-core runner
});

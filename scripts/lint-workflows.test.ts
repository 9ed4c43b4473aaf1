import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import yaml from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { jobsOf, lintWorkflow, lintWorkflowDir, stepsOf } from './lint-workflows.ts';

const dir = resolve(import.meta.dirname, '../.github/workflows');
type Doc = Parameters<typeof jobsOf>[0];
const load = (name: string): Doc => yaml.load(readFileSync(resolve(dir, name), 'utf8')) as Doc;
const runs = (doc: Doc, job: string): string => {
  const found = jobsOf(doc).find(([id]) => id === job);
  expect(found, `job ${job}`).toBeDefined();
  return stepsOf(found![1]).map((s) => s.run ?? '').join('\n');
};

const SHA = '08c6903cd8c0fde910a37f88322edcfb5dd907a8';
const good = `name: x
on: { push: { branches: [main] } }
permissions: {}
jobs:
  a:
    runs-on: ubuntu-24.04
    permissions: { contents: read }
    timeout-minutes: 5
    steps:
      - uses: actions/checkout@${SHA} # v5.0.0
        with: { persist-credentials: false }
      - run: echo ok
`;

describe('workflow lint rules', () => {
  it('accepts a minimal good workflow', () => {
    expect(lintWorkflow(good, 'good.yml')).toEqual([]);
  });

  it.each([
    ['a tag instead of a SHA', good.replace(`@${SHA} # v5.0.0`, '@v5'), /not pinned/],
    ['a SHA without its version comment', good.replace(' # v5.0.0', ''), /without a "# vX/],
    ['missing top-level permissions', good.replace('permissions: {}\n', ''), /no top-level permissions/],
    ['broad top-level permissions', good.replace('permissions: {}', 'permissions: write-all'), /must be \{\}/],
    ['a job without permissions', good.replace('    permissions: { contents: read }\n', ''), /job a: no permissions/],
    ['an unneeded write scope', good.replace('{ contents: read }', '{ contents: read, packages: write }'), /packages: write/],
    ['no timeout', good.replace('    timeout-minutes: 5\n', ''), /timeout-minutes/],
    ['persisted checkout credentials', good.replace('{ persist-credentials: false }', '{ fetch-depth: 0 }'), /persist-credentials/],
    ['a secret inside run', good.replace('echo ok', 'echo ${{ secrets.TOKEN }}'), /secrets/],
    ['event data inside run', good.replace('echo ok', 'echo "${{ github.event.pull_request.title }}"'), /github\.event/],
    ['pull_request_target', good.replace('{ push: { branches: [main] } }', '[pull_request_target]'), /pull_request_target/],
    ['broken YAML', 'jobs: [', /does not parse/],
  ])('flags %s', (_name, text, pattern) => {
    const problems = lintWorkflow(text, 'bad.yml');
    expect(problems.some((p) => pattern.test(p)), problems.join('\n')).toBe(true);
  });
});

describe('.github/workflows', () => {
  it('pass the lint', () => {
    expect(lintWorkflowDir(dir)).toEqual([]);
  });

  it('ci.yml: tests with Chromium from apt, Electron e2e on macOS, Windows and Ubuntu under Xvfb', () => {
    const ci = load('ci.yml');
    const test = runs(ci, 'test');
    expect(test).toMatch(/apt-get install[^\n]*\bchromium\b/);
    expect(test).toContain('npm ci');
    expect(test).toContain('npm run typecheck');
    expect(test).toContain('npx vitest run');
    const e2e = jobsOf(ci).find(([id]) => id === 'electron-e2e')![1] as { strategy: { matrix: { os: string[] } } };
    const oses = e2e.strategy.matrix.os.join(' ');
    expect(oses).toMatch(/macos/);
    expect(oses).toMatch(/windows/);
    expect(oses).toMatch(/ubuntu/);
    const e2eRuns = runs(ci, 'electron-e2e');
    expect(e2eRuns).toContain('xvfb-run');
    expect(e2eRuns).toContain('npx playwright test -c playwright.electron.config.ts');
  });

  it('release.yml: v* tags, one mac run for both arches, a draft published only after every upload', () => {
    const rel = load('release.yml') as Doc & { on: { push: { tags: string[] } } };
    expect(rel.on).toEqual({ push: { tags: ['v*'] } });
    expect(runs(rel, 'mac')).toContain('electron-builder --mac --x64 --arm64 --publish always');
    expect(runs(rel, 'windows')).toContain('electron-builder --win');
    expect(runs(rel, 'linux')).toContain('electron-builder --linux');
    expect(runs(rel, 'prepare')).toContain('--draft');
    expect(runs(rel, 'daemon')).toMatch(/gh release upload[^\n]*dist\/cco-daemon\.cjs/);
    const publish = jobsOf(rel).find(([id]) => id === 'publish')![1] as { needs: string[] };
    expect([...publish.needs].sort()).toEqual(['daemon', 'linux', 'mac', 'prepare', 'windows']);
    const publishRuns = runs(rel, 'publish');
    expect(publishRuns).toContain('SHA256SUMS');
    expect(publishRuns.indexOf('sha256sum')).toBeLessThan(publishRuns.indexOf('--draft=false'));
    for (const job of ['mac', 'windows', 'linux', 'daemon']) {
      expect((jobsOf(rel).find(([id]) => id === job)![1] as { needs: string }).needs, job).toBe('prepare');
    }
  });

  it('release.yml: signing secrets reach only the job that signs', () => {
    const text = readFileSync(resolve(dir, 'release.yml'), 'utf8');
    const rel = yaml.load(text) as Doc;
    const secretsIn = (job: string): string[] => [...JSON.stringify(jobsOf(rel).find(([id]) => id === job)![1]).matchAll(/secrets\.(\w+)/g)].map((m) => m[1]!).sort();
    expect(secretsIn('mac')).toEqual(['APPLE_API_ISSUER', 'APPLE_API_KEY_ID', 'APPLE_API_KEY_P8', 'MAC_CSC_KEY_PASSWORD', 'MAC_CSC_LINK']);
    expect(secretsIn('windows')).toEqual(['AZURE_CLIENT_ID', 'AZURE_CLIENT_SECRET', 'AZURE_TENANT_ID']);
    for (const job of ['prepare', 'linux', 'daemon', 'publish']) expect(secretsIn(job), job).toEqual([]);
  });

  it('every secret and pinned action is documented in docs/releasing.md', () => {
    const docs = readFileSync(resolve(import.meta.dirname, '../docs/releasing.md'), 'utf8');
    const texts = ['ci.yml', 'release.yml'].map((f) => readFileSync(resolve(dir, f), 'utf8')).join('\n');
    const secrets = new Set([...texts.matchAll(/secrets\.(\w+)/g)].map((m) => m[1]!));
    expect(secrets.size).toBeGreaterThan(0);
    for (const name of secrets) expect(docs, name).toContain(`\`${name}\``);
    const shas = new Set([...texts.matchAll(/uses: [\w./-]+@([0-9a-f]{40})/g)].map((m) => m[1]!));
    for (const sha of shas) expect(docs, sha).toContain(sha);
  });
});

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UpdateError, isUpdate, runUpdate, type RunUpdateOptions } from './update.ts';
import { DAEMON_ASSET, SUMS_ASSET, findLatestDaemonRelease, parseSha256Sums } from './update-feed.ts';

const daemonSource = (version: string): string =>
  `'use strict';\nif (process.argv[2] === 'version') { process.stdout.write('cco ${version}\\n'); process.exit(0); }\nprocess.exit(2);\n`;
const BROKEN = `'use strict';\nthrow new Error('this build is broken');\n`;
const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

interface FakeRelease {
  tag: string;
  prerelease?: boolean;
  draft?: boolean;
  body?: string; // cco-daemon.cjs
  sums?: string; // SHA256SUMS override
  /** Files beside cco-daemon.cjs: cco-program-<hash>.cjs, cco-store-worker-<hash>.cjs. */
  beside?: Array<{ name: string; body: string; sum?: string }>;
}

/** A local stand-in for the GitHub releases API and its asset downloads. */
async function startGithub(releases: FakeRelease[]): Promise<{ apiBase: string; hits: string[]; close(): Promise<void> }> {
  const hits: string[] = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    hits.push(url.pathname);
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    if (url.pathname === '/repos/cco-app/cco/releases') {
      const list = releases.map((r) => ({
        tag_name: r.tag,
        draft: r.draft ?? false,
        prerelease: r.prerelease ?? false,
        assets: [DAEMON_ASSET, SUMS_ASSET, ...(r.beside ?? []).map((f) => f.name)].map((name) => ({ name, browser_download_url: `${base}/dl/${r.tag}/${name}` })),
      }));
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(list));
      return;
    }
    const m = /^\/dl\/([^/]+)\/(.+)$/.exec(url.pathname);
    const rel = m && releases.find((r) => r.tag === m[1]);
    if (rel && m) {
      const body = rel.body ?? daemonSource(rel.tag.slice(1));
      if (m[2] === DAEMON_ASSET) return void res.writeHead(200).end(body);
      const file = rel.beside?.find((f) => f.name === m[2]);
      if (file) return void res.writeHead(200).end(file.body);
      const besideLines = (rel.beside ?? []).map((f) => `${f.sum ?? sha256(f.body)}  ${f.name}\n`).join('');
      if (m[2] === SUMS_ASSET) return void res.writeHead(200).end(rel.sums ?? `${sha256(body)}  ${DAEMON_ASSET}\n${besideLines}${'0'.repeat(64)}  CCO-Setup.exe\n`);
    }
    res.writeHead(404).end('not found');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    apiBase: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hits,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

describe('cco update', () => {
  let dir: string;
  let target: string;
  let gh: Awaited<ReturnType<typeof startGithub>> | null = null;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cco-update-'));
    target = join(dir, 'cco-daemon.cjs');
    writeFileSync(target, daemonSource('2026.1121.0'));
    chmodSync(target, 0o755);
  });
  afterEach(async () => {
    await gh?.close();
    gh = null;
    rmSync(dir, { recursive: true, force: true });
  });

  const opts = (extra: Partial<RunUpdateOptions> = {}): RunUpdateOptions => ({
    currentVersion: '2026.1121.0',
    targetPath: target,
    channel: 'stable',
    feed: { apiBase: gh!.apiBase },
    ...extra,
  });
  const run = (file: string): string => execFileSync(process.execPath, [file, 'version'], { encoding: 'utf8' }).trim();

  it('--check reports the newest stable release and changes nothing', async () => {
    gh = await startGithub([{ tag: 'v2026.1122.2-beta.1', prerelease: true }, { tag: 'v2026.1122.1' }, { tag: 'v2026.1121.0' }]);
    const result = await runUpdate(opts({ checkOnly: true }));
    expect(result).toEqual({ status: 'available', current: '2026.1121.0', latest: '2026.1122.1', tag: 'v2026.1122.1' });
    expect(run(target)).toBe('cco 2026.1121.0');
    expect(gh.hits.filter((p) => p.endsWith(DAEMON_ASSET))).toEqual([]);
  });

  it('beta sees prereleases; drafts are never offered', async () => {
    gh = await startGithub([{ tag: 'v2026.1123.0', draft: true }, { tag: 'v2026.1122.2-beta.1', prerelease: true }, { tag: 'v2026.1122.1' }]);
    expect(await runUpdate(opts({ checkOnly: true, channel: 'beta' }))).toMatchObject({ status: 'available', latest: '2026.1122.2-beta.1' });
    expect(await runUpdate(opts({ checkOnly: true }))).toMatchObject({ status: 'available', latest: '2026.1122.1' });
  });

  it('says up to date at the same version', async () => {
    gh = await startGithub([{ tag: 'v2026.1121.0' }]);
    expect(await runUpdate(opts())).toEqual({ status: 'up-to-date', current: '2026.1121.0', latest: '2026.1121.0' });
  });

  it('installs nothing without --yes or a confirmation', async () => {
    gh = await startGithub([{ tag: 'v2026.1122.1' }]);
    expect((await runUpdate(opts())).status).toBe('declined');
    const questions: string[] = [];
    const result = await runUpdate(opts({ confirm: async (q) => (questions.push(q), false) }));
    expect(result.status).toBe('declined');
    expect(questions).toEqual(['Update cco 2026.1121.0 → 2026.1122.1?']);
    expect(run(target)).toBe('cco 2026.1121.0');
  });

  it('downloads, verifies, swaps and keeps a backup', async () => {
    gh = await startGithub([{ tag: 'v2026.1122.1' }]);
    const lines: string[] = [];
    const result = await runUpdate(opts({ yes: true, log: (l) => lines.push(l) }));
    expect(result).toEqual({ status: 'updated', from: '2026.1121.0', to: '2026.1122.1', backupPath: `${target}.bak` });
    expect(run(target)).toBe('cco 2026.1122.1');
    expect(run(`${target}.bak`)).toBe('cco 2026.1121.0');
    expect(statSync(target).mode & 0o777).toBe(0o755);
    expect(readdirSync(dir).sort()).toEqual(['cco-daemon.cjs', 'cco-daemon.cjs.bak']);
    expect(lines.join('\n')).toContain('checksum verified');
  });

  it('puts the release\'s store worker beside the new bundle and drops the other builds\' worker files', async () => {
    const oldWorker = join(dir, 'cco-store-worker-aaaaaaaaaaaa.cjs');
    writeFileSync(oldWorker, '// the running build\'s worker');
    const name = 'cco-store-worker-bbbbbbbbbbbb.cjs';
    gh = await startGithub([{ tag: 'v2026.1122.1', beside: [{ name, body: '// the new worker' }] }]);
    const result = await runUpdate(opts({ yes: true }));
    expect(result.status).toBe('updated');
    expect(readdirSync(dir).sort()).toEqual(['cco-daemon.cjs', 'cco-daemon.cjs.bak', name]);
    expect(readFileSync(join(dir, name), 'utf8')).toBe('// the new worker');
    expect(statSync(join(dir, name)).mode & 0o777).toBe(0o644);
  });

  it('a worker file with a bad checksum changes nothing', async () => {
    const name = 'cco-store-worker-bbbbbbbbbbbb.cjs';
    gh = await startGithub([{ tag: 'v2026.1122.1', beside: [{ name, body: '// the new worker', sum: 'cd'.repeat(32) }] }]);
    await expect(runUpdate(opts({ yes: true }))).rejects.toMatchObject({ code: 'checksum' });
    expect(readdirSync(dir)).toEqual(['cco-daemon.cjs']);
    expect(run(target)).toBe('cco 2026.1121.0');
  });

  it('a rollback takes the new worker file away again and keeps the old one', async () => {
    const oldWorker = 'cco-store-worker-aaaaaaaaaaaa.cjs';
    writeFileSync(join(dir, oldWorker), '// the running build\'s worker');
    gh = await startGithub([{ tag: 'v2026.1122.1', body: BROKEN, beside: [{ name: 'cco-store-worker-bbbbbbbbbbbb.cjs', body: '// the new worker' }] }]);
    expect((await runUpdate(opts({ yes: true }))).status).toBe('rolled-back');
    expect(readdirSync(dir).sort()).toEqual(['cco-daemon.cjs', 'cco-daemon.cjs.bak', oldWorker]);
  });

  // A head cco-daemon.cjs (daemon/cli/head.ts) that loads its program beside it, as the built daemon does.
  const headSource = (program: string): string => `'use strict';\nrequire(require('node:path').join(__dirname, ${JSON.stringify(program)}));\n`;
  const NEW_PROGRAM = 'cco-program-bbbbbbbbbbbb.cjs';
  const NEW_WORKER = 'cco-store-worker-bbbbbbbbbbbb.cjs';
  const headRelease = (extra: Partial<FakeRelease> = {}): FakeRelease => ({
    tag: 'v2026.1122.1',
    body: headSource(NEW_PROGRAM),
    beside: [
      { name: NEW_PROGRAM, body: daemonSource('2026.1122.1') },
      { name: NEW_WORKER, body: '// the new worker' },
    ],
    ...extra,
  });

  it('installs a head release: its program and worker beside it before the start check, the old build\'s files gone after', async () => {
    writeFileSync(join(dir, 'cco-program-aaaaaaaaaaaa.cjs'), '// the running build\'s program');
    writeFileSync(join(dir, 'cco-program-aaaaaaaaaaaa.cjs.v20.20.2-x64.v8'), 'its V8 code cache (code-cache.ts)');
    writeFileSync(join(dir, 'cco-store-worker-aaaaaaaaaaaa.cjs'), '// the running build\'s worker');
    gh = await startGithub([headRelease()]);
    const result = await runUpdate(opts({ yes: true }));
    expect(result.status).toBe('updated'); // `node cco-daemon.cjs version` ran the new program through the head
    expect(readdirSync(dir).sort()).toEqual(['cco-daemon.cjs', 'cco-daemon.cjs.bak', NEW_PROGRAM, NEW_WORKER]);
    expect(run(target)).toBe('cco 2026.1122.1');
    expect(statSync(join(dir, NEW_PROGRAM)).mode & 0o777).toBe(0o644);
  });

  it('a head release whose worker fails its checksum changes nothing: the program already written goes again', async () => {
    gh = await startGithub([headRelease({ beside: [{ name: NEW_PROGRAM, body: daemonSource('2026.1122.1') }, { name: NEW_WORKER, body: '// the new worker', sum: 'cd'.repeat(32) }] })]);
    await expect(runUpdate(opts({ yes: true }))).rejects.toMatchObject({ code: 'checksum' });
    expect(readdirSync(dir)).toEqual(['cco-daemon.cjs']);
    expect(run(target)).toBe('cco 2026.1121.0');
  });

  it('a head release whose program does not start is rolled back: the old head finds its own program again', async () => {
    const oldProgram = 'cco-program-aaaaaaaaaaaa.cjs';
    writeFileSync(join(dir, oldProgram), daemonSource('2026.1121.0'));
    writeFileSync(join(dir, `${oldProgram}.v20.20.2-x64.v8`), 'its V8 code cache');
    writeFileSync(target, headSource(oldProgram));
    gh = await startGithub([headRelease({ beside: [{ name: NEW_PROGRAM, body: BROKEN }] })]);
    const result = await runUpdate(opts({ yes: true }));
    expect(result.status === 'rolled-back' && result.reason).toMatch(/this build is broken/);
    expect(readdirSync(dir).sort()).toEqual(['cco-daemon.cjs', 'cco-daemon.cjs.bak', oldProgram, `${oldProgram}.v20.20.2-x64.v8`]);
    expect(run(target)).toBe('cco 2026.1121.0');
  });

  it('from a head install to a release whose cco-daemon.cjs is the whole program: the head\'s files go', async () => {
    const oldProgram = 'cco-program-aaaaaaaaaaaa.cjs';
    writeFileSync(join(dir, oldProgram), daemonSource('2026.1121.0'));
    writeFileSync(join(dir, 'cco-store-worker-aaaaaaaaaaaa.cjs'), '// the running build\'s worker');
    writeFileSync(target, headSource(oldProgram));
    gh = await startGithub([{ tag: 'v2026.1122.1' }]);
    expect((await runUpdate(opts({ yes: true }))).status).toBe('updated');
    expect(readdirSync(dir).sort()).toEqual(['cco-daemon.cjs', 'cco-daemon.cjs.bak']);
    expect(run(target)).toBe('cco 2026.1122.1');
  });

  it('rejects a bad checksum and leaves the installed file untouched', async () => {
    gh = await startGithub([{ tag: 'v2026.1122.1', sums: `${'ab'.repeat(32)}  ${DAEMON_ASSET}\n` }]);
    const before = readFileSync(target, 'utf8');
    const err = await runUpdate(opts({ yes: true })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpdateError);
    expect((err as UpdateError).code).toBe('checksum');
    expect(readFileSync(target, 'utf8')).toBe(before);
    expect(readdirSync(dir)).toEqual(['cco-daemon.cjs']);
  });

  it('rolls back when the new file does not start', async () => {
    gh = await startGithub([{ tag: 'v2026.1122.1', body: BROKEN }]);
    const result = await runUpdate(opts({ yes: true }));
    expect(result).toMatchObject({ status: 'rolled-back', from: '2026.1121.0', to: '2026.1122.1' });
    expect(result.status === 'rolled-back' && result.reason).toMatch(/this build is broken/);
    expect(run(target)).toBe('cco 2026.1121.0');
    expect(readdirSync(dir).sort()).toEqual(['cco-daemon.cjs', 'cco-daemon.cjs.bak']);
  });

  it('rolls back when the new file starts but reports another version', async () => {
    gh = await startGithub([{ tag: 'v2026.1122.1', body: daemonSource('2026.1120.0') }]);
    expect(await runUpdate(opts({ yes: true }))).toMatchObject({ status: 'rolled-back' });
    expect(run(target)).toBe('cco 2026.1121.0');
  });

  it('reports an unreadable feed as a feed error', async () => {
    gh = await startGithub([]);
    const err = await runUpdate(opts({ feed: { apiBase: gh.apiBase, repo: 'nobody/nothing' } })).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'UpdateError', code: 'feed' });
    expect((err as Error).message).toContain('HTTP 404');
  });

  it('skips releases without the daemon assets and finds none', async () => {
    gh = await startGithub([]);
    expect(await findLatestDaemonRelease({ channel: 'beta', apiBase: gh.apiBase })).toBeNull();
  });
});

describe('update rules', () => {
  it('isUpdate: newer wins; a beta build may go back to the newest stable on the stable channel', () => {
    expect(isUpdate('2026.1121.0', '2026.1122.0', 'stable')).toBe(true);
    expect(isUpdate('2026.1122.0', '2026.1122.0', 'stable')).toBe(false);
    expect(isUpdate('2026.1122.0', '2026.1121.0', 'stable')).toBe(false);
    expect(isUpdate('2026.1122.1-beta.1', '2026.1122.0', 'stable')).toBe(true);
    expect(isUpdate('2026.1122.1-beta.1', '2026.1122.0', 'beta')).toBe(false);
    expect(isUpdate('2026.1122.1-beta.1', '2026.1122.1', 'beta')).toBe(true);
  });

  it('parses sha256sum output in text and binary mode', () => {
    const a = 'a'.repeat(64);
    const b = 'B'.repeat(64);
    const sums = parseSha256Sums(`${a}  cco-daemon.cjs\r\n${b} *CCO Setup.exe\nnot a line\n`);
    expect(sums.get('cco-daemon.cjs')).toBe(a);
    expect(sums.get('CCO Setup.exe')).toBe('b'.repeat(64));
    expect(sums.size).toBe(2);
  });
});

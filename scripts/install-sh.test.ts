/** install.sh against a local release server, in a temporary HOME (Linux paths: daemon and AppImage). */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const script = resolve(import.meta.dirname, '../install.sh');
const hex = (b: string): string => createHash('sha256').update(b).digest('hex');
const DAEMON = `'use strict';\nif (process.argv[2] === 'version') console.log('cco 2026.1122.1');\n`;
const APPIMAGE = '#!/bin/sh\necho CCO AppImage\n';

interface Ran {
  status: number | null;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: string[], env: Record<string, string>): Promise<Ran> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(cmd, args, { env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (status) => resolveRun({ status, stdout, stderr }));
  });
}

interface Release {
  files: Record<string, string>;
  sums?: string;
}

async function serve(releases: Record<string, Release>): Promise<{ base: string; hits: string[]; close(): Promise<void> }> {
  const hits: string[] = [];
  const server = http.createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    hits.push(path);
    const m = /^\/(?:download\/(v[^/]+)|latest\/download)\/(.+)$/.exec(path);
    const rel = m ? releases[m[1] ?? 'latest'] : undefined;
    const name = m?.[2];
    if (rel && name === 'SHA256SUMS') {
      return void res.end(rel.sums ?? Object.entries(rel.files).map(([f, body]) => `${hex(body)}  ${f}`).join('\n') + '\n');
    }
    if (rel && name && rel.files[name] !== undefined) return void res.end(rel.files[name]);
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hits,
    close: () => new Promise((r) => {
      server.closeAllConnections();
      server.close(() => r());
    }),
  };
}

describe.runIf(process.platform === 'linux')('install.sh', () => {
  let home: string;
  let srv: Awaited<ReturnType<typeof serve>> | null = null;
  const files = { 'cco-daemon.cjs': DAEMON, 'CCO-2026.1122.1-linux-x86_64.AppImage': APPIMAGE, 'CCO-2026.1122.1-mac-arm64.dmg': 'dmg' };

  beforeEach(() => {
    home = mkdtempSync(join(tmpdir(), 'cco-install-'));
  });
  afterEach(async () => {
    await srv?.close();
    srv = null;
    rmSync(home, { recursive: true, force: true });
  });

  // async: the release server runs in this process, so a synchronous spawn would starve it
  const install = (args: string[], extraEnv: Record<string, string> = {}, shell = 'sh'): Promise<Ran> =>
    run(shell, [script, ...args], { PATH: process.env.PATH ?? '', HOME: home, CCO_DOWNLOAD_BASE: srv!.base, TMPDIR: home, ...extraEnv });

  it('installs the daemon and a working cco command after checking the SHA-256', async () => {
    srv = await serve({ latest: { files } });
    const r = await install(['--daemon']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('checksum verified');
    const cco = join(home, '.local', 'bin', 'cco');
    expect(spawnSync(cco, ['version'], { encoding: 'utf8' }).stdout.trim()).toBe('cco 2026.1122.1');
    expect(readFileSync(join(home, '.local', 'share', 'cco', 'cco-daemon.cjs'), 'utf8')).toBe(DAEMON);
    expect(srv.hits).toEqual(['/latest/download/SHA256SUMS', '/latest/download/cco-daemon.cjs']);
  });

  it('installs the release\'s store worker beside the daemon and removes other builds\' worker files', async () => {
    const worker = 'cco-store-worker-0123456789ab.cjs';
    srv = await serve({ latest: { files: { ...files, [worker]: '// worker' } } });
    const dir = join(home, '.local', 'share', 'cco');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'cco-store-worker-aaaaaaaaaaaa.cjs'), '// old');
    const r = await install(['--daemon']);
    expect(r.status, r.stderr).toBe(0);
    expect(readdirSync(dir).sort()).toEqual(['cco-daemon.cjs', worker]);
    expect(readFileSync(join(dir, worker), 'utf8')).toBe('// worker');
  });

  it('refuses a store worker whose checksum does not match and installs nothing', async () => {
    const worker = 'cco-store-worker-0123456789ab.cjs';
    srv = await serve({ latest: { files: { ...files, [worker]: '// worker' }, sums: `${hex(DAEMON)}  cco-daemon.cjs\n${'0'.repeat(64)}  ${worker}\n` } });
    const r = await install(['--daemon']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`checksum mismatch for ${worker}`);
    expect(existsSync(join(home, '.local'))).toBe(false);
  });

  it('installs a head release: cco-daemon.cjs, the program it loads and the store worker, and drops the old build\'s files', async () => {
    const program = 'cco-program-0123456789ab.cjs';
    const worker = 'cco-store-worker-0123456789ab.cjs';
    const head = `'use strict';\nrequire(require('node:path').join(__dirname, '${program}'));\n`;
    srv = await serve({ latest: { files: { ...files, 'cco-daemon.cjs': head, [program]: DAEMON, [worker]: '// worker' } } });
    const dir = join(home, '.local', 'share', 'cco');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'cco-program-aaaaaaaaaaaa.cjs'), '// old program');
    writeFileSync(join(dir, 'cco-program-aaaaaaaaaaaa.cjs.v20.20.2-x64.v8'), 'its V8 code cache');
    writeFileSync(join(dir, `${program}.v20.20.2-x64.v8`), 'the same build installed again: its cache stays');
    writeFileSync(join(dir, 'cco-store-worker-aaaaaaaaaaaa.cjs'), '// old worker');
    const r = await install(['--daemon']);
    expect(r.status, r.stderr).toBe(0);
    expect(readdirSync(dir).sort()).toEqual(['cco-daemon.cjs', program, `${program}.v20.20.2-x64.v8`, worker]);
    expect(statSync(join(dir, program)).mode & 0o777).toBe(0o644);
    expect(spawnSync(join(home, '.local', 'bin', 'cco'), ['version'], { encoding: 'utf8' }).stdout.trim()).toBe('cco 2026.1122.1');
  });

  it('refuses a program whose checksum does not match and installs nothing', async () => {
    const program = 'cco-program-0123456789ab.cjs';
    srv = await serve({ latest: { files: { ...files, [program]: DAEMON }, sums: `${hex(DAEMON)}  cco-daemon.cjs\n${'0'.repeat(64)}  ${program}\n` } });
    const r = await install(['--daemon']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`checksum mismatch for ${program}`);
    expect(existsSync(join(home, '.local'))).toBe(false);
  });

  it('installs a pinned version from its tag', async () => {
    srv = await serve({ 'v2026.1121.0': { files } });
    expect((await install(['--daemon', '--version', '2026.1121.0'])).status).toBe(0);
    expect(srv.hits[0]).toBe('/download/v2026.1121.0/SHA256SUMS');
  });

  it('refuses a file whose checksum does not match and installs nothing', async () => {
    srv = await serve({ latest: { files, sums: `${'0'.repeat(64)}  cco-daemon.cjs\n` } });
    const r = await install(['--daemon']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('checksum mismatch for cco-daemon.cjs');
    expect(existsSync(join(home, '.local'))).toBe(false);
    expect(spawnSync('ls', [home], { encoding: 'utf8' }).stdout.trim()).toBe(''); // temp dir cleaned up
  });

  it('picks the AppImage on an x64 desktop and the daemon when headless', async () => {
    srv = await serve({ latest: { files } });
    const arch = spawnSync('uname', ['-m'], { encoding: 'utf8' }).stdout.trim();
    if (arch === 'x86_64') {
      const r = await install([], { DISPLAY: ':0' });
      expect(r.status, r.stderr).toBe(0);
      const app = join(home, '.local', 'share', 'cco', 'CCO.AppImage');
      expect(statSync(app).mode & 0o111).not.toBe(0);
      expect(spawnSync(join(home, '.local', 'bin', 'cco-app'), { encoding: 'utf8' }).stdout.trim()).toBe('CCO AppImage');
    }
    const headless = await install([]);
    expect(headless.status).toBe(0);
    expect(existsSync(join(home, '.local', 'share', 'cco', 'cco-daemon.cjs'))).toBe(true);
  });

  it('fails clearly when the release lacks the asset or the server is unreachable', async () => {
    srv = await serve({ latest: { files: { 'other.txt': 'x' } } });
    const missing = await install(['--daemon']);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('no file ending in cco-daemon.cjs');
    const gone = await install(['--daemon'], { CCO_DOWNLOAD_BASE: 'http://127.0.0.1:9' });
    expect(gone.status).toBe(1);
    expect(gone.stderr).toContain('could not download SHA256SUMS');
  });

  it('prefers the deb where dpkg exists (installed with apt-get), the AppImage with --appimage or without a deb', async () => {
    const arch = spawnSync('uname', ['-m'], { encoding: 'utf8' }).stdout.trim();
    if (arch !== 'x86_64') return;
    const deb = 'CCO-2026.1122.1-linux-amd64.deb';
    srv = await serve({ latest: { files: { ...files, [deb]: 'deb-bytes' } } });
    // fake dpkg, apt-get and sudo that record what they were asked
    const bin = join(home, 'fakebin');
    const log = join(home, 'calls.log');
    spawnSync('mkdir', ['-p', bin]);
    for (const tool of ['dpkg', 'apt-get', 'sudo']) {
      const body = tool === 'sudo' ? `#!/bin/sh\necho "sudo $*" >> ${log}\nexec "$@"\n` : `#!/bin/sh\necho "${tool} $*" >> ${log}\n`;
      spawnSync('sh', ['-c', `printf '%s' '${body.replace(/'/g, "'\\''")}' > ${bin}/${tool} && chmod 755 ${bin}/${tool}`]);
    }
    const env = { DISPLAY: ':0', PATH: `${bin}:${process.env.PATH ?? ''}` };
    const r = await install([], env);
    expect(r.status, r.stderr).toBe(0);
    expect(srv.hits).toContain(`/latest/download/${deb}`);
    const calls = readFileSync(log, 'utf8');
    expect(calls).toMatch(/apt-get install -y \S+\/CCO-2026\.1122\.1-linux-amd64\.deb/);
    expect(existsSync(join(home, '.local', 'share', 'cco', 'CCO.AppImage'))).toBe(false);

    const appimage = await install(['--appimage'], env);
    expect(appimage.status, appimage.stderr).toBe(0);
    expect(existsSync(join(home, '.local', 'share', 'cco', 'CCO.AppImage'))).toBe(true);
  });

  it('runs under a strict POSIX shell (dash)', async () => {
    srv = await serve({ latest: { files } });
    const r = await install(['--daemon'], {}, 'dash');
    expect(r.status, r.stderr).toBe(0);
  });
});

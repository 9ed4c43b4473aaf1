/**
 * The packaged app binary, run for real (GitHub Actions, every OS of the matrix; see .github/workflows/ci.yml):
 *  1. `<app> --daemon --port 0`: the headless server mode starts, writes its PID file, answers /health, and
 *     stops on SIGTERM;
 *  2. `<app> --smoke`: the tray app starts, waits for its daemon's ready handshake, asks /health, opens and
 *     closes the popover, and exits 0 (main/smoke.ts).
 * Both with throwaway data, config and userData folders. Without a packaged binary (this repository's
 * development machines cannot install Electron) it says so and exits 0 — unless CI=true, where that is a failure.
 *
 *   npx tsx scripts/app-binary-smoke.ts [path/to/binary]     (default: found under release/<version>/)
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Where electron-builder --dir puts the app binary on this platform. */
export function packagedBinary(releaseDir: string, platform: NodeJS.Platform = process.platform): string | null {
  const candidates =
    platform === 'darwin'
      ? ['mac-arm64', 'mac', 'mac-universal'].map((d) => path.join(releaseDir, d, 'CCO.app', 'Contents', 'MacOS', 'CCO'))
      : platform === 'win32'
        ? [path.join(releaseDir, 'win-unpacked', 'CCO.exe')]
        : [path.join(releaseDir, 'linux-unpacked', 'cco-app')];
  return candidates.find((c) => fs.existsSync(c)) ?? null;
}

function tempEnv(tag: string): { env: NodeJS.ProcessEnv; dir: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `cco-bin-${tag}-`));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    CCO_DATA_DIR: path.join(dir, 'data'),
    CCO_CONFIG_DIR: path.join(dir, 'config'),
    CCO_USER_DATA_DIR: path.join(dir, 'userData'),
    CCO_HISTORY: 'off',
    CCO_CREDENTIALS_BACKEND: 'file',
    CCO_PORT: '0',
    CCO_UPSTREAM_URL: 'http://127.0.0.1:9',
    ELECTRON_ENABLE_LOGGING: '1',
  };
  delete env.ELECTRON_RUN_AS_NODE;
  return { env, dir };
}

async function waitFor<T>(what: string, ms: number, probe: () => T | null | Promise<T | null>): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== null) return v;
    if (Date.now() > end) throw new Error(`${what}: not within ${ms / 1000} s`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function daemonMode(binary: string): Promise<void> {
  const { env, dir } = tempEnv('daemon');
  const child = spawn(binary, ['--daemon', '--port', '0'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    // The PID file names the URL on every OS (a Windows GUI binary's stdout is not always attached).
    const pidDir = path.join(dir, 'data', 'pids');
    const url = await waitFor('--daemon PID file', 60_000, () => {
      if (child.exitCode !== null) throw new Error(`--daemon exited with ${child.exitCode}:\n${out}`);
      const f = fs.existsSync(pidDir) ? fs.readdirSync(pidDir).find((n) => /^cco-\d+\.pid$/.test(n)) : undefined;
      return f ? (JSON.parse(fs.readFileSync(path.join(pidDir, f), 'utf8')) as { url: string }).url : null;
    });
    const res = await fetch(`${url}/health`);
    const body = (await res.json()) as { status?: string; version?: string };
    if (res.status !== 200 || body.status !== 'ok') throw new Error(`--daemon /health: HTTP ${res.status} ${JSON.stringify(body)}`);
    console.log(`app-binary-smoke: --daemon --port 0 answered /health at ${url} (version ${body.version})`);
  } finally {
    child.kill('SIGTERM');
    const code = await Promise.race([exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 20_000))]);
    if (code === 'timeout') child.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function smokeMode(binary: string): Promise<void> {
  const { env, dir } = tempEnv('smoke');
  const child = spawn(binary, ['--smoke'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  try {
    const code = await Promise.race([
      new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c))),
      new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 120_000)),
    ]);
    if (code !== 0) {
      if (code === 'timeout') child.kill('SIGKILL');
      throw new Error(`--smoke ${code === 'timeout' ? 'did not exit within 120 s' : `exited with ${code}`}:\n${out}`);
    }
    console.log(`app-binary-smoke: --smoke exited 0\n${out.split('\n').filter((l) => l.includes('smoke:')).join('\n')}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const version = (JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string }).version;
  const binary = process.argv[2] ?? packagedBinary(path.join(root, 'release', version));
  if (!binary) {
    const reason = `no packaged app under release/${version}/ (electron-builder --dir needs the Electron binary, which only GitHub Actions can download)`;
    if (process.env.CI === 'true') throw new Error(reason);
    console.log(`app-binary-smoke: skipped: ${reason}`);
    return;
  }
  console.log(`app-binary-smoke: ${binary}`);
  await daemonMode(binary);
  await smokeMode(binary);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(`app-binary-smoke: FAILED: ${(err as Error).message}`);
      process.exit(1);
    },
  );
}

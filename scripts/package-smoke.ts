/**
 * `npm run package:smoke`: builds the REAL package with electron-builder (`--linux dir`) against a stub
 * Electron distribution (`electronDist`: a placeholder binary holding the fuse sentinel, since no Electron
 * binary can be installed here), then checks what a first real run would trip over:
 *  1. the fuses electron-builder.yml asks for were written into the binary;
 *  2. app.asar holds what the app loads (main, preload, daemon entry + store worker, renderer, the one sql.js
 *     build the daemon uses, runtime dependencies) and nothing it must not ship (renderer-only packages that
 *     Vite already bundled, other sql.js builds, source maps, type declarations, dev tools); size ≤ 15 MB;
 *  3. the packaged daemon entry (out/daemon/entry-utility.js, extracted with its pruned node_modules) runs
 *     under plain Node with a fake `process.parentPort`, exactly the utility-process protocol:
 *     ready → a request proxied to the fake upstream → shutdown → shutdown-complete → exit 0.
 * Flags: --no-build (reuse out/), --keep (leave the temp folder). Exit code 0 = all good.
 */
import { fork, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import asar from '@electron/asar';
import { startFakeUpstream } from '../test/fake-upstream/server.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const ASAR_LIMIT_BYTES = 15 * 1024 * 1024;
const SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX';
/** Fuse order of the v1 wire (@electron/fuses FuseV1Options). */
const FUSES = ['runAsNode', 'enableCookieEncryption', 'enableNodeOptionsEnvironmentVariable', 'enableNodeCliInspectArguments', 'enableEmbeddedAsarIntegrityValidation', 'onlyLoadAppFromAsar', 'loadBrowserProcessSpecificV8Snapshot', 'grantFileProtocolExtraPrivileges'] as const;

/** Files app.asar must hold (paths as `asar list` prints them). */
export const MUST_HAVE = [
  '/package.json',
  '/out/main/index.js',
  '/out/main/store-worker.js',
  '/out/preload/index.cjs',
  '/out/daemon/entry-utility.js',
  '/out/daemon/store-worker.js',
  '/out/renderer/index.html',
  '/node_modules/sql.js/dist/sql-wasm.js',
  '/node_modules/sql.js/dist/sql-wasm.wasm',
  '/node_modules/express/package.json',
  '/node_modules/ws/package.json',
  '/node_modules/electron-updater/package.json',
  '/node_modules/smol-toml/package.json',
  '/node_modules/zod/package.json',
];

/** Patterns no file in app.asar may match. */
export const MUST_NOT: Array<[RegExp, string]> = [
  [/^\/node_modules\/(react|react-dom|recharts|es-toolkit|@reduxjs|victory-vendor|d3-[a-z-]+)\//, 'renderer-only package (Vite bundles it into out/renderer)'],
  [/^\/node_modules\/sql\.js\/dist\/(?!sql-wasm\.(js|wasm)$)/, 'a sql.js build the daemon does not load'],
  // (@opentelemetry/api itself ships: prom-client depends on it)
  [/^\/node_modules\/@opentelemetry\/(?!api(\/|$))/, 'the OpenTelemetry SDK (bundled into an out/ chunk read only with OTLP export: main/build-app.ts)'],
  [/\.map$/, 'source map'],
  [/\.d\.[cm]?ts$/, 'type declarations'],
  [/^\/node_modules\/(electron|electron-builder|app-builder-lib|typescript|vitest|vite|esbuild|playwright|playwright-core|@anthropic-ai|tsx)\//, 'a build or test tool'],
  [/^\/(daemon|main|renderer|scripts|test|e2e)\//, 'TypeScript sources (only out/ ships)'],
];

function log(line: string): void {
  process.stdout.write(`package:smoke: ${line}\n`);
}

function fail(message: string): never {
  throw new Error(message);
}

/** A stub Electron distribution: a placeholder `electron` whose bytes hold the v1 fuse wire. */
export function writeStubElectronDist(dir: string): void {
  fs.mkdirSync(path.join(dir, 'resources'), { recursive: true });
  const wire = Buffer.from('1'.repeat(FUSES.length + 1)); // every fuse "enabled" as Electron ships them
  const binary = Buffer.concat([Buffer.from('#!/bin/sh\necho "stub Electron (package:smoke)"; exit 1\n#'), Buffer.from(SENTINEL), Buffer.from([1, wire.length]), wire, Buffer.from('\n')]);
  fs.writeFileSync(path.join(dir, 'electron'), binary, { mode: 0o755 });
  fs.writeFileSync(path.join(dir, 'version'), electronVersion());
  fs.writeFileSync(path.join(dir, 'LICENSE'), 'stub');
  fs.writeFileSync(path.join(dir, 'LICENSES.chromium.html'), 'stub');
}

/** Fuse states in a (packaged) binary: true = enabled. */
export function readFuses(binary: Buffer): Record<string, boolean> {
  const at = binary.indexOf(SENTINEL);
  if (at < 0) fail('the packaged binary has no fuse sentinel');
  const wire = at + SENTINEL.length;
  const n = binary[wire + 1]!;
  const out: Record<string, boolean> = {};
  FUSES.forEach((name, i) => {
    if (i < n) out[name] = binary[wire + 2 + i] === 0x31;
  });
  return out;
}

function electronVersion(): string {
  return (JSON.parse(fs.readFileSync(path.join(root, 'node_modules', 'electron', 'package.json'), 'utf8')) as { version: string }).version;
}

function run(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env: { ...process.env, CSC_IDENTITY_AUTO_DISCOVERY: 'false' } });
  if (r.status !== 0) fail(`${cmd} ${args.join(' ')} exited with ${r.status}`);
}

/** Checks a file list from app.asar; returns the problems. */
export function checkAsarListing(files: readonly string[]): string[] {
  const set = new Set(files);
  const problems = MUST_HAVE.filter((f) => !set.has(f)).map((f) => `missing ${f}`);
  for (const f of files) {
    const hit = MUST_NOT.find(([re]) => re.test(f));
    if (hit) problems.push(`must not ship ${f} (${hit[1]})`);
  }
  return problems;
}

/** The packaged daemon entry under plain Node, talking the utility-process protocol through a fake parentPort. */
async function runPackagedDaemon(appDir: string, work: string): Promise<void> {
  const upstream = await startFakeUpstream({ seed: 11 });
  const shim = path.join(work, 'fake-parent-port.mjs');
  // Electron gives a utility process `process.parentPort`; here it is a bridge to Node's IPC channel.
  fs.writeFileSync(
    shim,
    `import { EventEmitter } from 'node:events';
const port = new EventEmitter();
port.postMessage = (m) => process.send(m);
process.on('message', (m) => port.emit('message', { data: m }));
process.parentPort = port;
`,
  );
  const home = path.join(work, 'home');
  fs.mkdirSync(home, { recursive: true });
  const child = fork(path.join(appDir, 'out', 'daemon', 'entry-utility.js'), [], {
    cwd: appDir,
    execArgv: ['--import', shim],
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    env: {
      PATH: process.env.PATH ?? '',
      HOME: home,
      CCO_DATA_DIR: path.join(home, 'data'),
      CCO_CONFIG_DIR: path.join(home, 'config'),
      CCO_PORT: '0',
      CCO_UPSTREAM_URL: upstream.url,
      CCO_HISTORY: 'off',
      CCO_CREDENTIALS_BACKEND: 'file',
      CCO_STATIC_DIR: path.join(appDir, 'out', 'renderer'),
    },
  });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const messages: Array<Record<string, unknown>> = [];
  const waitFor = (type: string, ms: number) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const seen = messages.find((m) => m.type === type);
      if (seen) return resolve(seen);
      const timer = setTimeout(() => reject(new Error(`no ${type} message within ${ms / 1000} s; output:\n${output}`)), ms);
      const onMessage = (m: Record<string, unknown>) => {
        if (m.type !== type) return;
        clearTimeout(timer);
        child.off('message', onMessage);
        resolve(m);
      };
      child.on('message', onMessage);
    });
  child.on('message', (m: Record<string, unknown>) => messages.push(m));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    const ready = await waitFor('ready', 30_000);
    log(`daemon ready on ${String(ready.url)} (pid ${String(ready.pid)})`);
    const res = await fetch(`${String(ready.url)}/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': 'sk-ant-api03-smoke', 'anthropic-version': '2023-06-01', 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'claude-sonnet-4-6', max_tokens: 16, messages: [{ role: 'user', content: 'hello' }] }),
    });
    const body = (await res.json()) as { type?: string };
    if (res.status !== 200 || body.type !== 'message') fail(`proxied request: HTTP ${res.status} ${JSON.stringify(body).slice(0, 200)}`);
    if (upstream.requests().length !== 1) fail(`the fake upstream saw ${upstream.requests().length} requests, expected 1`);
    log('a request went through the packaged daemon to the fake upstream');
    const dash = await fetch(`${String(ready.url)}/`, { headers: { authorization: `Bearer ${String(ready.token)}` } });
    if (dash.status !== 200 || !(await dash.text()).includes('<div id="root"')) fail(`dashboard: HTTP ${dash.status}`);
    child.send({ type: 'shutdown' });
    await waitFor('shutdown-complete', 30_000);
    const code = await exited;
    if (code !== 0) fail(`the daemon exited with ${code}; output:\n${output}`);
    log('shutdown → shutdown-complete → exit 0');
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    await upstream.close();
  }
}

export async function packageSmoke(opts: { build: boolean; keep: boolean }): Promise<{ asarBytes: number }> {
  const started = Date.now();
  if (opts.build) run('npm', ['run', 'build', '--silent']);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'cco-package-smoke-'));
  try {
    const dist = path.join(work, 'electron-dist');
    writeStubElectronDist(dist);
    const output = path.join(work, 'release');
    run(process.execPath, [
      path.join(root, 'node_modules', 'electron-builder', 'cli.js'), '--linux', 'dir', '--x64', '--publish', 'never',
      `-c.electronDist=${dist}`, `-c.electronVersion=${electronVersion()}`, `-c.directories.output=${output}`,
    ]);
    const unpacked = path.join(output, 'linux-unpacked');
    const resources = path.join(unpacked, 'resources');

    const fuses = readFuses(fs.readFileSync(path.join(unpacked, 'cco-app')));
    const expected = { runAsNode: false, enableNodeOptionsEnvironmentVariable: false, enableNodeCliInspectArguments: false, onlyLoadAppFromAsar: true, grantFileProtocolExtraPrivileges: false };
    for (const [k, v] of Object.entries(expected)) if (fuses[k] !== v) fail(`fuse ${k} is ${fuses[k]}, electron-builder.yml asks for ${v}`);
    log(`fuses written: ${Object.entries(fuses).map(([k, v]) => `${k}=${v ? 'on' : 'off'}`).join(' ')}`);

    const archive = path.join(resources, 'app.asar');
    const files = asar.listPackage(archive, { isPack: false });
    const problems = checkAsarListing(files);
    if (problems.length) fail(`app.asar:\n  ${problems.slice(0, 30).join('\n  ')}${problems.length > 30 ? `\n  … ${problems.length - 30} more` : ''}`);
    const asarBytes = fs.statSync(archive).size;
    log(`app.asar: ${files.length} entries, ${(asarBytes / 1024 / 1024).toFixed(2)} MiB (limit ${ASAR_LIMIT_BYTES / 1024 / 1024} MiB)`);
    if (asarBytes > ASAR_LIMIT_BYTES) fail(`app.asar is ${asarBytes} bytes, over the ${ASAR_LIMIT_BYTES} limit`);

    const appDir = path.join(work, 'app');
    asar.extractAll(archive, appDir); // unpacked files (sql-wasm.wasm) come from app.asar.unpacked
    if (!fs.existsSync(path.join(appDir, 'node_modules', 'sql.js', 'dist', 'sql-wasm.wasm'))) fail('sql-wasm.wasm is not in the extracted app');
    await runPackagedDaemon(appDir, work);
    log(`all good in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return { asarBytes };
  } finally {
    if (opts.keep) log(`kept ${work}`);
    else fs.rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  packageSmoke({ build: !process.argv.includes('--no-build'), keep: process.argv.includes('--keep') }).then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(`package:smoke: FAILED: ${(err as Error).message}\n`);
      process.exit(1);
    },
  );
}

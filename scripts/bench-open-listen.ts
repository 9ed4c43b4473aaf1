/**
 * `npm run bench:open-listen [rows=1000000]` (not a test): the first start after an upgrade that migrates the
 * store (issue 14, h14-openlisten), against the release bundle.
 *
 * Writes a store of `rows` records with Store.addBulk (sources), takes it back to schema 8 (session_rollups
 * keyed by text, cco.sqlite and every month file: what the release before migration 9 wrote), then starts
 * dist/cco-daemon.cjs on it with the fake upstream and, from the spawn on, sends one proxied request every
 * 100 ms (and /ready, /api/status between them). Prints when the port first answered, when the first proxied
 * request was forwarded, when /ready said 200, how many attempts were refused, the steps /api/status showed,
 * and, after a SIGTERM, that the store holds every row plus every forwarded request exactly once.
 * Before h14-openlisten the daemon listened only once its store was open: the first forward came after /ready.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RequestRecord, StatusResponse } from '../shared/contract.ts';
import { loadSqlJs } from '../daemon/store/db.ts';
import { openStore } from '../daemon/store/index.ts';
import { storeBackToSchema8 } from '../daemon/store/test-fixtures.ts';
import { spawnFakeUpstream } from '../test/fake-upstream/process.ts';
import { buildDaemonBundle, freePort } from './bench-kit.ts';
import { benchRecord } from './bench-records.ts';

const rows = Number(process.argv[2] ?? 1_000_000);
const root = path.resolve(import.meta.dirname, '..');
const bundle = path.join(root, 'dist', 'cco-daemon.cjs');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const load = (): string => os.loadavg().map((l) => l.toFixed(1)).join('/');

async function main(): Promise<void> {
  buildDaemonBundle(root, bundle);
  console.log(`bench:open-listen rows=${rows} node ${process.version} ${os.cpus().length} cpus, load ${load()}`);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cco-openlisten-'));
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'cco-openlisten-home-'));
  const now = Date.now();
  const store = await openStore({ dataDir, log: () => undefined });
  for (let i = 0; i < rows; i += 10_000) {
    const batch: RequestRecord[] = [];
    for (let j = i; j < Math.min(rows, i + 10_000); j++) batch.push(benchRecord(j, rows, now));
    await store.addBulk(batch);
  }
  await store.close();
  // Back to schema 8, as the release before migration 9 left it.
  const SQL = await loadSqlJs();
  const files = storeBackToSchema8(SQL, dataDir);
  console.log(`store written at schema 8: ${files.length} files, cco.sqlite ${(fs.statSync(files[0]!).size / 1e6).toFixed(1)} MB (load ${load()})`);

  const up = await spawnFakeUpstream({ seed: 14 });
  // BENCH_OLD_BUNDLE=path/to/an/older/cco-daemon.cjs: the same start on a copy of the same store, first (A/B in one run).
  const old = process.env.BENCH_OLD_BUNDLE;
  if (old) {
    const copy = `${dataDir}-old`;
    fs.cpSync(dataDir, copy, { recursive: true });
    await firstStart(old, copy, home, up.url);
    fs.rmSync(copy, { recursive: true, force: true });
  }
  await firstStart(bundle, dataDir, home, up.url);
  await up.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
  fs.rmSync(home, { recursive: true, force: true });
}

/** Starts `which` on `dataDir` (a store that migrates) and prints when it forwarded and was ready. */
async function firstStart(which: string, dataDir: string, home: string, upstream: string): Promise<void> {
  console.log(`-- ${path.relative(process.cwd(), which)}`);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const t0 = performance.now();
  const child = spawn(process.execPath, [which, 'run', '--port', String(port), '--data-dir', dataDir, '--upstream', upstream, '--no-browser', '--no-history'], {
    env: { ...process.env, HOME: home, XDG_CONFIG_HOME: path.join(home, '.config'), XDG_DATA_HOME: path.join(home, '.local', 'share'), NO_BROWSER: '1', ANTHROPIC_API_KEY: '' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  let listening: number | null = null;
  let firstForward: number | null = null;
  let ready: number | null = null;
  let refused = 0;
  let forwarded = 0;
  let failed = 0;
  const steps = new Map<string, number>();
  let token: string | null = null;
  while (ready === null && performance.now() - t0 < 600_000) {
    const at = performance.now() - t0;
    try {
      const res = await fetch(`${url}/v1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': 'sk-ant-bench', 'anthropic-version': '2023-06-01' },
        body: JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 32, messages: [{ role: 'user', content: `open ${forwarded}` }] }),
      });
      await res.arrayBuffer();
      listening ??= at;
      if (res.status === 200) {
        forwarded++;
        firstForward ??= performance.now() - t0;
      } else failed++;
      if ((await fetch(`${url}/ready`)).status === 200) ready = performance.now() - t0;
      token ??= fs.existsSync(path.join(dataDir, 'token')) ? fs.readFileSync(path.join(dataDir, 'token'), 'utf8').trim() : null;
      if (token && ready === null) {
        const st = (await (await fetch(`${url}/api/status`, { headers: { authorization: `Bearer ${token}` } })).json()) as StatusResponse;
        const step = /opening \(([^,]+),/.exec(st.message ?? '')?.[1];
        if (step && !steps.has(step)) steps.set(step, performance.now() - t0);
      }
    } catch {
      refused++;
    }
    await sleep(100);
  }
  const ms = (v: number | null): string => (v === null ? 'never' : `${v.toFixed(0)} ms`);
  console.log(`port answering       ${ms(listening)}`);
  console.log(`first forwarded      ${ms(firstForward)}`);
  console.log(`/ready 200           ${ms(ready)}   (load ${load()})`);
  console.log(`requests: ${forwarded} forwarded, ${failed} not 200, ${refused} refused (connection)`);
  for (const [step, at] of steps) console.log(`  status step at ${at.toFixed(0).padStart(6)} ms: ${step}`);
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;

  const check = await openStore({ dataDir, log: () => undefined });
  const n = (await check.stats()).requests;
  await check.close();
  console.log(`stored ${n} = ${rows} + ${forwarded + failed} proxied: ${n === rows + forwarded + failed ? "exact" : "MISMATCH"}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

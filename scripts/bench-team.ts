/**
 * `npm run bench:team [-- rows]` (default 5,000,000; a quick run: `npm run bench:team -- 200000`): a team of
 * 50 developers on one central CCO gateway and one PostgreSQL, on a throwaway cluster (test/pg/cluster.ts).
 *
 * 1. BULK (history): `rows` records of the team's traffic (scripts/bench-team-traffic.ts: weekdays 09:00–
 *    18:00 in two time zones, ~1 request a minute each, subagent bursts, 12 projects, 3 models, SSE and
 *    JSON, ~0.5 % failures) going back from now, loaded through `PgStore.addBulk` — the path history import
 *    uses (outbox → batched idempotent inserts with their rollups) — in this process. Prints rows/s.
 * 2. LIVE (HTTP): the release bundle (dist/cco-daemon.cjs, rebuilt) runs `cco run --host 0.0.0.0` on that
 *    database as the central gateway in front of the fake upstream (its own process), with 50 users
 *    (dev01 made by the real CLI, `cco users add`). Each developer sends Claude Code-shaped requests with its
 *    own `x-cco-token` (a main-agent request, or one turn in 7 a subagent burst of 3–6 at once):
 *    - saturated: all 50 back to back for BENCH_SECONDS (default 15), to the fake upstream directly, then
 *      through the gateway: requests/s of each (the direct figure is the same-run ceiling);
 *    - paced: BENCH_RATE requests/s (default 20, twice the paper peak of 50 developers) arriving at random,
 *      direct then through the gateway: latency p50/p99 and the gateway's added latency (the difference).
 *    Then checks every live request reached PostgreSQL (the gateway's outbox drained) with its user.
 * 3. READS: `/api/summary` p50/p95 for month, 30d and all — the team view (with its by-user breakdown) and
 *    one user (`user=`) — and `/api/requests` first page, beside the target (≤ 50 ms at 5 M rows). Then an
 *    in-process A/B of the summary from the hourly cells only against the day layers (PostgreSQL migration 5).
 *
 * BENCH_KEEP=1 keeps the loaded cluster running at the end (its URL printed) until the bench is stopped, for
 * profiling with EXPLAIN ANALYZE.
 *
 * PostgreSQL runs with fsync on and shared_buffers 512 MB (the test clusters' 32 MB and fsync off are not a
 * server's). Everything shares the machine: the bench process generates load and data, so figures are
 * lower bounds for a dedicated server.
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import type { RequestPage, Summary } from '../shared/contract.ts';
import { openPgStore } from '../daemon/store-pg/index.ts';
import { createPool } from '../daemon/store-pg/pool.ts';
import { buildSummary } from '../daemon/store-pg/summary.ts';
import { addUser } from '../daemon/team/users.ts';
import { spawnFakeUpstream } from '../test/fake-upstream/process.ts';
import { makeRng } from '../test/fake-upstream/rng.ts';
import { startPgCluster } from '../test/pg/cluster.ts';
import { DEVELOPERS, PROJECTS, dayOfTraffic, daysBack, team, userName } from './bench-team-traffic.ts';
import { freePort } from './bench-kit.ts';

const rows = Number(process.argv[2] ?? 5_000_000);
const seconds = Number(process.env.BENCH_SECONDS ?? 15);
const root = path.resolve(import.meta.dirname, '..');
const bundle = path.join(root, 'dist', 'cco-daemon.cjs');
const run = promisify(execFile);
const BATCH = 5_000;
const TARGET_MS = 50;
/** Paced load for the latency figures: 2× the ≈10 req/s peak of 50 developers (docs/team.md). */
const RATE = Number(process.env.BENCH_RATE ?? 20);

const fmt = (n: number): string => Math.round(n).toLocaleString('en');
const line = (figure: string, value: string, target = ''): void => console.log(`${figure.padEnd(52)} ${value.padEnd(34)} ${target}`);
const signed = (x: number): string => `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(1)}`;
const load = (): string => os.loadavg().map((x) => x.toFixed(2)).join(' ');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((s.length * p) / 100))] ?? Number.NaN;
}


async function bulkLoad(url: string, now: number): Promise<{ loaded: number; ms: number; from: number }> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cco-bench-team-bulk-'));
  const store = await openPgStore({ url, dataDir, log: (level, msg) => level === 'error' && console.error(msg) });
  const devs = team();
  let loaded = 0;
  let ms = 0;
  let from = now;
  let nextReport = Date.now() + 30_000;
  try {
    for (const day of daysBack(now)) {
      if (loaded >= rows) break;
      const recs = dayOfTraffic(devs, day, now, day / 86_400_000).slice(0, rows - loaded);
      if (recs.length > 0) from = recs[0]!.startedAt;
      for (let i = 0; i < recs.length; i += BATCH) {
        const batch = recs.slice(i, i + BATCH);
        const t = performance.now();
        const res = await store.addBulk(batch);
        ms += performance.now() - t;
        if (res.inserted !== batch.length) throw new Error(`addBulk inserted ${res.inserted} of ${batch.length}`);
        loaded += batch.length;
      }
      if (Date.now() > nextReport) {
        nextReport = Date.now() + 30_000;
        process.stderr.write(`  … ${fmt(loaded)} rows, back to ${new Date(from).toISOString().slice(0, 10)}, ${fmt(loaded / (ms / 1000))} rows/s, load ${load()}\n`);
      }
    }
  } finally {
    await store.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
  return { loaded, ms, from };
}

/**
 * The 50 users: dev01 with the bundle's CLI (`cco users add dev01`, its stdout is the token), the others with
 * the module that command calls (daemon/team/users.ts addUser, same file), which saves ~40 s of CLI starts
 * on a loaded machine. Returns name → token.
 */
async function addUsers(env: NodeJS.ProcessEnv, dataDir: string): Promise<Map<string, string>> {
  const tokens = new Map<string, string>();
  const { stdout } = await run(process.execPath, [bundle, 'users', 'add', userName(0)], { env });
  tokens.set(userName(0), stdout.trim());
  for (let i = 1; i < DEVELOPERS; i++) tokens.set(userName(i), addUser(dataDir, userName(i)));
  return tokens;
}

async function startGateway(env: NodeJS.ProcessEnv, dataDir: string, upstream: string): Promise<{ child: ChildProcess; port: number; apiToken: string }> {
  const port = await freePort();
  const child = spawn(process.execPath, [bundle, 'run', '--host', '0.0.0.0', '--port', String(port), '--upstream', upstream, '--data-dir', dataDir, '--no-browser', '--no-history', '--log-level', 'warn'], {
    env,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  for (;;) {
    if (child.exitCode !== null) throw new Error(`gateway exited (${child.exitCode}) before /ready`);
    try {
      if ((await fetch(`http://127.0.0.1:${port}/ready`)).ok) break;
    } catch {
      // not listening yet
    }
    await sleep(50);
  }
  return { child, port, apiToken: fs.readFileSync(path.join(dataDir, 'token'), 'utf8').trim() };
}

interface Sent {
  ms: number;
  status: number;
}

function claudeCodeBody(model: string, project: string, stream: boolean, turn: number): string {
  return JSON.stringify({
    model,
    max_tokens: 64,
    stream,
    system: [
      { type: 'text', text: 'x-anthropic-billing-header: cc_version=2.1.197.a1b; cc_entrypoint=cli; cch=00000;' },
      { type: 'text', text: `You are Claude Code.\n\n<env>\nPrimary working directory: ${project}\nIs a git repository: true\n</env>`, cache_control: { type: 'ephemeral' } },
    ],
    messages: [{ role: 'user', content: [{ type: 'text', text: `Turn ${turn}: refactor the handler and run the tests. ${'context '.repeat(200)}` }] }],
  });
}

function send(agent: http.Agent, base: URL, headers: Record<string, string>, body: string): Promise<Sent> {
  const t = performance.now();
  return new Promise((resolve) => {
    const req = http.request(
      { agent, host: base.hostname, port: base.port, path: '/v1/messages?beta=true', method: 'POST', headers: { ...headers, 'content-length': Buffer.byteLength(body) } },
      (res) => {
        res.on('data', () => undefined);
        res.on('end', () => resolve({ ms: performance.now() - t, status: res.statusCode ?? 0 }));
        res.on('error', () => resolve({ ms: performance.now() - t, status: 0 }));
      },
    );
    req.on('error', () => resolve({ ms: performance.now() - t, status: 0 }));
    req.end(body);
  });
}

interface Client {
  name: string;
  projects: string[];
  agent: http.Agent;
  turns: number;
}

function clients(): Client[] {
  return team().map((dev) => ({ name: dev.name, projects: dev.projects, agent: new http.Agent({ keepAlive: true, maxSockets: 8 }), turns: 0 }));
}

/** One developer's turn: a main-agent request (95 % SSE), or every 7th turn a subagent burst of 3–6 at once. */
async function turn(c: Client, base: URL, tokens: Map<string, string> | null): Promise<Sent[]> {
  const n = ++c.turns;
  const project = c.projects[n % c.projects.length] ?? PROJECTS[0]!;
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'anthropic-version': '2023-06-01',
    'x-api-key': `sk-ant-api03-bench-${c.name}`,
    'user-agent': 'claude-cli/2.1.197 (external, cli)',
    'x-claude-code-session-id': `live-${c.name}-4e5f-8a9b-0c1d2e3f4a5b`,
  };
  if (tokens) headers['x-cco-token'] = tokens.get(c.name)!;
  const burst = (n + c.name.length + Number(c.name.slice(3))) % 7 === 0 ? 3 + (n % 4) : 0;
  if (burst === 0) return [await send(c.agent, base, headers, claudeCodeBody(n % 5 < 3 ? 'claude-opus-4-8' : 'claude-sonnet-4-6', project, n % 20 !== 0, n))];
  return Promise.all(
    Array.from({ length: burst }, (_, k) =>
      send(c.agent, base, { ...headers, 'x-claude-code-agent-id': `sub-${n}-${k}`, 'x-claude-code-parent-agent-id': 'main' }, claudeCodeBody('claude-haiku-4-5-20251001', project, k % 3 !== 0, n)),
    ),
  );
}

/** Closed loop: each of the 50 developers starts its next turn when the last ended, for `ms`: what the target serves at most. */
async function saturate(target: string, tokens: Map<string, string> | null, ms: number): Promise<{ sent: Sent[]; wallMs: number }> {
  const base = new URL(target);
  const cs = clients();
  const sent: Sent[] = [];
  const t0 = performance.now();
  await Promise.all(cs.map(async (c) => {
    while (performance.now() < t0 + ms) sent.push(...(await turn(c, base, tokens)));
  }));
  for (const c of cs) c.agent.destroy();
  return { sent, wallMs: performance.now() - t0 };
}

/** Open loop: turns of random developers arrive at ≈`rate` requests/s in total, for `ms`: latency at a steady load. */
async function paced(target: string, tokens: Map<string, string> | null, ms: number, rate: number): Promise<Sent[]> {
  const base = new URL(target);
  const cs = clients();
  const rng = makeRng('bench-team', 'paced');
  const sent: Sent[] = [];
  const inFlight: Promise<void>[] = [];
  const t0 = performance.now();
  const perTurn = 1.5; // mean requests a turn (bursts of 3–6 one turn in 7)
  for (let due = t0; due < t0 + ms; due += (-Math.log(1 - rng()) * 1000 * perTurn) / rate) {
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    inFlight.push(turn(cs[Math.floor(rng() * cs.length)]!, base, tokens).then((s) => void sent.push(...s)));
  }
  await Promise.all(inFlight);
  for (const c of cs) c.agent.destroy();
  return sent;
}

async function timed(n: number, f: (i: number) => Promise<unknown>): Promise<{ p50: number; p95: number }> {
  await f(0); // warm (plan cache, buffers)
  const ts: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await f(i);
    ts.push(performance.now() - t);
  }
  return { p50: pct(ts, 50), p95: pct(ts, 95) };
}

async function main(): Promise<void> {
  console.log(`bench:team rows=${fmt(rows)}, ${DEVELOPERS} developers, node ${process.version}, ${os.cpus().length} cores, load ${load()}`);
  execFileSync(process.execPath, ['--import', 'tsx', 'scripts/build-daemon.ts'], { cwd: root, stdio: 'ignore' });
  const cluster = await startPgCluster({ settings: { fsync: 'on', full_page_writes: 'on', shared_buffers: '512MB', work_mem: '16MB', max_wal_size: '4GB' } });
  const dirs: string[] = [];
  let gateway: ChildProcess | null = null;
  let fake: Awaited<ReturnType<typeof spawnFakeUpstream>> | null = null;
  try {
    const url = await cluster.createDatabase('cco_team');
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const version = (await client.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0]!.v;
    console.log(`PostgreSQL ${version} (throwaway cluster, fsync on, shared_buffers 512MB), one database\n`);

    // 1. BULK
    const now = Date.now();
    let t0 = performance.now();
    const bulk = await bulkLoad(url, now);
    const bulkWallS = (performance.now() - t0) / 1000;
    const months = (now - bulk.from) / (30.44 * 86_400_000);
    console.log(`BULK (history path: PgStore.addBulk, batches of ${fmt(BATCH)}, in the bench process):`);
    line(`  ${fmt(bulk.loaded)} rows, ${new Date(bulk.from).toISOString().slice(0, 10)} → now (${months.toFixed(1)} months)`, `${fmt(bulk.loaded / (bulk.ms / 1000))} rows/s (${(bulk.ms / 1000).toFixed(0)} s in addBulk, ${bulkWallS.toFixed(0)} s wall)`, `load ${load()}`);
    // A month-old database has been through autovacuum (it runs after inserts/updates): visibility maps set,
    // statistics current. Done here explicitly so the reads do not depend on when it last woke up.
    t0 = performance.now();
    await client.query(`VACUUM ANALYZE rollups, session_rollups, error_rollups, sessions, request_keys, day_rollups, day_team_rollups,
      day_user_rollups, session_day_rollups, error_day_rollups, session_totals, hour_team_rollups, month_user_rollups, day_model_rollups, day_project_rollups, month_team_rollups,
      local_day_model_rollups, local_day_project_rollups`);
    console.log(`  VACUUM ANALYZE of the rollup tables (what autovacuum does after a load): ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const size = (await client.query<{ s: string }>(`SELECT pg_size_pretty(pg_database_size(current_database())) AS s`)).rows[0]!.s;
    const cells = (await client.query<Record<string, number>>(`SELECT (SELECT count(*) FROM rollups) AS r, (SELECT count(*) FROM session_rollups) AS s,
      (SELECT count(*) FROM day_rollups) AS d, (SELECT count(*) FROM day_team_rollups) AS dt, (SELECT count(*) FROM day_user_rollups) AS du,
      (SELECT count(*) FROM session_day_rollups) AS sd, (SELECT count(*) FROM session_totals) AS st,
      (SELECT count(*) FROM hour_team_rollups) AS ht, (SELECT count(*) FROM month_user_rollups) AS mu,
      (SELECT count(*) FROM day_model_rollups) AS dm, (SELECT count(*) FROM day_project_rollups) AS dp, (SELECT count(*) FROM month_team_rollups) AS mt,
      (SELECT count(*) FROM local_day_model_rollups) AS lm, (SELECT count(*) FROM local_day_project_rollups) AS lp`)).rows[0]!;
    const n = (k: string): string => fmt(Number(cells[k]));
    console.log(`  database ${size}; rollups ${n('r')} cells, session_rollups ${n('s')} cells; day layers: day_rollups ${n('d')}, day_team_rollups ${n('dt')}, day_user_rollups ${n('du')}, session_day_rollups ${n('sd')}, session_totals ${n('st')}, hour_team_rollups ${n('ht')}, month_user_rollups ${n('mu')}, day_model_rollups ${n('dm')}, day_project_rollups ${n('dp')}, month_team_rollups ${n('mt')}, local_day_model_rollups ${n('lm')}, local_day_project_rollups ${n('lp')}\n`);

    // 2. LIVE
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'cco-bench-team-'));
    dirs.push(home);
    const dataDir = path.join(home, 'data');
    const env: NodeJS.ProcessEnv = {
      ...process.env, HOME: home, CCO_CONFIG_DIR: path.join(home, 'config'), CCO_DATA_DIR: dataDir,
      CCO_DATABASE_URL: url, ANTHROPIC_API_KEY: '', NO_BROWSER: '1', CCO_HISTORY: 'off',
    };
    let t = performance.now();
    const tokens = await addUsers(env, dataDir);
    console.log(`LIVE (HTTP through the central gateway: cco run --host 0.0.0.0, ${tokens.size} users made with \`cco users add\` in ${((performance.now() - t) / 1000).toFixed(1)} s)`);
    fake = await spawnFakeUpstream({ seed: 19, pingIntervalMs: 60_000 });
    const gw = await startGateway(env, dataDir, fake.url);
    gateway = gw.child;
    const gwUrl = `http://127.0.0.1:${gw.port}`;
    await saturate(fake.url, null, 2000); // warm-up, both targets
    await saturate(gwUrl, tokens, 3000);
    await fake.reset();
    const liveFrom = Date.now();
    const lat = (s: Sent[]) => ({ p50: pct(s.map((x) => x.ms), 50), p99: pct(s.map((x) => x.ms), 99) });
    const rps = (r: { sent: Sent[]; wallMs: number }) => r.sent.length / (r.wallMs / 1000);
    // Throughput: 50 developers back to back.
    const direct = await saturate(fake.url, null, seconds * 1000);
    await fake.reset();
    const live = await saturate(gwUrl, tokens, seconds * 1000);
    await fake.reset();
    let ok = live.sent.filter((x) => x.status === 200).length;
    line('  saturated, direct to the fake upstream (baseline)', `${fmt(rps(direct))} req/s`);
    line(`  saturated, through the gateway (${fmt(live.sent.length)} requests)`, `${fmt(rps(live))} req/s  (${fmt(ok)} × 200)`, `= ${((rps(live) / rps(direct)) * 100).toFixed(0)} % of direct`);
    // Latency at a steady load (RATE req/s, 2× the paper peak of 50 developers), direct then through the gateway.
    const pd = lat(await paced(fake.url, null, seconds * 1000, RATE));
    await fake.reset();
    const pacedLive = await paced(gwUrl, tokens, seconds * 1000, RATE);
    ok += pacedLive.filter((x) => x.status === 200).length;
    const pg_ = lat(pacedLive);
    line(`  ${RATE} req/s paced, direct to the fake upstream`, `p50 ${pd.p50.toFixed(1)} ms  p99 ${pd.p99.toFixed(1)} ms`);
    line(`  ${RATE} req/s paced, through the gateway (${fmt(pacedLive.length)} req)`, `p50 ${pg_.p50.toFixed(1)} ms  p99 ${pg_.p99.toFixed(1)} ms`);
    line('  gateway added latency at that load (gateway − direct)', `p50 ${signed(pg_.p50 - pd.p50)} ms  p99 ${signed(pg_.p99 - pd.p99)} ms`);
    // Every live request is in PostgreSQL with its user (reads drain the gateway's outbox first).
    const api = async <T>(p: string): Promise<T> => {
      const r = await fetch(gwUrl + p, { headers: { authorization: `Bearer ${gw.apiToken}` } });
      if (!r.ok) throw new Error(`${p}: ${r.status} ${await r.text()}`);
      return (await r.json()) as T;
    };
    t = performance.now();
    await api('/api/requests?limit=1');
    const stored = (await client.query<{ n: number; u: number }>('SELECT count(*) AS n, count(DISTINCT user_name) AS u FROM requests WHERE started_at >= $1', [liveFrom])).rows[0]!;
    line('  live records in PostgreSQL (outbox drained)', `${fmt(Number(stored.n))} of ${fmt(ok)}, ${stored.u} users (${(performance.now() - t).toFixed(0)} ms)`, Number(stored.n) === ok && Number(stored.u) === DEVELOPERS ? 'OK' : 'MISMATCH');
    if (Number(stored.n) !== ok) process.exitCode = 1;
    console.log(`  load ${load()}\n`);

    // 3. READS
    const total = Number((await client.query<{ n: number }>('SELECT count(*) AS n FROM requests')).rows[0]!.n);
    console.log(`READS (${fmt(total)} rows; 31 timed calls each after one warm-up; dashboard token; tz Europe/Paris)`);
    const N = 31;
    for (const range of ['month', '30d', 'all']) {
      const s = await api<Summary>(`/api/summary?range=${range}&tz=Europe/Paris`);
      const team = await timed(N, () => api(`/api/summary?range=${range}&tz=Europe/Paris`));
      const verdict = (x: { p50: number }) => `target p50 ≤ ${TARGET_MS} ms ${x.p50 <= TARGET_MS ? 'OK' : 'MISS'}`;
      line(`  /api/summary ${range}, team (byUser: ${s.byUser?.length ?? 0} users, ${fmt(s.totals.requests)} req)`, `p50 ${team.p50.toFixed(1)} ms  p95 ${team.p95.toFixed(1)} ms`, verdict(team));
      const one = await timed(N, (i) => api(`/api/summary?range=${range}&tz=Europe/Paris&user=${userName(i % DEVELOPERS)}`));
      line(`  /api/summary ${range}, user=devNN`, `p50 ${one.p50.toFixed(1)} ms  p95 ${one.p95.toFixed(1)} ms`, verdict(one));
    }
    const page = await timed(N, () => api<RequestPage>('/api/requests?limit=50'));
    line('  /api/requests first page (50)', `p50 ${page.p50.toFixed(1)} ms  p95 ${page.p95.toFixed(1)} ms`, '(no #19 target)');
    const pageUser = await timed(N, (i) => api<RequestPage>(`/api/requests?limit=50&user=${userName(i % DEVELOPERS)}`));
    line('  /api/requests first page (50), user=devNN', `p50 ${pageUser.p50.toFixed(1)} ms  p95 ${pageUser.p95.toFixed(1)} ms`, '(no #19 target)');
    console.log(`  load ${load()}`);
    // A/B in this run, in-process (buildSummary on a pool, no HTTP): the hourly cells only (days: false, the
    // summary before PostgreSQL migration 5) against the day layers, alternating, same data, same load.
    console.log('\nIN-PROCESS A/B (buildSummary: hours only vs day layers; 15 calls each, alternating; tz Europe/Paris)');
    const pool = createPool(url, { max: 8 });
    for (const range of ['month', 'all'] as const) {
      for (const user of [undefined, userName(6)]) {
        const q = { range, tz: 'Europe/Paris', ...(user !== undefined && { user }) };
        const hours: number[] = [];
        const days: number[] = [];
        await buildSummary(pool, { ...q, days: false });
        await buildSummary(pool, q);
        for (let i = 0; i < 15; i++) {
          for (const [on, xs] of [[false, hours], [true, days]] as const) {
            const t1 = performance.now();
            await buildSummary(pool, { ...q, days: on });
            xs.push(performance.now() - t1);
          }
        }
        line(`  ${range}, ${user === undefined ? 'team' : `user=${user}`}`, `hours p50 ${pct(hours, 50).toFixed(1)} ms → days p50 ${pct(days, 50).toFixed(1)} ms`, `load ${load()}`);
      }
    }
    await pool.end();
    await client.end();
  } finally {
    if (gateway && gateway.exitCode === null) {
      const exited = new Promise((r) => gateway!.once('exit', r));
      gateway.kill('SIGTERM');
      await exited;
    }
    await fake?.close();
    if (process.env.BENCH_KEEP === '1') {
      // the loaded database stays up for EXPLAIN ANALYZE until this process is stopped (its exit removes it)
      console.log(`\nBENCH_KEEP=1: the cluster stays up at ${cluster.url('cco_team')} until Ctrl-C / SIGTERM`);
      // a timer keeps the event loop alive: signal listeners alone do not, and the process would end (and its
      // cluster with it) as soon as the reads are done
      const alive = setInterval(() => undefined, 60_000);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', () => resolve());
        process.once('SIGTERM', () => resolve());
      });
      clearInterval(alive);
    }
    await cluster.destroy();
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

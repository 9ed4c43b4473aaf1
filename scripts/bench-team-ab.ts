/**
 * `npm run bench:team-ab -- <database URL> <old bundle> <new bundle> [calls]`: the dashboard's summaries of two
 * builds on ONE PostgreSQL database (bench:team's, kept with BENCH_KEEP=1), alternating call by call, so the
 * data, the machine and its load are the same for both.
 *
 * - API: each bundle runs as a daemon on that database (`node <bundle> run`, started in the order given: an
 *   older build refuses a schema newer than its own, so start it before a newer one migrates the database), and
 *   `/api/summary` is timed as bench:team times it (fetch, then the JSON parsed), old and new alternating (the
 *   first of a pair alternates too), `calls` times each (default 31) after one warm-up.
 * - In process (BENCH_OLD_SRC / BENCH_NEW_SRC = two source trees, optional): their `buildSummary` on one pool,
 *   alternating the same way: the database's share without HTTP.
 * - BENCH_RANGES=all,30d,month (the default): the ranges timed, each for the team and one user.
 * - Each daemon's CPU time a call (/proc, user + system, all threads), beside the wall times.
 * - BENCH_CPU_PROF=<dir>: the daemons run with `--cpu-prof` into that directory (written when they stop).
 *
 * Prints p50 / p95 of each with the load average. Nothing is written to the database but what the newer
 * build's migrations add.
 *
 * `npm run bench:team-ab -- ingest [rows]` (default 200,000), with BENCH_OLD_SRC and BENCH_NEW_SRC: the write
 * side. The team's traffic (bench-team-traffic.ts, newest day first) in batches of 1,000 (the outbox's) through
 * each tree's `insertBatch` (claim, insert, every rollup layer) into its own database of one throwaway cluster
 * (bench:team's settings, each migrated by its own tree), alternating batch by batch: rows/s of each. The
 * database written second ran 3–7 % slower whatever the tree (three runs of 200,000 rows, load 5–8): run it
 * again with the two trees swapped before reading a difference of that size.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import type pg from 'pg';
import type { RequestRecord, Summary } from '../shared/contract.ts';
import { createPool } from '../daemon/store-pg/pool.ts';
import type { PgSummaryQuery } from '../daemon/store-pg/summary.ts';
import { cpuMs, startBundleDaemon, type BundleDaemon } from './bench-kit.ts';
import { DEVELOPERS, dayOfTraffic, daysBack, team, userName } from './bench-team-traffic.ts';
import { startPgCluster } from '../test/pg/cluster.ts';

const ingest = process.argv[2] === 'ingest';
const [url, oldBundle, newBundle] = process.argv.slice(2);
const calls = Number(process.argv[5] ?? 31);
if (!ingest && (!url || !oldBundle || !newBundle)) {
  console.error('usage: npm run bench:team-ab -- <database URL> <old bundle> <new bundle> [calls]');
  process.exit(2);
}
const TZ = 'Europe/Paris';
const load = (): string => os.loadavg().map((x) => x.toFixed(2)).join(' ');
const pct = (xs: number[], p: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))] ?? Number.NaN;
const figure = (xs: number[]): string => `p50 ${pct(xs, 50).toFixed(1)} ms  p95 ${pct(xs, 95).toFixed(1)} ms`;
const line = (what: string, a: number[], b: number[]): void => console.log(`  ${what.padEnd(28)} old ${figure(a).padEnd(28)} new ${figure(b).padEnd(28)} load ${load()}`);

/** Runs `a` and `b` `calls` times each after a warm-up, alternating (a b, b a, …); their times in ms. */
async function alternate(a: (i: number) => Promise<unknown>, b: (i: number) => Promise<unknown>): Promise<[number[], number[]]> {
  await a(0);
  await b(0);
  const ta: number[] = [];
  const tb: number[] = [];
  const time = async (f: (i: number) => Promise<unknown>, into: number[], i: number): Promise<void> => {
    const t = performance.now();
    await f(i);
    into.push(performance.now() - t);
  };
  for (let i = 0; i < calls; i++) {
    if (i % 2 === 0) {
      await time(a, ta, i);
      await time(b, tb, i);
    } else {
      await time(b, tb, i);
      await time(a, ta, i);
    }
  }
  return [ta, tb];
}

const QUERIES: { what: string; path: (i: number) => string; q: (i: number) => PgSummaryQuery }[] = [];
for (const range of (process.env.BENCH_RANGES?.split(',') ?? ['all', '30d', 'month']) as ('all' | '30d' | 'month')[]) {
  QUERIES.push({ what: `${range}, team`, path: () => `/api/summary?range=${range}&tz=${TZ}`, q: () => ({ range, tz: TZ }) });
  const user = (i: number): string => userName(i % DEVELOPERS);
  QUERIES.push({ what: `${range}, user=devNN`, path: (i) => `/api/summary?range=${range}&tz=${TZ}&user=${user(i)}`, q: (i) => ({ range, tz: TZ, user: user(i) }) });
}

async function main(): Promise<void> {
  console.log(`bench:team-ab ${calls} calls each, alternating; node ${process.version}, ${os.cpus().length} cores, load ${load()}`);
  const prof = process.env.BENCH_CPU_PROF;
  const env: Record<string, string> = { CCO_DATABASE_URL: url!, ...(prof && { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${path.resolve(prof)}` }) };
  const daemons: BundleDaemon[] = [];
  try {
    // as bench:team's gateway: listening beyond loopback (per-user tokens on; none made here: the dashboard token)
    const args = ['--host', '0.0.0.0', '--upstream', 'http://127.0.0.1:9', '--no-history', '--log-level', 'warn'];
    for (const bundle of [oldBundle!, newBundle!]) daemons.push(await startBundleDaemon(path.resolve(bundle), { env, args }));
    const [oldD, newD] = daemons as [BundleDaemon, BundleDaemon];
    console.log(`  started: old in ${oldD.readyMs.toFixed(0)} ms, new in ${newD.readyMs.toFixed(0)} ms (its migrations included)`);
    // what autovacuum does after a migration's backfill: visibility maps and statistics of the rollup layers
    const admin = createPool(url!, { max: 1 });
    try {
      const t = performance.now();
      const { rows } = await admin.query<{ t: string }>("SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public' AND tablename LIKE '%rollups' ORDER BY 1");
      await admin.query(`VACUUM ANALYZE ${rows.map((r) => r.t).join(', ')}`);
      console.log(`  VACUUM ANALYZE of the ${rows.length} rollup tables: ${((performance.now() - t) / 1000).toFixed(1)} s`);
    } finally {
      await admin.end();
    }
    const tokenOf = (d: BundleDaemon): string => fs.readFileSync(path.join(d.dataDir, 'token'), 'utf8').trim();
    const api = (d: BundleDaemon) => {
      const headers = { authorization: `Bearer ${tokenOf(d)}` };
      return async (p: string): Promise<Summary> => {
        const r = await fetch(`http://127.0.0.1:${d.port}${p}`, { headers });
        if (!r.ok) throw new Error(`${p}: ${r.status} ${await r.text()}`);
        return (await r.json()) as Summary;
      };
    };
    const [oldApi, newApi] = [api(oldD), api(newD)];
    // the same answer from both builds (a summary's `to` is its call's now: compared without it)
    for (const { what, path: p } of QUERIES) {
      const [a, b] = [await oldApi(p(0)), await newApi(p(0))];
      if (!isDeepStrictEqual({ ...a, to: null }, { ...b, to: null })) console.log(`  ${what}: the two builds' answers DIFFER`);
    }
    console.log('API (/api/summary through each build\'s daemon, fetch + JSON parse, as bench:team):');
    for (const { what, path: p } of QUERIES) {
      const cpu0 = [cpuMs(oldD.child.pid!), cpuMs(newD.child.pid!)];
      const [a, b] = await alternate((i) => oldApi(p(i)), (i) => newApi(p(i)));
      const cpu = [cpuMs(oldD.child.pid!) - cpu0[0]!, cpuMs(newD.child.pid!) - cpu0[1]!].map((ms) => (ms / (calls + 1)).toFixed(1));
      line(what, a, b);
      console.log(`  ${''.padEnd(28)} daemon CPU a call: old ${cpu[0]} ms, new ${cpu[1]} ms`);
    }
    const oldSrc = process.env.BENCH_OLD_SRC;
    const newSrc = process.env.BENCH_NEW_SRC;
    if (oldSrc && newSrc) {
      type Build = (pool: ReturnType<typeof createPool>, q: PgSummaryQuery) => Promise<Summary>;
      const load_ = async (src: string): Promise<Build> => ((await import(pathToFileURL(path.resolve(src, 'daemon/store-pg/summary.ts')).href)) as { buildSummary: Build }).buildSummary;
      const [oldBuild, newBuild] = [await load_(oldSrc), await load_(newSrc)];
      const pool = createPool(url!, { max: 8 });
      try {
        console.log('IN PROCESS (buildSummary of each source tree on one pool):');
        for (const { what, q } of QUERIES) {
          const [a, b] = await alternate((i) => oldBuild(pool, q(i)), (i) => newBuild(pool, q(i)));
          line(what, a, b);
        }
      } finally {
        await pool.end();
      }
    }
  } finally {
    for (const d of daemons) await d.stop();
  }
}

type Tree = {
  migratePg: (pool: pg.Pool, version: string) => Promise<unknown>;
  insertBatch: (pool: pg.Pool, records: readonly RequestRecord[], user: string | null, months: Set<number>) => Promise<unknown>;
};

async function ingestAb(rows: number): Promise<void> {
  const oldSrc = process.env.BENCH_OLD_SRC;
  const newSrc = process.env.BENCH_NEW_SRC;
  if (!oldSrc || !newSrc) throw new Error('ingest needs BENCH_OLD_SRC and BENCH_NEW_SRC (two source trees)');
  console.log(`bench:team-ab ingest ${rows.toLocaleString('en')} rows, batches of 1,000, alternating; node ${process.version}, ${os.cpus().length} cores, load ${load()}`);
  const tree = async (src: string): Promise<Tree> => {
    const at = (f: string) => pathToFileURL(path.resolve(src, 'daemon/store-pg', f)).href;
    return { ...((await import(at('schema.ts'))) as Pick<Tree, 'migratePg'>), ...((await import(at('rows.ts'))) as Pick<Tree, 'insertBatch'>) };
  };
  const trees = [await tree(oldSrc), await tree(newSrc)] as const;
  const cluster = await startPgCluster({ settings: { fsync: 'on', full_page_writes: 'on', shared_buffers: '512MB', work_mem: '16MB', max_wal_size: '4GB' } });
  const pools: pg.Pool[] = [];
  try {
    for (const t of trees) {
      const pool = createPool(await cluster.createDatabase(), { max: 2 });
      pools.push(pool);
      await t.migratePg(pool, 'bench');
    }
    const now = Date.now();
    const devs = team();
    const records: RequestRecord[] = [];
    for (const day of daysBack(now)) {
      if (records.length >= rows) break;
      records.push(...dayOfTraffic(devs, day, now, day / 86_400_000));
    }
    records.length = Math.min(records.length, rows);
    const ms = [0, 0];
    const months = [new Set<number>(), new Set<number>()];
    for (let i = 0, b = 0; i < records.length; i += 1000, b++) {
      const batch = records.slice(i, i + 1000);
      for (const k of b % 2 === 0 ? [0, 1] : [1, 0]) {
        const t = performance.now();
        await trees[k]!.insertBatch(pools[k]!, batch, null, months[k]!);
        ms[k]! += performance.now() - t;
      }
    }
    const rate = (k: number) => `${Math.round(records.length / (ms[k]! / 1000)).toLocaleString('en')} rows/s (${(ms[k]! / 1000).toFixed(1)} s)`;
    console.log(`  insertBatch   old ${rate(0).padEnd(28)} new ${rate(1).padEnd(28)} load ${load()}`);
    for (const [k, pool] of pools.entries()) {
      const size = (await pool.query<{ s: string }>('SELECT pg_size_pretty(pg_database_size(current_database())) AS s')).rows[0]!.s;
      console.log(`  ${k === 0 ? 'old' : 'new'} database ${size}`);
    }
  } finally {
    for (const pool of pools) await pool.end();
    await cluster.destroy();
  }
}

(ingest ? ingestAb(Number(process.argv[3] ?? 200_000)) : main()).catch((err) => {
  console.error(err);
  process.exit(1);
});

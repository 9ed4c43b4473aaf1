/**
 * npm run bench:team-ship [-- N]: federated shipping throughput on a throwaway PostgreSQL cluster.
 * 1. live: N records added to a running shipper, time until all are committed (outbox → PostgreSQL);
 * 2. backlog: N records added while the database is down (they wait on disk), then a new shipper (a restart)
 *    ships the backlog when the database is back; time from the start of the database to all committed;
 * 3. re-send: the same N records shipped again (what a crash between commit and delete re-sends): skipped.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ulid } from 'ulid';
import pg from 'pg';
import { makeRecord } from '../daemon/store/test-fixtures.ts';
import { openTeamShipper, type TeamShipper } from '../daemon/team/shipper.ts';
import { startPgCluster } from '../test/pg/cluster.ts';

const N = Number(process.argv[2] ?? 20_000);
const log = () => {};

function records(n: number, tag: string) {
  const t0 = Date.now() - 3 * 86_400_000;
  return Array.from({ length: n }, (_, i) =>
    makeRecord({ id: ulid(), startedAt: t0 + i * 1000, upstreamRequestId: `req_${tag}_${i}`, messageId: `msg_${tag}_${i}`, sessionId: `s${i % 50}`, project: `/p/${i % 7}` }),
  );
}

async function rows(url: string): Promise<number> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  const { rows: r } = await c.query<{ n: string }>('SELECT count(*) AS n FROM requests');
  await c.end();
  return Number(r[0]!.n);
}

async function until(s: TeamShipper): Promise<void> {
  for (;;) {
    try {
      await s.drain();
      if (s.status().waiting === 0) return;
    } catch {
      // database not back yet
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

const cluster = await startPgCluster();
try {
  const url = await cluster.createDatabase();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cco-bench-team-'));
  // 1. live
  let s = await openTeamShipper({ url, user: 'bench', dataDir, log });
  await s.drain(); // connect + migrate outside the timing
  const live = records(N, 'live');
  let t = performance.now();
  for (const r of live) s.add(r);
  await until(s);
  const liveMs = performance.now() - t;
  console.log(`live:    ${N} records committed in ${liveMs.toFixed(0)} ms = ${Math.round(N / (liveMs / 1000))} records/s`);
  // 3. re-send of what was committed
  const shippedBefore = s.status().duplicates;
  t = performance.now();
  for (const r of live) s.add(r);
  await until(s);
  const resendMs = performance.now() - t;
  console.log(`re-send: ${s.status().duplicates - shippedBefore} duplicates skipped in ${resendMs.toFixed(0)} ms = ${Math.round(N / (resendMs / 1000))} records/s`);
  // 2. backlog across a restart while the database is down
  await cluster.stop('fast');
  const backlog = records(N, 'backlog');
  for (const r of backlog) s.add(r);
  await s.close();
  const onDisk = fs.readdirSync(path.join(dataDir, 'team-outbox', 'journal')).length;
  s = await openTeamShipper({ url, user: 'bench', dataDir, log });
  t = performance.now();
  await cluster.start();
  await until(s);
  const backlogMs = performance.now() - t;
  console.log(`backlog: ${s.status().shipped} records (in ${onDisk} segment file(s)) shipped after the database came back in ${backlogMs.toFixed(0)} ms (incl. its start) = ${Math.round(N / (backlogMs / 1000))} records/s`);
  await s.close();
  const total = await rows(url);
  console.log(`rows in PostgreSQL: ${total} (expected ${2 * N})`);
  fs.rmSync(dataDir, { recursive: true, force: true });
  if (total !== 2 * N) process.exitCode = 1;
} finally {
  await cluster.destroy();
}

/**
 * Recording on a bad disk (issue 13 items 6, 9, 10), with real daemons, real files and real signals:
 * - a journal segment that is a directory (EISDIR): the daemon starts and forwards on standby, /ready is
 *   503 and /api/status says why, and recording starts by itself once the folder is fixed;
 * - a disk that fills up while the daemon runs (a real size-limited tmpfs): nothing completed is lost
 *   across the full disk, the space returning and a kill -9;
 * - a disk that is full when the daemon starts: it forwards, says so on stdout, and records once space returns.
 * The tmpfs cases need root (CI runs as root) and are skipped with the reason elsewhere.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDaemon } from './index.ts';
import { silentLogger } from './log.ts';
import { spawnFakeUpstream } from '../test/fake-upstream/process.ts';
import { allRecords, compareWithCompleted, killAllDaemons, runDaemon, tokenOf, waitForUrl, until } from '../test/daemon-process.ts';
import { mountSmallFs, type SmallFs } from '../test/small-fs.ts';
import { getReady, getStatus } from '../test/daemon-http.ts';
import type { Summary } from '../shared/contract.ts';

type Fake = Awaited<ReturnType<typeof spawnFakeUpstream>>;
let fake: Fake;
const dirs: string[] = [];
const mounts: SmallFs[] = [];

function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'cco-safety-'));
  dirs.push(d);
  return d;
}

function smallFs(size: number): SmallFs | string {
  const m = mountSmallFs(size);
  if (typeof m !== 'string') mounts.push(m);
  return m;
}


function sender(url: string) {
  const anthropic = new Anthropic({ apiKey: 'sk-ant-safety', baseURL: url, maxRetries: 0 });
  const completed: string[] = [];
  return {
    completed,
    async send(n: number) {
      for (let i = 0; i < n; i++) {
        const stream = i % 2 === 0;
        const body = { model: 'claude-haiku-4-5', max_tokens: 32, messages: [{ role: 'user' as const, content: `safety ${completed.length}` }] };
        completed.push(stream ? (await anthropic.messages.stream(body).finalMessage()).id : (await anthropic.messages.create(body)).id);
      }
    },
  };
}

beforeAll(async () => {
  fake = await spawnFakeUpstream({ seed: 6 });
});

afterAll(async () => {
  killAllDaemons();
  await fake?.close();
  for (const m of mounts) m.unmount();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

describe('a store that cannot be opened (standby)', () => {
  it('a journal segment that is a directory: forwards, /ready 503, /api/status explains, records once fixed', async () => {
    const dataDir = tmp();
    const bad = path.join(dataDir, 'journal', 'journal-7.ndjson');
    fs.mkdirSync(bad, { recursive: true });
    const d = await startDaemon({ port: 0, upstreamUrl: fake.url, dataDir, log: silentLogger, apiKey: '', pidDir: false, rateLimit: false, storeRetryMs: 200 });
    try {
      expect(d.storeStandby).toMatch(/EISDIR/);
      const s = sender(d.url);
      await s.send(3); // forwarded
      const r = await getReady(d.url);
      expect(r.status).toBe(503);
      expect(r.body).toMatchObject({ ready: false, reason: expect.stringMatching(/not recording.*EISDIR/) });
      const st = await getStatus(d.url, d.token);
      expect(st.status).toBe('error');
      expect(st.problems[0]).toMatchObject({ code: 'store-standby', severity: 'error' });
      expect(st.message).toMatch(/Not recording: the request store cannot be opened .*EISDIR/);
      expect(st.store).toMatchObject({ kind: 'standby', ready: false, journal: { writable: false, pendingRecords: 3 } });
      const summary = await fetch(`${d.url}/api/summary?range=all`, { headers: { authorization: `Bearer ${d.token}` } });
      expect(summary.status).toBe(503);
      expect((await fetch(`${d.url}/api/export.csv?range=all`, { headers: { authorization: `Bearer ${d.token}` } })).status).toBe(503);
      expect(d.store.exportPage).toBeUndefined();
      expect(d.store.summaryJson).toBeUndefined();

      fs.rmdirSync(bad);
      await until('recording', async () => (await getReady(d.url)).status === 200);
      await s.send(2);
      await d.store.flush();
      const { missing, doubled } = compareWithCompleted(s.completed, await allRecords(d.store));
      expect(missing).toEqual([]); // the 3 held in memory were stored when the store opened
      expect(doubled).toEqual([]);
      // Exports are encoded by the real store again (in its worker), not on the HTTP thread.
      expect(d.store.exportPage).toBeTypeOf('function');
      // So are JSON summaries: the same bytes as the summary, handed over by the worker.
      expect(d.store.summaryJson).toBeTypeOf('function');
      const sum = await fetch(`${d.url}/api/summary?range=all`, { headers: { authorization: `Bearer ${d.token}` } });
      expect(sum.status).toBe(200);
      const body = (await sum.json()) as Summary;
      expect(body.totals).toEqual((await d.store.summary({ range: 'all', tz: body.tz })).totals);
      expect(body.totals.requests).toBe(5);
      const csv = await (await fetch(`${d.url}/api/export.csv?range=all`, { headers: { authorization: `Bearer ${d.token}` } })).text();
      expect(csv.trim().split('\n')).toHaveLength(1 + 5);
      expect((await getStatus(d.url, d.token)).status).toBe('ok');
    } finally {
      await d.close();
    }
  }, 60_000);
});

describe('a full disk (real size-limited tmpfs)', () => {
  it('while running: records written when space returns, none glued or lost across a kill -9', async (ctx) => {
    const m = smallFs(24 * 1024 * 1024);
    if (typeof m === 'string') return ctx.skip(m);
    const dataDir = path.join(m.dir, 'data');
    const p = runDaemon(['--port', '0', '--upstream', fake.url, '--data-dir', dataDir]);
    const url = await waitForUrl(p);
    const token = tokenOf(p);
    const s = sender(url);
    await s.send(10);
    m.fill();
    await s.send(15); // forwarded; their journal writes fail part-way
    const st = await getStatus(url, token);
    expect(st.problems.map((x) => x.code)).toContain('journal-unwritable');
    expect(st.store.journal.pendingRecords).toBeGreaterThan(0);
    expect(st.store.diskErrors).toBeGreaterThan(0);
    expect((await getReady(url)).status).toBe(503);
    m.free();
    await until('journal writable', async () => (await getReady(url)).status === 200);
    await s.send(10);
    expect((await getStatus(url, token)).store.journal.pendingRecords).toBe(0);
    p.child.kill('SIGKILL');
    await p.exited;

    const d = await startDaemon({ port: 0, upstreamUrl: fake.url, dataDir, log: silentLogger, apiKey: '', pidDir: false });
    try {
      const { missing, doubled } = compareWithCompleted(s.completed, await allRecords(d.store));
      expect(s.completed).toHaveLength(35);
      expect(missing).toEqual([]);
      expect(doubled).toEqual([]);
    } finally {
      await d.close();
    }
  }, 120_000);

  it('at start: forwards without recording, says so on stdout, records once space returns', async (ctx) => {
    const m = smallFs(8 * 1024 * 1024);
    if (typeof m === 'string') return ctx.skip(m);
    const dataDir = path.join(m.dir, 'data');
    fs.mkdirSync(dataDir, { mode: 0o700 });
    m.fill();
    const p = runDaemon(['--port', '0', '--upstream', fake.url, '--data-dir', dataDir]);
    const url = await waitForUrl(p);
    expect(p.stdout()).toMatch(/Recording: NOT POSSIBLE: the request store cannot be opened \(.*ENOSPC/);
    const token = tokenOf(p);
    const s = sender(url);
    await s.send(3);
    expect((await getReady(url)).status).toBe(503);
    expect((await getStatus(url, token)).problems[0]?.code).toBe('store-standby');
    m.free();
    await until('recording', async () => (await getReady(url)).status === 200, 40_000);
    await s.send(2);
    p.child.kill('SIGTERM');
    expect(await p.exited).toBe(0);

    const d = await startDaemon({ port: 0, upstreamUrl: fake.url, dataDir, log: silentLogger, apiKey: '', pidDir: false });
    try {
      const { missing, doubled } = compareWithCompleted(s.completed, await allRecords(d.store));
      expect(missing).toEqual([]);
      expect(doubled).toEqual([]);
    } finally {
      await d.close();
    }
  }, 120_000);
});

/**
 * Fault injection on the real daemon (issue 13): `cco run` processes on one data folder, clients streaming
 * through them to the fake upstream, killed with SIGKILL at seeded random points — under load, during
 * start-up (replaying the previous round's journal), and after SIGTERM (grace period, final snapshot).
 * Then every response a client received in full is stored exactly once.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import { makeRng } from '../test/fake-upstream/rng.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readDataLock } from './data-lock.ts';
import { startDaemon } from './index.ts';
import { silentLogger } from './log.ts';
import { spawnFakeUpstream } from '../test/fake-upstream/process.ts';
import { allRecords, compareWithCompleted, killAllDaemons, runDaemon, type DaemonProc } from '../test/daemon-process.ts';

type Fake = Awaited<ReturnType<typeof spawnFakeUpstream>>;
let fake: Fake;
const dirs: string[] = [];
const SEED = 1717;
type Phase = 'load' | 'startup' | 'shutdown';
const PLAN: Phase[] = ['load', 'shutdown', 'startup', 'load', 'shutdown'];


const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.round(ms)));

beforeAll(async () => {
  fake = await spawnFakeUpstream({ seed: 17 });
});

afterAll(async () => {
  killAllDaemons();
  await fake?.close();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

/** Clients sending until the daemon goes away; `completed` holds the message ids received in full. */
function load(url: string, completed: string[]): { stop: () => void; done: Promise<void> } {
  const anthropic = new Anthropic({ apiKey: 'sk-ant-fault', baseURL: url, maxRetries: 0 });
  let stop = false;
  const client = async (n: number) => {
    for (let i = 0; !stop; i++) {
      const body = { model: 'claude-haiku-4-5', max_tokens: 64, messages: [{ role: 'user' as const, content: `fault ${n}.${i}` }] };
      try {
        completed.push(i % 2 ? (await anthropic.messages.create(body)).id : (await anthropic.messages.stream(body).finalMessage()).id);
      } catch {
        return; // the daemon is gone or refusing
      }
    }
  };
  const done = Promise.all(Array.from({ length: 6 }, (_, n) => client(n))).then(() => undefined);
  return { stop: () => (stop = true), done };
}

async function urlOf(p: DaemonProc): Promise<string | null> {
  for (;;) {
    const m = /listening on (http:\/\/\S+)/.exec(p.stdout());
    if (m) return m[1]!;
    if (p.child.exitCode !== null || p.child.signalCode !== null) return null;
    await sleep(20);
  }
}

describe('fault injection on the daemon process', () => {
  it(`${PLAN.length} seeded rounds (load, start-up, shutdown): every completed response stored exactly once`, async () => {
    const r = makeRng(SEED);
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cco-fault-daemon-'));
    dirs.push(dataDir);
    const completed: string[] = [];
    const log: string[] = [];
    for (const phase of PLAN) {
      const t0 = performance.now();
      const p = runDaemon(['--port', '0', '--upstream', fake.url, '--data-dir', dataDir]);
      if (phase === 'startup') {
        // Inside the store's start: the daemon takes the data folder's lock just before it opens the store
        // (snapshot load, journal replay, start-up snapshot), then listens.
        while (!readDataLock(dataDir)?.alive || readDataLock(dataDir)?.holder.pid !== p.pid) {
          if (p.child.exitCode !== null) break;
          await sleep(5);
        }
        await sleep(r() * 400);
        p.child.kill('SIGKILL');
        await p.exited;
        log.push(`startup: killed ${Math.round(performance.now() - t0)} ms after spawn (${p.stdout().includes('listening') ? 'already listening' : 'store opening'})`);
        continue;
      }
      const url = await urlOf(p);
      expect(url, p.stderr()).not.toBeNull();
      const before = completed.length;
      const l = load(url!, completed);
      while (completed.length < before + 20) await sleep(10);
      if (phase === 'load') {
        await sleep(r() * 1000);
        p.child.kill('SIGKILL');
      } else {
        await sleep(r() * 500);
        p.child.kill('SIGTERM');
        await sleep(r() * 700); // the grace period (in-flight requests), then the store's close and final snapshot
        p.child.kill('SIGKILL');
      }
      l.stop();
      await l.done;
      const code = await p.exited;
      log.push(`${phase}: ${completed.length - before} completed, ${code === null ? 'killed' : `exited ${code} before the kill`}`);
    }

    const d = await startDaemon({ port: 0, upstreamUrl: fake.url, dataDir, log: silentLogger, apiKey: '', pidDir: false });
    try {
      const { missing, doubled } = compareWithCompleted(completed, await allRecords(d.store));
      expect({ missing, doubled }, log.join('\n')).toEqual({ missing: [], doubled: [] });
      expect(completed.length).toBeGreaterThanOrEqual(80);
      console.log(`daemon fault injection: ${PLAN.length} rounds, ${completed.length} completed responses, 0 lost, 0 doubled\n${log.join('\n')}`);
    } finally {
      await d.close();
    }
  }, 150_000);
});

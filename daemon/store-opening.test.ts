/**
 * The daemon listens and forwards before its store is open (issue 14: a first start after an upgrade migrates,
 * 18.7 s at 1 M rows, and Claude Code got "connection refused" meanwhile). Real daemons on real ports, the fake
 * upstream, real files and real signals. The open is held back by a real slow file: a journal segment that is
 * a named pipe (FIFO), whose replay blocks until the test writes the segment's lines into it — a disk that
 * answers when the test says so. Meanwhile: requests are forwarded byte for byte, each record is in the held
 * file before its response ends, /ready and queries answer 503, /api/status explains; once the open ends every
 * record (stored before, replayed, held) is stored exactly once. kill -9 during the open loses and doubles nothing.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RequestRecord } from '../shared/contract.ts';
import { startDaemon } from './index.ts';
import { silentLogger } from './log.ts';
import { heldDir, listHeldFiles } from './store/standby.ts';
import { makeRecord, releaseFifo, storeOpeningOnFifo } from './store/test-fixtures.ts';
import { startFakeUpstream, type FakeUpstream } from '../test/fake-upstream/server.ts';
import { allRecords, killAllDaemons, runDaemon, tokenOf, until, waitForUrl } from '../test/daemon-process.ts';
import { getReady, getStatus } from '../test/daemon-http.ts';

let up: FakeUpstream;
const dirs: string[] = [];
const canFifo = process.platform !== 'win32';

beforeAll(async () => {
  up = await startFakeUpstream({ seed: 14 });
});

afterAll(async () => {
  killAllDaemons();
  await up?.close();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'cco-opening-'));
  dirs.push(d);
  return d;
}

const BODY = (i: number, stream: boolean) =>
  // spaces and key order a re-serialising proxy would not keep: the upstream must receive these exact bytes
  `{"model":"claude-sonnet-4-5",  "max_tokens":64,"stream":${stream},"messages":[{"role":"user","content":"opening ${i}"}]}`;

/**
 * Sends `n` requests through the daemon (JSON and SSE alternately); checks that the upstream received each body
 * byte for byte and that each record's line is in a held file when its response has ended. Returns the message
 * ids the client received.
 */
async function send(url: string, n: number, dataDir: string | null, from = 0): Promise<string[]> {
  const ids: string[] = [];
  for (let i = from; i < from + n; i++) {
    const stream = i % 2 === 1;
    const body = BODY(i, stream);
    const before = up.requests().length;
    const res = await fetch(`${url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': 'sk-ant-opening', 'anthropic-version': '2023-06-01' },
      body,
    });
    expect(res.status).toBe(200);
    const text = await res.text();
    const id = stream ? /"id":"(msg_[^"]+)"/.exec(text)?.[1] : (JSON.parse(text) as { id: string }).id;
    expect(id).toBeTruthy();
    ids.push(id!);
    const got = up.requests().slice(before).find((r) => r.url.startsWith('/v1/messages'));
    expect(got?.bodySha256).toBe(createHash('sha256').update(body).digest('hex'));
    if (dataDir) {
      // the response has ended: its record is in the held file already (written before the end, as the journal is)
      const held = listHeldFiles(dataDir).map((f) => fs.readFileSync(f, 'utf8')).join('');
      expect(held).toContain(`"messageId":"${id}"`);
    }
  }
  return ids;
}

/** Every stored record, checked: no id twice, each of `ids` once, and one record per message id of `messageIds`. */
function expectExactly(records: RequestRecord[], ids: string[], messageIds: string[]): void {
  const seen = new Map<string, number>();
  for (const r of records) seen.set(r.id, (seen.get(r.id) ?? 0) + 1);
  expect([...seen.values()].filter((c) => c > 1)).toEqual([]);
  for (const id of ids) expect(seen.get(id), id).toBe(1);
  for (const m of messageIds) expect(records.filter((r) => r.messageId === m), m).toHaveLength(1);
}

describe.runIf(canFifo)('the store opens behind the proxy', () => {
  it('forwards during a slow open, holds each record on disk, 503 until open, then stores every record once', async () => {
    const dataDir = tmp();
    const stored = Array.from({ length: 50 }, (_, i) => makeRecord({ startedAt: Date.now() - 86_400_000 + i * 1000 }));
    const journaled = Array.from({ length: 20 }, (_, i) => makeRecord({ startedAt: Date.now() - 3_600_000 + i * 1000 }));
    const fifo = await storeOpeningOnFifo(dataDir, stored);

    let released = false;
    const d = await startDaemon({ port: 0, upstreamUrl: up.url, dataDir, log: silentLogger, apiKey: '', pidDir: false, rateLimit: false, storeOpenWaitMs: 0 });
    try {
      expect(d.storeOpening).toBe(true);
      const during = await send(d.url, 6, dataDir);
      expect(listHeldFiles(dataDir)).toHaveLength(1);

      // the worker reaches the replay (and waits on the FIFO) in its own time
      const r = await until('the replay', async () => {
        const x = await getReady(d.url);
        return x.body.reason?.includes('replaying') ? x : null;
      });
      expect(r.status).toBe(503);
      expect(r.body.reason).toMatch(/the request store is opening \(replaying the journal \(1 segment\)\)/);
      const st = await getStatus(d.url, d.token);
      expect(st.status).toBe('warning');
      expect(st.problems[0]).toMatchObject({ code: 'store-opening', severity: 'warning' });
      expect(st.message).toContain(`6 record(s) held on disk in ${listHeldFiles(dataDir)[0]}`);
      const q = await fetch(`${d.url}/api/summary?range=all`, { headers: { authorization: `Bearer ${d.token}` } });
      expect(q.status).toBe(503);
      expect(await q.text()).toMatch(/opening/);
      expect((await fetch(`${d.url}/api/requests?limit=5`, { headers: { authorization: `Bearer ${d.token}` } })).status).toBe(503);

      released = true;
      await releaseFifo(fifo, journaled);
      await until('the store open', async () => (await getReady(d.url)).status === 200, 30_000);
      const after = await send(d.url, 2, null, 6);
      await d.store.flush();
      const records = await allRecords(d.store);
      expect(records).toHaveLength(stored.length + journaled.length + during.length + after.length);
      expectExactly(records, [...stored, ...journaled].map((r) => r.id), [...during, ...after]);
      expect(listHeldFiles(dataDir)).toEqual([]);
      const ok = await getStatus(d.url, d.token);
      expect(ok.status).toBe('ok');
      const summary = await fetch(`${d.url}/api/summary?range=all`, { headers: { authorization: `Bearer ${d.token}` } });
      expect(summary.status).toBe(200);
      expect(((await summary.json()) as { totals: { requests: number } }).totals.requests).toBe(records.length);
    } finally {
      if (!released) void releaseFifo(fifo, []); // close() waits for the open
      await d.close();
    }
  }, 60_000);

  it('kill -9 during the open, twice, then a normal start: no record lost or doubled', async () => {
    const dataDir = tmp();
    const stored = Array.from({ length: 30 }, (_, i) => makeRecord({ startedAt: Date.now() - 86_400_000 + i * 1000 }));
    const journaled = Array.from({ length: 10 }, (_, i) => makeRecord({ startedAt: Date.now() - 3_600_000 + i * 1000 }));
    const fifo = await storeOpeningOnFifo(dataDir, stored);

    const ids: string[] = [];
    for (const round of [0, 1]) {
      // `cco run`: it says it listens while the store still opens (the replay waits on the FIFO)
      const p = runDaemon(['--port', '0', '--upstream', up.url, '--data-dir', dataDir]);
      const url = await waitForUrl(p);
      expect(p.stdout()).toMatch(/the request store is still opening/);
      ids.push(...(await send(url, 5, dataDir, round * 5)));
      const st = await getStatus(url, tokenOf(p));
      expect(st.problems[0]?.code).toBe('store-opening');
      p.child.kill('SIGKILL');
      await p.exited;
      expect(listHeldFiles(dataDir)).toHaveLength(round + 1);
    }
    // the disk answers at last: the segment is an ordinary file again
    fs.rmSync(fifo);
    fs.writeFileSync(fifo, journaled.map((r) => `${JSON.stringify(r)}\n`).join(''));

    const d = await startDaemon({ port: 0, upstreamUrl: up.url, dataDir, log: silentLogger, apiKey: '', pidDir: false, rateLimit: false });
    try {
      expect(d.storeOpening).toBe(false);
      expect((await getReady(d.url)).status).toBe(200);
      const records = await allRecords(d.store);
      expect(records).toHaveLength(stored.length + journaled.length + ids.length);
      expectExactly(records, [...stored, ...journaled].map((r) => r.id), ids);
      expect(fs.readdirSync(heldDir(dataDir))).toEqual([]);
    } finally {
      await d.close();
    }
  }, 120_000);
});

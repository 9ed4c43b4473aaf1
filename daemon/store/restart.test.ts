import { afterEach, describe, expect, it } from 'vitest';
import type { RequestRecord } from '../../shared/contract.ts';
import { crashStoreWorkerForTest, openStore, type Store } from './index.ts';
import { makeRecord, memoryLog, storedIdCounts, tempDir } from './test-fixtures.ts';
import { WorkerClient } from './worker-client.ts';

const opened: Store[] = [];
afterEach(async () => {
  await Promise.allSettled(opened.splice(0).map((s) => s.close()));
});

const BASE = Date.UTC(2026, 0, 1);

async function expectExactlyOnce(store: Store, records: RequestRecord[]): Promise<void> {
  const seen = await storedIdCounts(store);
  expect(records.filter((r) => seen.get(r.id) !== 1).map((r) => r.id)).toEqual([]);
  expect(seen.size).toBe(records.length);
  // Rollups counted each record once, replays included.
  const sum = await store.summary({ range: 'all', tz: 'UTC', now: Date.UTC(2027, 0, 1) });
  expect(sum.totals.requests).toBe(records.length);
  expect(sum.totals.costNanoUsd).toBe(records.length * 1_000_000);
}

describe('store worker crash', () => {
  for (const how of ['exit', 'throw'] as const) {
    it(`restarts the worker (${how}); adds before, during and after are stored exactly once`, async () => {
      const dataDir = tempDir();
      const { log, lines } = memoryLog();
      const store = await openStore({ dataDir, retentionDays: 36_500, log });
      opened.push(store);
      const records: RequestRecord[] = [];
      const add = (n: number): void => {
        for (let i = 0; i < n; i++) {
          const r = makeRecord({ startedAt: BASE + records.length * 1000 });
          records.push(r);
          store.add(r);
        }
      };
      add(1500);
      await store.flush();
      await store.snapshot(); // part of the data comes from the snapshot, part from the journal
      add(700);
      await new Promise((res) => setImmediate(res)); // posted to the worker, not yet applied (20 ms batches) when it dies
      crashStoreWorkerForTest(store, how);
      add(300); // while the worker is dying / down
      const during = store.getRequest(records[10]?.id ?? ''); // waits for the new worker
      await new Promise((res) => setTimeout(res, 50));
      add(300);
      expect(await during).toEqual(records[10]);
      add(200); // after the restart
      await store.flush();
      await expectExactlyOnce(store, records);
      const st = await store.stats();
      expect(st.workerRestarts).toBe(1);
      expect(st.droppedWrites).toBe(0);
      expect(lines.some((l) => l.level === 'error' && /store worker exited .*restarting it in \d+ ms/.test(l.msg))).toBe(true);
      expect(lines.some((l) => /worker restarted/.test(l.msg))).toBe(true);

      // And the restarted worker's state survives close + reopen.
      await store.close();
      const again = await openStore({ dataDir, retentionDays: 36_500, log: () => undefined });
      opened.push(again);
      await expectExactlyOnce(again, records);
    }, 30_000);
  }

  it('snapshots keep working after a restart, and a snapshot cut by the crash is redone', async () => {
    const dataDir = tempDir();
    const store = await openStore({ dataDir, retentionDays: 36_500, log: () => undefined });
    opened.push(store);
    const records = Array.from({ length: 2000 }, (_, i) => makeRecord({ startedAt: BASE + i * 1000 }));
    for (const r of records) store.add(r);
    const snap = store.snapshot();
    crashStoreWorkerForTest(store);
    await snap; // re-sent to the new worker
    await store.snapshot();
    await store.close();
    const again = await openStore({ dataDir, retentionDays: 36_500, log: () => undefined });
    opened.push(again);
    await expectExactlyOnce(again, records);
  }, 30_000);
});

describe('WorkerClient restart backoff', () => {
  it('doubles the delay per consecutive crash and keeps answering calls', async () => {
    const dataDir = tempDir();
    const { log, lines } = memoryLog();
    const client = new WorkerClient({ log, restartBaseMs: 40, restartMaxMs: 100 });
    try {
      await client.start({ dataDir });
      for (let i = 0; i < 4; i++) {
        client.crashForTest('exit');
        // Waits for the restarted worker: the call is queued while the worker is down.
        expect((await client.call('stats', {})).requests).toBe(0);
      }
      const delays = lines.map((l) => /restarting it in (\d+) ms/.exec(l.msg)?.[1]).filter((d) => d !== undefined).map(Number);
      expect(delays).toEqual([40, 80, 100, 100]);
      expect(client.restarts).toBe(4);
      expect(client.alive).toBe(true);
    } finally {
      await client.terminate();
    }
    expect(client.alive).toBe(false);
    await expect(client.call('stats', {})).rejects.toThrow('store closed');
  }, 30_000);

  it('a failing first start rejects and closes', async () => {
    const client = new WorkerClient({ log: () => undefined });
    await expect(client.start({ dataDir: '\0not a dir' })).rejects.toThrow();
    expect(client.alive).toBe(false);
  });
});

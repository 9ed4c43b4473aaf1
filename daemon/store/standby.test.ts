/**
 * BackgroundStore (standby.ts) over the real store, its open held back by the test (the `open` it is given
 * waits for a gate): held records, summaries asked while it opens, a held file stored twice, no held file.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStore, type Store } from './index.ts';
import { BackgroundStore, heldDir, listHeldFiles, openStoreInBackground, StoreUnavailableError } from './standby.ts';
import { makeRecord, memoryLog, tempDir } from './test-fixtures.ts';
import type { RequestRecord } from '../../shared/contract.ts';

/** A BackgroundStore whose open waits until `go()`. */
function gated(dataDir: string, heldIn: string | null = dataDir): { store: BackgroundStore; go: () => void; lines: { level: string; msg: string }[] } {
  let go!: () => void;
  const gate = new Promise<void>((r) => (go = r));
  const { log, lines } = memoryLog();
  const store = openStoreInBackground({
    open: async () => {
      await gate;
      return openStore({ dataDir, log: () => undefined });
    },
    dataDir: heldIn,
    log,
  });
  return { store, go, lines };
}

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

async function until(f: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !f(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(f()).toBe(true);
}

async function count(store: Store): Promise<number> {
  return (await store.stats()).requests;
}

describe('BackgroundStore', () => {
  it('holds records in a held file while it opens (written before whenWritten), 503s queries, then stores them once', async () => {
    const dataDir = tempDir();
    const { store, go } = gated(dataDir);
    const held = [makeRecord(), makeRecord(), makeRecord()];
    for (const r of held) {
      expect(store.add(r)).toBe(JSON.stringify(r));
      const written = new Promise<void>((resolve) => store.whenWritten(resolve));
      await written;
      // in the file when the caller may end its response
      expect(fs.readFileSync(listHeldFiles(dataDir)[0]!, 'utf8')).toContain(r.id);
    }
    await expect(store.listRequests({ limit: 5 })).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(store.summary({ range: 'all', tz: 'UTC' })).rejects.toThrow(/it is opening/);
    expect(store.health()).toMatchObject({ kind: 'sqlite', opening: { step: 'starting' }, held: { records: 3, inMemory: 0, file: listHeldFiles(dataDir)[0] } });
    go();
    await store.whenOpen();
    expect(store.state).toBe('open');
    expect(await count(store)).toBe(3);
    expect(listHeldFiles(dataDir)).toEqual([]);
    expect(store.health().opening).toBeUndefined();
    await store.close();
  }, 60_000);

  it('answers a summary asked while it opens without the records held meanwhile (budgets count those themselves)', async () => {
    const dataDir = tempDir();
    const first = await openStore({ dataDir, log: () => undefined });
    await first.addBulk([makeRecord({ startedAt: Date.now() - 60_000 }), makeRecord({ startedAt: Date.now() - 60_000 })]);
    await first.close();
    const { store, go } = gated(dataDir);
    const asked = store.summaryAtOpen({ range: 'all', tz: 'UTC' });
    for (let i = 0; i < 4; i++) store.add(makeRecord({ startedAt: Date.now() - 1000 }));
    await turn();
    go();
    expect((await asked).totals.requests).toBe(2);
    await store.whenOpen();
    expect((await store.summary({ range: 'all', tz: 'UTC' })).totals.requests).toBe(6);
    await store.close();
  }, 60_000);

  it('a held file stored again (a kill -9 after it was stored, before it was deleted) stores nothing twice', async () => {
    const dataDir = tempDir();
    const a = gated(dataDir);
    const records: RequestRecord[] = Array.from({ length: 7 }, () => makeRecord());
    for (const r of records) a.store.add(r);
    await a.store.flush();
    const [file] = listHeldFiles(dataDir);
    const copy = fs.readFileSync(file!);
    // closed while opening (close waits for the open, then closes it): the held file stays for the next start
    const closing = a.store.close();
    a.go();
    await closing;
    expect(listHeldFiles(dataDir)).toEqual([file]);
    expect(a.lines.some((l) => l.msg.includes('7 record(s) held in'))).toBe(true);
    const b = gated(dataDir);
    b.go();
    await b.store.whenOpen();
    expect(await count(b.store)).toBe(7);
    await b.store.close();
    // the same file back, as if the process had died between storing it and deleting it
    fs.writeFileSync(file!, copy);
    const c = gated(dataDir);
    c.go();
    await c.store.whenOpen();
    expect(await count(c.store)).toBe(7);
    expect(listHeldFiles(dataDir)).toEqual([]);
    await c.store.close();
  }, 60_000);

  it('holds records in memory when no held file can be created, and says so', async () => {
    const dataDir = tempDir();
    fs.writeFileSync(heldDir(dataDir), 'a file where the folder would go');
    const { store, go, lines } = gated(dataDir);
    for (let i = 0; i < 2; i++) store.add(makeRecord());
    let ended = false;
    store.whenWritten(() => (ended = true));
    expect(ended).toBe(true); // never hold a response on a disk that is not there
    expect(store.health()).toMatchObject({ held: { records: 2, inMemory: 2, file: null }, diskErrors: 1 });
    expect(lines.some((l) => l.level === 'error' && l.msg.includes(`cannot create ${path.join(heldDir(dataDir), 'held-')}`))).toBe(true);
    go();
    await until(() => store.state === 'open');
    expect(await count(store)).toBe(2);
    await store.close();
  }, 60_000);

  it('a summary asked while the held records are being stored holds every one of them (budgets book none: heldRecords is [])', async () => {
    const dataDir = tempDir();
    let letStore!: () => void;
    const storing = new Promise<void>((r) => (letStore = r));
    const store = openStoreInBackground({
      open: async () => {
        const real = await openStore({ dataDir, log: () => undefined });
        const addBulk = real.addBulk.bind(real);
        real.addBulk = async (records) => {
          await storing; // the held records are being stored: slow
          return addBulk(records);
        };
        return real;
      },
      dataDir,
      log: memoryLog().log,
    });
    const held = [makeRecord({ costNanoUsd: 3_000 }), makeRecord({ costNanoUsd: 4_000 })];
    for (const r of held) store.add(r);
    await until(() => store.state === 'storing-held');
    const live = makeRecord({ costNanoUsd: 5_000 }); // after the summary: not in it
    const summary = store.summaryAtOpen({ range: 'all', tz: 'UTC' });
    expect(await store.heldRecords()).toEqual([]);
    store.add(live);
    expect((await summary).totals.costNanoUsd).toBe(7_000); // before: 0 (the held records were still in addBulk)
    letStore();
    await until(() => store.state === 'open');
    await store.flush();
    expect(await count(store)).toBe(3); // each once
    expect((await store.summary({ range: 'all', tz: 'UTC' })).totals.costNanoUsd).toBe(12_000);
    expect(listHeldFiles(dataDir)).toEqual([]);
    await store.close();
  }, 60_000);

  it('storing the held records fails once open (e.g. ENOSPC): kept, reported as waiting, stored by the retry', async () => {
    const dataDir = tempDir();
    fs.writeFileSync(heldDir(dataDir), 'no held file: the records are in memory only');
    let failures = 1;
    const { log } = memoryLog();
    const store = openStoreInBackground({
      open: async () => {
        const real = await openStore({ dataDir, log: () => undefined });
        const addBulk = real.addBulk.bind(real);
        real.addBulk = (records) => (failures-- > 0 ? Promise.reject(new Error('ENOSPC: no space left on device')) : addBulk(records));
        return real;
      },
      dataDir,
      log,
      retryMs: 50,
    });
    const records = [makeRecord(), makeRecord()];
    for (const r of records) store.add(r);
    await until(() => store.state === 'open');
    // the first store failed: the records wait (not lost), and health says so until the retry stored them
    await until(() => store.health().journalWritable);
    expect(await count(store)).toBe(2);
    expect(store.health().pendingRecords).toBe(0);
    await store.close();
  }, 60_000);

  it('a failed open is standby: whenOpen and summaryAtOpen reject, records still held, stored once it opens', async () => {
    const dataDir = tempDir();
    let fail = true;
    const { log } = memoryLog();
    const store = openStoreInBackground({
      open: async () => {
        if (fail) throw new Error('EISDIR: illegal operation on a directory');
        return openStore({ dataDir, log: () => undefined });
      },
      dataDir,
      log,
      retryMs: 50,
    });
    await until(() => store.state === 'standby');
    await expect(store.whenOpen()).rejects.toThrow(/EISDIR/);
    await expect(store.summaryAtOpen({ range: 'all', tz: 'UTC' })).rejects.toThrow(/EISDIR/);
    store.add(makeRecord());
    expect(store.health()).toMatchObject({ kind: 'standby', standby: { reason: 'EISDIR: illegal operation on a directory' }, opening: null, held: { records: 1 } });
    fail = false;
    await until(() => store.state === 'open');
    expect(await count(store)).toBe(1);
    await store.close();
  }, 60_000);
});

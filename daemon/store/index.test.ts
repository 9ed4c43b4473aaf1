import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DIRECT_SNAPSHOT_MIN_ROWS, openStore, type Store, type StoreOptions } from './index.ts';
import { listSegments, segmentPath } from './segments.ts';
import { makeRecord, memoryLog, tempDir } from './test-fixtures.ts';
import type { RequestRecord } from '../../shared/contract.ts';

const DAY = 86_400_000;
const opened: Store[] = [];

async function open(opts: Partial<StoreOptions> & { dataDir: string }): Promise<Store> {
  const s = await openStore({ log: () => undefined, retentionDays: 36_500, ...opts });
  opened.push(s);
  return s;
}

afterEach(async () => {
  await Promise.allSettled(opened.splice(0).map((s) => s.close()));
});

const mode = (p: string): number => fs.statSync(p).mode & 0o777;

describe('store', () => {
  it('adds, flushes and reads back records', async () => {
    const dataDir = path.join(tempDir(), 'data');
    const s = await open({ dataDir });
    const a = makeRecord({ costNanoUsd: 5_000_000_000_123, startedAt: Date.UTC(2026, 0, 1, 10) });
    const b = makeRecord({ costNanoUsd: null, unpricedReason: 'unknown model', model: 'claude-new', sessionId: null });
    expect(JSON.parse(s.add(a)!)).toEqual(a); // the journal line, returned for the live feed
    s.add(b);
    await s.flush();
    expect(await s.getRequest(a.id)).toEqual(a);
    expect(await s.getRequest(b.id)).toEqual(b);
    expect(await s.getRequest('nope')).toBeNull();
    const st = await s.stats();
    expect(st.requests).toBe(2);
    expect(st.droppedWrites).toBe(0);
    expect(st.journalBytes).toBeGreaterThan(0);
    expect(mode(dataDir)).toBe(0o700);
    expect(mode(path.join(dataDir, 'journal'))).toBe(0o700);
    for (const seq of listSegments(dataDir)) expect(mode(segmentPath(dataDir, seq))).toBe(0o600);
    await s.snapshot();
    expect(mode(path.join(dataDir, 'cco.sqlite'))).toBe(0o600);
  });

  it('an empty store is not written at start (nothing to keep); its first snapshot and a restart are as before', async () => {
    const dataDir = tempDir();
    const snapshotFile = path.join(dataDir, 'cco.sqlite');
    const s = await openStore({ dataDir, log: () => undefined, retentionDays: 36_500 });
    expect(fs.existsSync(snapshotFile)).toBe(false);
    expect((await s.stats()).lastSnapshotAt).toBeNull();
    await s.close(); // the final snapshot writes it
    expect(mode(snapshotFile)).toBe(0o600);
    // as if that start had been killed instead: no cco.sqlite, its empty journal segment left behind
    fs.rmSync(snapshotFile);
    fs.writeFileSync(segmentPath(dataDir, 5), '', { mode: 0o600 });
    const again = await open({ dataDir });
    expect(fs.existsSync(snapshotFile)).toBe(false);
    expect(listSegments(dataDir)).toEqual([6]);
    const r = makeRecord({ startedAt: Date.UTC(2026, 0, 1, 10) });
    again.add(r);
    await again.flush();
    await again.snapshot();
    expect(fs.existsSync(snapshotFile)).toBe(true);
    await again.close();
    const third = await open({ dataDir });
    expect(await third.getRequest(r.id)).toEqual(r);
    expect((await third.stats()).requests).toBe(1);
  });

  it('a query sees a record added in the same turn, and whenWritten runs once its line is on disk', async () => {
    const dataDir = tempDir();
    const s = await open({ dataDir });
    const r = makeRecord({ startedAt: Date.UTC(2026, 0, 1, 10) });
    s.add(r);
    let written = '';
    s.whenWritten(() => (written = fs.readFileSync(segmentPath(dataDir, Math.max(...listSegments(dataDir))), 'utf8')));
    const got = s.getRequest(r.id); // no flush(), no turn boundary
    expect(await got).toEqual(r);
    expect(JSON.parse(written.trim().split('\n').at(-1)!)).toEqual(r);
  });

  it('survives close and reopen through the snapshot, journal folded away', async () => {
    const dataDir = tempDir();
    const s = await openStore({ dataDir, log: () => undefined, retentionDays: 36_500 });
    const recs = Array.from({ length: 1200 }, (_, i) => makeRecord({ startedAt: Date.UTC(2026, 0, 1) + i * 1000 }));
    for (const r of recs) s.add(r);
    await s.close();
    await s.close(); // idempotent
    const segs = listSegments(dataDir);
    expect(segs.length).toBe(1);
    expect(fs.statSync(segmentPath(dataDir, segs[0] ?? 0)).size).toBe(0);
    const s2 = await open({ dataDir });
    expect((await s2.stats()).requests).toBe(1200);
    expect(await s2.getRequest(recs[777]?.id ?? '')).toEqual(recs[777]);
  });

  it('reopening with nothing new does not rewrite the snapshot', async () => {
    const dataDir = tempDir();
    const s = await openStore({ dataDir, log: () => undefined, retentionDays: 36_500 });
    s.add(makeRecord());
    await s.close();
    const file = path.join(dataDir, 'cco.sqlite');
    const before = fs.statSync(file);
    const s2 = await open({ dataDir });
    expect(fs.statSync(file).mtimeMs).toBe(before.mtimeMs);
    expect((await s2.stats()).lastSnapshotAt).toBe(Math.round(before.mtimeMs));
    expect((await s2.stats()).requests).toBe(1);
    expect(listSegments(dataDir).length).toBe(1);
  });

  it('replays an unsnapshotted journal exactly once (records also in the snapshot are not doubled)', async () => {
    const dataDir = tempDir();
    const s = await openStore({ dataDir, log: () => undefined, retentionDays: 36_500 });
    const inSnapshot = makeRecord({ startedAt: Date.UTC(2026, 0, 2, 9) });
    s.add(inSnapshot);
    await s.close();
    // Simulate a crash after more adds: lines in segments newer than the snapshot, one record repeated.
    const later = Array.from({ length: 30 }, (_, i) => makeRecord({ startedAt: Date.UTC(2026, 0, 2, 10) + i }));
    const seq = Math.max(...listSegments(dataDir));
    const lines = [inSnapshot, ...later].map((r) => JSON.stringify(r));
    fs.appendFileSync(segmentPath(dataDir, seq), lines.slice(0, 10).join('\n') + '\n');
    fs.writeFileSync(segmentPath(dataDir, seq + 1), lines.slice(10).join('\n') + '\n' + lines[5] + '\n');
    const { log, lines: logged } = memoryLog();
    const s2 = await open({ dataDir, log });
    expect((await s2.stats()).requests).toBe(31);
    for (const r of later) expect(await s2.getRequest(r.id)).toEqual(r);
    const sum = await s2.summary({ range: 'all', tz: 'UTC', now: Date.UTC(2026, 0, 3) });
    expect(sum.totals.requests).toBe(31);
    expect(sum.totals.costNanoUsd).toBe(31 * 1_000_000);
    expect(logged.some((l) => l.msg.includes('replayed 30 record'))).toBe(true);
    // Folded into a fresh snapshot: only the new empty segment remains.
    expect(listSegments(dataDir)).toEqual([seq + 3]);
  });

  it('skips a torn last line and an invalid middle line with warnings', async () => {
    const dataDir = tempDir();
    fs.mkdirSync(path.join(dataDir, 'journal'), { recursive: true });
    const [a, b, c] = [makeRecord(), makeRecord(), makeRecord()];
    const full = JSON.stringify(c);
    fs.writeFileSync(
      segmentPath(dataDir, 1),
      `${JSON.stringify(a)}\n{"id":"broken"\n${JSON.stringify(b)}\n${full.slice(0, full.length / 2)}`,
    );
    const { log, lines } = memoryLog();
    const s = await open({ dataDir, log });
    expect((await s.stats()).requests).toBe(2);
    expect(await s.getRequest(a.id)).toEqual(a);
    expect(await s.getRequest(b.id)).toEqual(b);
    expect(await s.getRequest(c.id)).toBeNull();
    const warns = lines.filter((l) => l.level === 'warn').map((l) => l.msg);
    expect(warns.some((m) => m.includes('torn last line 4'))).toBe(true);
    expect(warns.some((m) => m.includes('invalid line 2'))).toBe(true);
  });

  it('retention deletes old detail rows but summaries keep them', async () => {
    const dataDir = tempDir();
    const now = Date.now();
    const s = await openStore({ dataDir, retentionDays: 30, log: () => undefined });
    const old = makeRecord({ startedAt: now - 40 * DAY, costNanoUsd: 7 });
    const fresh = makeRecord({ startedAt: now - 1 * DAY, costNanoUsd: 11 });
    s.add(old);
    s.add(fresh);
    await s.flush();
    expect((await s.stats()).requests).toBe(2);
    await s.close();
    const s2 = await open({ dataDir, retentionDays: 30 }); // retention runs on open
    expect(await s2.getRequest(old.id)).toBeNull();
    expect(await s2.getRequest(fresh.id)).toEqual(fresh);
    const sum = await s2.summary({ range: 'all', tz: 'UTC', now });
    expect(sum.totals.requests).toBe(2);
    expect(sum.totals.costNanoUsd).toBe(18);
    // And on demand:
    expect(await s2.pruneOld(now + 30 * DAY)).toBe(1);
    expect((await s2.stats()).requests).toBe(0);
  });

  it('reprices rows and moves the difference into the rollups', async () => {
    const s = await open({ dataDir: tempDir() });
    const t = Date.UTC(2026, 0, 5, 8);
    const priced = makeRecord({ startedAt: t, costNanoUsd: 100, cacheSavingsNanoUsd: 10 });
    const unpriced = makeRecord({ startedAt: t, costNanoUsd: null, priceVersion: null, unpricedReason: 'unknown model', cacheSavingsNanoUsd: 0 });
    const notBillable = makeRecord({ startedAt: t, costNanoUsd: null, billable: false, cacheSavingsNanoUsd: 0 });
    for (const r of [priced, unpriced, notBillable]) s.add(r);
    await s.flush();
    const q = { range: 'custom' as const, tz: 'UTC', from: t, to: t + DAY };
    let sum = await s.summary(q);
    expect(sum.totals).toMatchObject({ requests: 3, costNanoUsd: 100, unpricedRequests: 1, cacheSavingsNanoUsd: 10 });

    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await s.scanForReprice({ since: t, limit: 2, ...(cursor ? { cursor } : {}) });
      seen.push(...page.rows.map((r) => r.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(seen.sort()).toEqual([priced.id, unpriced.id, notBillable.id].sort());

    await s.applyReprice([
      { id: priced.id, costNanoUsd: 150, priceVersion: 'v2', cacheSavingsNanoUsd: 15, unpricedReason: null },
      { id: unpriced.id, costNanoUsd: 40, priceVersion: 'v2', cacheSavingsNanoUsd: 0, unpricedReason: null },
      { id: 'missing', costNanoUsd: 1, priceVersion: 'v2', cacheSavingsNanoUsd: 0, unpricedReason: null },
    ]);
    sum = await s.summary(q);
    expect(sum.totals).toMatchObject({ requests: 3, costNanoUsd: 190, unpricedRequests: 0, cacheSavingsNanoUsd: 15 });
    expect(await s.getRequest(unpriced.id)).toMatchObject({ costNanoUsd: 40, priceVersion: 'v2', unpricedReason: null });
    await s.applyReprice([{ id: priced.id, costNanoUsd: null, priceVersion: 'v3', cacheSavingsNanoUsd: 0, unpricedReason: 'gone' }]);
    sum = await s.summary(q);
    expect(sum.totals).toMatchObject({ costNanoUsd: 40, unpricedRequests: 1, cacheSavingsNanoUsd: 0 });
  });

  it('moves an unreadable snapshot aside and still opens', async () => {
    const dataDir = tempDir();
    fs.writeFileSync(path.join(dataDir, 'cco.sqlite'), 'this is not a database, just some bytes '.repeat(200));
    const { log, lines } = memoryLog();
    const s = await open({ dataDir, log });
    s.add(makeRecord());
    await s.flush();
    expect((await s.stats()).requests).toBe(1);
    expect(fs.readdirSync(dataDir).some((n) => n.startsWith('cco.sqlite.corrupt-'))).toBe(true);
    expect(lines.some((l) => l.level === 'error' && l.msg.includes('cco.sqlite is damaged'))).toBe(true);
  });

  it('add after close never throws', async () => {
    const s = await openStore({ dataDir: tempDir(), log: () => undefined });
    await s.close();
    expect(s.add(makeRecord())).toBeNull();
  });

  it('snapshots periodically and deletes folded segments', async () => {
    const dataDir = tempDir();
    const s = await open({ dataDir, snapshotIntervalMs: 50 });
    const first = (await s.stats()).lastSnapshotAt;
    s.add(makeRecord());
    const deadline = Date.now() + 30_000; // the timer fires every 50 ms; a loaded machine (CI at load 15) took over 5 s
    let st = await s.stats();
    // (a snapshot in flight has rotated to a new segment but not yet deleted the old one: wait it out)
    while ((st.lastSnapshotAt === first || st.journalBytes > 0 || listSegments(dataDir).length !== 1) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 25));
      st = await s.stats();
    }
    expect(st.lastSnapshotAt).toBeGreaterThan(first ?? 0);
    expect(st.journalBytes).toBe(0);
    expect(listSegments(dataDir).length).toBe(1);
  });

  it('gives the snapshot copy back: worker ArrayBuffers stay near one database after snapshots', async () => {
    const dataDir = tempDir();
    const s = await open({ dataDir });
    const month = Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), 1); // stays in cco.sqlite
    for (let i = 0; i < 30_000; i++) s.add(makeRecord({ startedAt: month + i * 10, messageId: `msg_${i}`.padEnd(40, 'x') }));
    await s.flush();
    await s.snapshot();
    await s.snapshot();
    const size = fs.statSync(path.join(dataDir, 'cco.sqlite')).size;
    expect(size).toBeGreaterThan(4 * 1024 * 1024);
    // The MEMFS file (≤ 1.125 × the database) plus a little; an export copy kept alive would add 1 ×.
    // V8 frees the backing stores of collected ArrayBuffers on a background thread (its ArrayBuffer sweeper),
    // so the count can lag the snapshot's collection by a moment on a loaded machine (CI once read 2.1 ×
    // right after it). A copy still referenced never comes down: wait a few seconds for the count to fall.
    const bound = size * 1.5 + 2 * 1024 * 1024;
    let arrayBuffers = (await s.stats()).worker.arrayBuffers;
    for (const deadline = Date.now() + 10_000; arrayBuffers >= bound && Date.now() < deadline; ) {
      await new Promise((r) => setTimeout(r, 100));
      arrayBuffers = (await s.stats()).worker.arrayBuffers;
    }
    expect(arrayBuffers).toBeLessThan(bound);
  }, 90_000); // 30,000 records and two snapshots: ~8 s alone, past 20 s on a loaded 2-core runner
});

/** A store whose three past months (20 rows each) are written to their files and closed (clean). */
async function threePastMonthsClosed(): Promise<{ s: Store; past: number[] }> {
  const s = await open({ dataDir: tempDir() });
  const past = [Date.UTC(2025, 2, 10), Date.UTC(2025, 3, 10), Date.UTC(2025, 4, 10)];
  await s.addBulk(past.flatMap((t) => Array.from({ length: 20 }, (_, i) => makeRecord({ startedAt: t + i * 1000 }))));
  await s.snapshot(); // writes the three past months' files (60 rows: addBulk itself did not snapshot)
  await s.snapshot(); // closes them: clean now
  return { s, past };
}

describe('store bulk ingest', () => {
  it('batches that each span more past months than there are direct slots snapshot once per DIRECT_SNAPSHOT_MIN_ROWS records, not after every batch', async () => {
    const dataDir = tempDir();
    const s = await open({ dataDir });
    const seq = (): number => Math.max(...listSegments(dataDir));
    const seq0 = seq();
    // Four past months in every batch (like transcript files read in no time order): MAX_DIRECT_MONTHS is 3.
    const months = [Date.UTC(2025, 1, 10), Date.UTC(2025, 2, 10), Date.UTC(2025, 3, 10), Date.UTC(2025, 4, 10)];
    const perBatch = 2000;
    const batches = DIRECT_SNAPSHOT_MIN_ROWS / perBatch;
    for (let b = 0; b < batches; b++) {
      const recs = Array.from({ length: perBatch }, (_, i) => makeRecord({ startedAt: months[i % 4]! + (b * perBatch + i) * 1000 }));
      expect((await s.addBulk(recs)).inserted).toBe(perBatch);
      // Rotated once per snapshot: none until DIRECT_SNAPSHOT_MIN_ROWS records were added, then one.
      expect(seq() - seq0).toBe(b === batches - 1 ? 1 : 0);
    }
    expect((await s.stats()).requests).toBe(DIRECT_SNAPSHOT_MIN_ROWS);
    await s.close();
    const again = await open({ dataDir });
    expect((await again.stats()).requests).toBe(DIRECT_SNAPSHOT_MIN_ROWS);
    expect((await again.listRequests({ limit: 10, from: months[3], to: Date.UTC(2025, 5, 1) })).items).toHaveLength(10);
  }, 60_000);

  it('a snapshot closes the month databases a list opened (the export copy of cco.sqlite does not sit on top of them)', async () => {
    const { s, past } = await threePastMonthsClosed();
    expect((await s.stats()).months).toBe(3);
    const page = await s.listRequests({ limit: 500, from: past[0], to: Date.UTC(2025, 5, 1) });
    expect(page.items).toHaveLength(60);
    expect((await s.stats()).openMonths).toBe(2); // LRU_MAX
    await s.snapshot();
    expect((await s.stats()).openMonths).toBe(0);
    expect((await s.listRequests({ limit: 500, from: past[0], to: Date.UTC(2025, 5, 1) })).items).toEqual(page.items);
  });

  it('an export closes the month databases other lists left open before its first page, and leaves none open', async () => {
    const { s, past } = await threePastMonthsClosed();
    const viewed = await s.listRequests({ limit: 500, from: past[1], to: Date.UTC(2025, 5, 1) });
    expect((await s.stats()).openMonths).toBe(2); // April and May, the LRU's
    // An export of March alone: its stream opens March only, and April and May are closed first.
    let cursor: string | null = null;
    let rows = 0;
    do {
      const c = await s.exportPage!({ limit: 7, from: past[0], to: Date.UTC(2025, 3, 1), ...(cursor !== null && { cursor }) }, 'csv', cursor === null);
      if (cursor === null) expect((await s.stats()).openMonths).toBeLessThanOrEqual(1);
      rows += c.rows;
      cursor = c.nextCursor;
    } while (cursor !== null);
    expect(rows).toBe(20);
    expect((await s.stats()).openMonths).toBe(0);
    expect((await s.listRequests({ limit: 500, from: past[1], to: Date.UTC(2025, 5, 1) })).items).toEqual(viewed.items);
  });

  it('addBulk stores new records once, updates rollups, skips known ids and invalid records, survives reopen', async () => {
    const dataDir = tempDir();
    const s = await openStore({ dataDir, log: () => undefined, retentionDays: 36_500 });
    const t0 = Date.UTC(2025, 9, 1);
    const recs = Array.from({ length: 2500 }, (_, i) =>
      makeRecord({ startedAt: t0 + i * 3_600_000, costNanoUsd: 1000 + i, sessionId: `s${i % 7}`, upstreamRequestId: `req_${i}` }),
    );
    const live = recs[10]!;
    s.add(live); // already stored through the proxy path
    const bad = { ...makeRecord(), tokens: null } as unknown as RequestRecord;
    const res = await s.addBulk([...recs, recs[3]!, bad]);
    expect(res).toEqual({ inserted: 2499, skipped: 2, invalid: 1 });
    expect(await s.addBulk(recs)).toEqual({ inserted: 0, skipped: 2500, invalid: 0 }); // idempotent
    expect((await s.stats()).requests).toBe(2500);
    const all = await s.summary({ range: 'custom', tz: 'UTC', from: t0, to: t0 + 2500 * 3_600_000 });
    expect(all.totals.requests).toBe(2500);
    expect(all.totals.costNanoUsd).toBe(recs.reduce((a, r) => a + (r.costNanoUsd ?? 0), 0));
    expect((all.bySession ?? []).map((g) => g.requests).reduce((a, b) => a + b, 0)).toBe(2500);
    await s.close();
    const s2 = await open({ dataDir });
    expect((await s2.stats()).requests).toBe(2500);
    expect(await s2.getRequest(recs[2000]!.id)).toEqual(recs[2000]);
  });

  it('addBulk records are in the fsynced journal when it resolves (kill -9 after it loses nothing)', async () => {
    const dataDir = tempDir();
    const s = await open({ dataDir, snapshotIntervalMs: 3_600_000 });
    const recs = Array.from({ length: 3000 }, () => makeRecord());
    await s.addBulk(recs);
    const lines = listSegments(dataDir).flatMap((seq) => fs.readFileSync(segmentPath(dataDir, seq), 'utf8').split('\n').filter(Boolean));
    expect(new Set(lines.map((l) => (JSON.parse(l) as RequestRecord).id))).toEqual(new Set(recs.map((r) => r.id)));
  });

  it('findByUpstreamRequestIds returns the records with those upstream ids, in time order, within a range', async () => {
    const s = await open({ dataDir: tempDir() });
    const a = makeRecord({ upstreamRequestId: 'req_a', startedAt: Date.UTC(2026, 0, 2) });
    const b = makeRecord({ upstreamRequestId: 'req_b', startedAt: Date.UTC(2026, 0, 1) });
    const c = makeRecord({ upstreamRequestId: null });
    await s.addBulk([a, b, c, makeRecord({ upstreamRequestId: 'req_other' })]);
    expect(await s.findByUpstreamRequestIds(['req_a', 'req_b', 'req_none', 'req_a'])).toEqual([b, a]);
    expect(await s.findByUpstreamRequestIds(['req_a', 'req_b'], { from: Date.UTC(2026, 0, 1, 12) })).toEqual([a]);
    expect(await s.findByUpstreamRequestIds(['req_a', 'req_b'], { to: Date.UTC(2026, 0, 1, 12) })).toEqual([b]);
    expect(await s.findByUpstreamRequestIds([])).toEqual([]);
    const many = Array.from({ length: 1200 }, (_, i) => `req_x${i}`);
    expect(await s.findByUpstreamRequestIds([...many, 'req_b'])).toEqual([b]);
  });
});

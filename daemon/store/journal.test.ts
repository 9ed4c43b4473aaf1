import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Journal, MAX_QUEUED_LINES } from './journal.ts';
import { listSegments, segmentPath } from './segments.ts';
import { tempDir } from './test-fixtures.ts';

describe('Journal', () => {
  it('writes the lines of one turn together, then runs whenWritten callbacks, and syncs in groups', async () => {
    const dir = tempDir();
    const j = Journal.open(dir, 3, { fsyncIntervalMs: 50, onSyncError: () => undefined });
    const seen: string[] = [];
    j.whenWritten(() => seen.push('nothing queued: at once'));
    expect(seen).toEqual(['nothing queued: at once']);
    j.append('{"a":1}');
    j.whenWritten(() => seen.push(fs.readFileSync(segmentPath(dir, 3), 'utf8')));
    j.append('{"a":2}');
    j.whenWritten(() => seen.push(fs.readFileSync(segmentPath(dir, 3), 'utf8')));
    expect(fs.readFileSync(segmentPath(dir, 3), 'utf8')).toBe(''); // queued until the end of this turn
    expect(seen).toHaveLength(1);
    await new Promise((r) => setImmediate(r));
    // Both callbacks ran after the one write that carried both lines.
    expect(seen.slice(1)).toEqual(['{"a":1}\n{"a":2}\n', '{"a":1}\n{"a":2}\n']);
    expect(j.counters()).toEqual({ appended: 2, synced: 0, bytes: 16 });
    const deadline = Date.now() + 5000; // the grouped fdatasync fires on its own ~50 ms later
    while (j.counters().synced < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(j.counters().synced).toBe(2);
    j.append('x');
    await j.sync(); // writes what is queued first
    expect(j.counters().synced).toBe(3);
    await j.close();
  });

  it('writes at once when one turn queues MAX_QUEUED_LINES lines', async () => {
    const dir = tempDir();
    const j = Journal.open(dir, 1, { fsyncIntervalMs: 1000, onSyncError: () => undefined });
    for (let i = 0; i < MAX_QUEUED_LINES + 10; i++) j.append(`{"i":${i}}`);
    expect(fs.readFileSync(segmentPath(dir, 1), 'utf8').split('\n')).toHaveLength(MAX_QUEUED_LINES + 1);
    await new Promise((r) => setImmediate(r));
    expect(j.counters().appended).toBe(MAX_QUEUED_LINES + 10);
    await j.close();
  });

  it('hands each grouped write to onBytes: the bytes written, in an ArrayBuffer of their own', async () => {
    const dir = tempDir();
    const handed: Uint8Array[] = [];
    const j = Journal.open(dir, 1, { fsyncIntervalMs: 1000, onSyncError: () => undefined, onBytes: (b) => handed.push(b) });
    j.append('{"a":"é"}');
    j.append('{"b":2}');
    await new Promise((r) => setImmediate(r));
    j.append('{"c":3}');
    await j.sync();
    expect(handed.map((b) => Buffer.from(b).toString('utf8'))).toEqual(['{"a":"é"}\n{"b":2}\n', '{"c":3}\n']);
    for (const b of handed) expect(b.byteOffset === 0 && b.buffer.byteLength === b.byteLength).toBe(true); // transferable
    expect(Buffer.concat(handed).equals(fs.readFileSync(segmentPath(dir, 1)))).toBe(true);
    await j.close();
  });

  it('reports a failed write, still runs the callbacks, and writes the lines again once it can', async () => {
    const dir = tempDir();
    const errors: [string, number][] = [];
    let recovered = 0;
    const j = Journal.open(dir, 1, {
      fsyncIntervalMs: 1000,
      retryMs: 20,
      onSyncError: () => undefined,
      onWriteError: (err, lines) => errors.push([(err as NodeJS.ErrnoException).code ?? err.message, lines]),
      onWriteRecovered: (n) => (recovered += n),
    });
    j.append('ok');
    j.writeQueued();
    // Make the next write fail: swap the segment's descriptor for one opened read-only.
    const ro = fs.openSync(segmentPath(dir, 1), 'r');
    const internals = j as unknown as { fd: number };
    const writable = internals.fd;
    internals.fd = ro;
    let called = false;
    j.append('late-1');
    j.append('late-2');
    j.whenWritten(() => (called = true));
    await new Promise((r) => setImmediate(r));
    expect(errors[0]).toEqual(['EBADF', 2]);
    expect(called).toBe(true);
    expect(j.counters().appended).toBe(1);
    expect(j.pendingLines()).toBe(2);
    internals.fd = writable;
    fs.closeSync(ro);
    j.append('next');
    await new Promise((r) => setImmediate(r));
    expect(fs.readFileSync(segmentPath(dir, 1), 'utf8')).toBe('ok\nlate-1\nlate-2\nnext\n');
    expect(recovered).toBe(2);
    expect(j.pendingLines()).toBe(0);
    await j.close();
  });

  it('at close, lines still waiting are dropped unless a snapshot already holds them', async () => {
    for (const covered of [false, true]) {
      const dir = tempDir();
      let dropped = 0;
      const j = Journal.open(dir, 1, { fsyncIntervalMs: 1000, retryMs: 60_000, onSyncError: () => undefined, onDropped: (n) => (dropped += n) });
      const internals = j as unknown as { fd: number };
      const ro = fs.openSync(segmentPath(dir, 1), 'r');
      internals.fd = ro; // every write fails from now on
      j.append('a');
      j.append('b');
      j.writeQueued();
      expect(j.pendingLines()).toBe(2);
      await j.close(covered);
      expect(dropped).toBe(covered ? 0 : 2);
    }
  });

  it('rotates to a new segment, retires the old one, deletes up to a seq but never the current one', async () => {
    const dir = tempDir();
    const j = Journal.open(dir, 1, { fsyncIntervalMs: 1000, onSyncError: () => undefined });
    j.append('one'); // still queued: rotate() writes it to the segment it retires
    const r1 = j.rotate();
    expect(r1.oldSeq).toBe(1);
    expect(j.seq).toBe(2);
    j.append('two');
    await r1.retired;
    expect(j.counters().synced).toBe(1);
    const r2 = j.rotate();
    j.append('three');
    await r2.retired;
    expect(listSegments(dir)).toEqual([1, 2, 3]);
    expect(j.deleteUpTo(2)).toBe(2);
    expect(listSegments(dir)).toEqual([3]);
    expect(j.deleteUpTo(99)).toBe(0); // the current segment stays
    expect(fs.readFileSync(segmentPath(dir, 3), 'utf8')).toBe('three\n');
    await j.close();
    await j.close();
    expect(() => j.append('late')).toThrow(/closed/);
  });

  it('creates the journal dir 0700 and segments 0600', async () => {
    const dir = tempDir();
    const j = Journal.open(dir, 1, { fsyncIntervalMs: 1000, onSyncError: () => undefined });
    expect(fs.statSync(`${dir}/journal`).mode & 0o777).toBe(0o700);
    expect(fs.statSync(segmentPath(dir, 1)).mode & 0o777).toBe(0o600);
    await j.close();
  });
});

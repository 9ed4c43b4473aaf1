import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Journal } from './journal.ts';
import { listSegments, segmentPath } from './segments.ts';
import { tempDir } from './test-fixtures.ts';

describe('Journal', () => {
  it('appends lines synchronously (visible before any sync) and syncs in groups', async () => {
    const dir = tempDir();
    const j = Journal.open(dir, 3, 50, () => undefined);
    j.append('{"a":1}');
    j.append('{"a":2}');
    expect(fs.readFileSync(segmentPath(dir, 3), 'utf8')).toBe('{"a":1}\n{"a":2}\n');
    expect(j.counters()).toEqual({ appended: 2, synced: 0, bytes: 16 });
    const deadline = Date.now() + 5000; // the grouped fdatasync fires on its own ~50 ms later
    while (j.counters().synced < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(j.counters().synced).toBe(2);
    j.append('x');
    await j.sync();
    expect(j.counters().synced).toBe(3);
    await j.close();
  });

  it('rotates to a new segment, retires the old one, deletes up to a seq but never the current one', async () => {
    const dir = tempDir();
    const j = Journal.open(dir, 1, 1000, () => undefined);
    j.append('one');
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
    const j = Journal.open(dir, 1, 1000, () => undefined);
    expect(fs.statSync(`${dir}/journal`).mode & 0o777).toBe(0o700);
    expect(fs.statSync(segmentPath(dir, 1)).mode & 0o777).toBe(0o600);
    await j.close();
  });
});

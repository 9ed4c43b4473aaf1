import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { RequestRecord } from '../../shared/contract.ts';
import { Journal } from '../store/journal.ts';
import { journalDir, segmentPath } from '../store/segments.ts';
import { makeRecord, tempDir } from '../store/test-fixtures.ts';
import { reofferStoreJournal } from './reoffer.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

/** An outbox stand-in that records what it is offered and when its write completes. */
function sink() {
  const added: RequestRecord[] = [];
  let waits = 0;
  return {
    added,
    waits: () => waits,
    add: (r: RequestRecord) => added.push(r),
    whenWritten: (done: () => void) => {
      waits++;
      setImmediate(done);
    },
  };
}

describe('reofferStoreJournal', () => {
  it('offers every record of every store segment, in order, skipping bad lines, and waits for the outbox write', async () => {
    const dataDir = tempDir();
    dirs.push(dataDir);
    const a = makeRecord({ messageId: 'a' });
    const b = makeRecord({ messageId: 'b' });
    const c = makeRecord({ messageId: 'c' });
    // a segment written by the store's own journal writer, then a later one ending in a torn line
    const j = Journal.open(dataDir, 4, { fsyncIntervalMs: 10, onSyncError: () => undefined });
    j.append(JSON.stringify(a));
    j.append(JSON.stringify(b));
    j.writeQueued();
    await j.close();
    fs.writeFileSync(segmentPath(dataDir, 7), `not json\n${JSON.stringify(c)}\n{"id":"torn`);
    const out = sink();
    const warnings: string[] = [];
    expect(await reofferStoreJournal(dataDir, out, (m) => warnings.push(m))).toBe(3);
    expect(out.added.map((r) => r.messageId)).toEqual(['a', 'b', 'c']);
    expect(out.added[0]).toEqual(a);
    expect(out.waits()).toBe(1);
    expect(warnings).toEqual([]);
  });

  it('reads nothing and waits for nothing when the journal is empty or absent', async () => {
    const dataDir = tempDir();
    dirs.push(dataDir);
    const out = sink();
    expect(await reofferStoreJournal(dataDir, out, () => undefined)).toBe(0);
    fs.mkdirSync(journalDir(dataDir), { recursive: true });
    fs.writeFileSync(segmentPath(dataDir, 1), '');
    expect(await reofferStoreJournal(dataDir, out, () => undefined)).toBe(0);
    expect(out.waits()).toBe(0);
  });

  it('reports a segment it cannot read and goes on with the next', async () => {
    const dataDir = tempDir();
    dirs.push(dataDir);
    fs.mkdirSync(segmentPath(dataDir, 2), { recursive: true }); // a directory where a segment file should be: EISDIR
    fs.writeFileSync(segmentPath(dataDir, 3), JSON.stringify(makeRecord({ messageId: 'x' })) + '\n');
    const out = sink();
    const warnings: string[] = [];
    expect(await reofferStoreJournal(dataDir, out, (m) => warnings.push(m))).toBe(1);
    expect(warnings).toEqual([expect.stringMatching(/journal-2\.ndjson not re-offered to the outbox: .*EISDIR/)]);
  });
});

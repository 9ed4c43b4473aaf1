import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RequestRecord } from '../../shared/contract.ts';
import { readSegment } from './replay.ts';
import { makeRecord, tempDir } from './test-fixtures.ts';

async function read(content: string): Promise<{ ids: string[]; warns: string[]; res: Awaited<ReturnType<typeof readSegment>> }> {
  const file = path.join(tempDir(), 'journal-1.ndjson');
  fs.writeFileSync(file, content);
  const ids: string[] = [];
  const warns: string[] = [];
  const res = await readSegment(file, (r: RequestRecord) => ids.push(r.id), (m) => warns.push(m));
  return { ids, warns, res };
}

describe('readSegment', () => {
  const a = makeRecord();
  const b = makeRecord();

  it('reads every valid line in order, with or without a final newline, blank lines ignored', async () => {
    const { ids, warns } = await read(`${JSON.stringify(a)}\n\n${JSON.stringify(b)}`);
    expect(ids).toEqual([a.id, b.id]);
    expect(warns).toEqual([]);
  });

  it('skips a torn last line and invalid middle lines (bad JSON or wrong shape) with warnings', async () => {
    const { id: _drop, ...noId } = a;
    const torn = JSON.stringify(b).slice(0, 40);
    const { ids, warns, res } = await read(`not json\n${JSON.stringify(noId)}\n${JSON.stringify(a)}\n${torn}`);
    expect(ids).toEqual([a.id]);
    expect(res).toEqual({ lines: 4, records: 1, skipped: 3 });
    expect(warns.map((w) => w.replace(/^.*: /, ''))).toEqual([
      'invalid line 1 skipped (8 chars)',
      expect.stringMatching(/^invalid line 2 skipped/),
      'torn last line 4 skipped (40 chars)',
    ]);
  });

  it('handles an empty segment', async () => {
    expect((await read('')).res).toEqual({ lines: 0, records: 0, skipped: 0 });
  });
});

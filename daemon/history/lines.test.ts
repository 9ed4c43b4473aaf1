import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readLines } from './lines.ts';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cco-lines-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Both ways of reading: a FileHandle (the daemon: thread-pool reads) and a descriptor (fs.readSync). */
const WAYS = ['handle', 'fd'] as const;
let way: (typeof WAYS)[number] = 'handle';

async function collect(content: string | Buffer, start = 0, opts: Parameters<typeof readLines>[3] = {}) {
  const file = path.join(dir, 'f.jsonl');
  fs.writeFileSync(file, content);
  if (way === 'fd') {
    const fd = fs.openSync(file, 'r');
    const lines: { text: string; at: number }[] = [];
    const oversized: { at: number; bytes: number }[] = [];
    try {
      const res = await readLines(fd, start, { line: (b, at) => lines.push({ text: b.toString('utf8'), at }), oversized: (at, bytes) => oversized.push({ at, bytes }) }, opts);
      return { lines, oversized, ...res };
    } finally {
      fs.closeSync(fd);
    }
  }
  const fh = await fs.promises.open(file, 'r');
  const lines: { text: string; at: number }[] = [];
  const oversized: { at: number; bytes: number }[] = [];
  try {
    const res = await readLines(fh, start, { line: (b, at) => lines.push({ text: b.toString('utf8'), at }), oversized: (at, bytes) => oversized.push({ at, bytes }) }, opts);
    return { lines, oversized, ...res };
  } finally {
    await fh.close();
  }
}

describe.each(WAYS)('readLines from a %s', (w) => {
  beforeEach(() => {
    way = w;
  });

  it('hands out complete lines with their offsets and stops before an unfinished last line', async () => {
    const r = await collect('a\nbb\r\n\nccc\npartial');
    expect(r.lines).toEqual([
      { text: 'a', at: 0 },
      { text: 'bb\r', at: 2 },
      { text: '', at: 6 },
      { text: 'ccc', at: 7 },
    ]);
    expect(r.end).toBe(11);
    expect(r.bytesRead).toBe(18);
  });

  it('starts at an offset and reads lines that cross many small reads', async () => {
    const lines = Array.from({ length: 50 }, (_, i) => `line-${i}-${'x'.repeat(i * 3)}`);
    const text = lines.join('\n') + '\n';
    const start = lines[0]!.length + 1;
    const r = await collect(text, start, { chunkBytes: 7 });
    expect(r.lines.map((l) => l.text)).toEqual(lines.slice(1));
    expect(r.lines[1]!.at).toBe(start + lines[1]!.length + 1);
    expect(r.end).toBe(Buffer.byteLength(text));
  });

  it('skips a line longer than maxLineBytes and keeps going', async () => {
    const big = 'y'.repeat(5000);
    const r = await collect(`a\n${big}\nb\n`, 0, { chunkBytes: 64, maxLineBytes: 1000 });
    expect(r.lines.map((l) => l.text)).toEqual(['a', 'b']);
    expect(r.oversized).toEqual([{ at: 2, bytes: 5000 }]);
    expect(r.end).toBe(2 + 5000 + 1 + 2);
  });

  it('reads a 10 MB line whole (lines below the cap are never cut)', async () => {
    const big = 'z'.repeat(10 * 1024 * 1024);
    const r = await collect(`${big}\nend\n`);
    expect(r.lines.length).toBe(2);
    expect(r.lines[0]!.text.length).toBe(big.length);
    expect(r.lines[1]).toEqual({ text: 'end', at: big.length + 1 });
  });

  it('keeps multi-byte characters that a read splits', async () => {
    const r = await collect('é€😀\nü\n', 0, { chunkBytes: 3 });
    expect(r.lines.map((l) => l.text)).toEqual(['é€😀', 'ü']);
  });

  it('stops at `until`, and ends early when the file is shorter than expected (truncated while read)', async () => {
    const r = await collect('a\nb\nc\n', 0, { until: 4 });
    expect(r.lines.map((l) => l.text)).toEqual(['a', 'b']);
    const short = await collect('a\nb\n', 0, { until: 1000 });
    expect(short.lines.map((l) => l.text)).toEqual(['a', 'b']);
    expect(short.end).toBe(4);
  });
});

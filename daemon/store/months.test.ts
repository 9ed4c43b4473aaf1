import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { listPartitionFiles, monthOf, monthRange, monthsDir, removePartitionTemps } from './months.ts';
import { tempDir } from './test-fixtures.ts';

describe('months', () => {
  it('maps instants to UTC months and back', () => {
    expect(monthOf(Date.UTC(2026, 0, 31, 23, 59, 59, 999))).toBe('2026-01');
    expect(monthOf(Date.UTC(2026, 1, 1))).toBe('2026-02');
    expect(monthRange('2025-12')).toEqual({ start: Date.UTC(2025, 11, 1), end: Date.UTC(2026, 0, 1) });
    expect(() => monthRange('2025-1')).toThrow(RangeError);
  });

  it('lists partition files in order and removes cut-short writes', () => {
    const dir = tempDir();
    expect(listPartitionFiles(dir)).toEqual([]);
    fs.mkdirSync(monthsDir(dir));
    for (const n of ['2026-02.sqlite', '2025-11.sqlite', '2026-01.sqlite.tmp', 'x.sqlite']) fs.writeFileSync(path.join(monthsDir(dir), n), '');
    expect(listPartitionFiles(dir)).toEqual(['2025-11', '2026-02']);
    removePartitionTemps(dir);
    expect(fs.readdirSync(monthsDir(dir)).sort()).toEqual(['2025-11.sqlite', '2026-02.sqlite', 'x.sqlite']);
  });
});

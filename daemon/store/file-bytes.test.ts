import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { tempDir } from './test-fixtures.ts';
import { ALWAYS_MAPPED_BYTES, readDatabaseBytes } from './file-bytes.ts';

describe('readDatabaseBytes', () => {
  it('returns exactly the file\'s bytes, as a Buffer (which sql.js keeps without copying)', () => {
    const file = path.join(tempDir(), 'm.sqlite');
    const data = randomBytes(3 * 1024 * 1024 + 17);
    fs.writeFileSync(file, data);
    const bytes = readDatabaseBytes(file);
    expect(Buffer.isBuffer(bytes)).toBe(true);
    expect(bytes.byteLength).toBe(data.byteLength);
    expect(bytes.equals(data)).toBe(true);
    // Buffer#slice is a view: the MEMFS file sql.js makes from it shares these bytes.
    expect(bytes.slice(0, bytes.length).buffer).toBe(bytes.buffer);
  });

  it.runIf(process.platform === 'linux')('on Linux, allocates above glibc\'s highest mmap threshold, so freeing it unmaps it', () => {
    const file = path.join(tempDir(), 'm.sqlite');
    fs.writeFileSync(file, randomBytes(1024 * 1024));
    expect(readDatabaseBytes(file).buffer.byteLength).toBeGreaterThanOrEqual(ALWAYS_MAPPED_BYTES);
    expect(ALWAYS_MAPPED_BYTES).toBeGreaterThan(32 * 1024 * 1024);
    const big = path.join(tempDir(), 'big.sqlite');
    fs.writeFileSync(big, Buffer.alloc(ALWAYS_MAPPED_BYTES + 5, 7));
    const b = readDatabaseBytes(big);
    expect(b.byteLength).toBe(ALWAYS_MAPPED_BYTES + 5);
    expect(b[b.length - 1]).toBe(7);
  });

  it('allocates the file\'s size when no floor is asked, and reads an empty file as empty', () => {
    const file = path.join(tempDir(), 'm.sqlite');
    fs.writeFileSync(file, Buffer.from('abc'));
    expect(readDatabaseBytes(file, 0).buffer.byteLength).toBe(3);
    const empty = path.join(tempDir(), 'e.sqlite');
    fs.writeFileSync(empty, '');
    expect(readDatabaseBytes(empty).byteLength).toBe(0);
  });
});

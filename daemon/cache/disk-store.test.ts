import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeEntry, DiskStore, encodeEntry, type CachedResponse } from './disk-store.ts';

const KEY = 'a'.repeat(64);
const entry = (body = 'hello'): CachedResponse => ({ status: 200, statusMessage: 'OK', rawHeaders: ['content-type', 'application/json', 'request-id', 'req_1'], body: Buffer.from(body), createdAt: 1000 });

describe('disk-store', () => {
  it('round-trips an entry and refuses any damaged byte, a wrong key, or a short file', () => {
    const bytes = encodeEntry(KEY, entry());
    expect(decodeEntry(KEY, bytes)).toEqual(entry());
    expect(decodeEntry('b'.repeat(64), bytes)).toBeNull();
    for (let i = 0; i < bytes.length; i++) {
      const bad = Buffer.from(bytes);
      bad[i]! ^= 0x01;
      expect(decodeEntry(KEY, bad)).toBeNull();
    }
    for (const n of [0, 10, bytes.length - 1]) expect(decodeEntry(KEY, bytes.subarray(0, n))).toBeNull();
  });

  it('rebuilds its index from the folder, drops leftover temp files, and evicts to fit the bound', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cco-disk-'));
    const now = { t: 5000 };
    const a = new DiskStore({ dir, maxBytes: 10_000, ttlMs: 60_000, now: () => now.t });
    expect(await a.put(KEY, entry())).toBe(true);
    fs.writeFileSync(path.join(dir, 'responses', `${KEY}.123.tmp`), 'half');
    const b = new DiskStore({ dir, maxBytes: 10_000, ttlMs: 60_000, now: () => now.t });
    expect(b.entries).toBe(1);
    expect(fs.readdirSync(path.join(dir, 'responses'))).toEqual([`${KEY}.entry`]);
    expect((await b.get(KEY))?.body.toString()).toBe('hello');
    const small = new DiskStore({ dir, maxBytes: 10, ttlMs: 60_000, now: () => now.t });
    expect(small.entries).toBe(0); // the bound shrank below the entry: evicted at open
    expect(await small.put('c'.repeat(64), entry())).toBe(false); // larger than the whole cache
  });
});

/**
 * Record ids: ULIDs (time-ordered, so cursors and journals sort by time) drawn from a pooled CSPRNG buffer.
 * The `ulid` package's default PRNG makes one crypto call per character (16 per id), a measurable cost on the
 * proxy thread; one 4 KiB `randomFillSync` per ~1,000 ids gives the same randomness for a fraction of it.
 */
import { randomFillSync } from 'node:crypto';
import { ulid } from 'ulid';

const pool = new Uint32Array(1024);
let next = pool.length;

/** Uniform float in [0, 1) from the pool (what `ulid` expects of a PRNG). */
function pooledRandom(): number {
  if (next === pool.length) {
    randomFillSync(pool);
    next = 0;
  }
  return pool[next++]! / 0x1_0000_0000;
}

/** A ULID whose time part is `seedTime` (the request's start), with 80 random bits. */
export function newRecordId(seedTime: number = Date.now()): string {
  return ulid(seedTime, pooledRandom);
}

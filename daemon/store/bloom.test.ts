import { describe, expect, it } from 'vitest';
import { Bloom } from './bloom.ts';

describe('Bloom', () => {
  it('never misses a key it holds, rarely claims one it does not, and round-trips through bytes', () => {
    const b = Bloom.forCount(10_000);
    for (let i = 0; i < 10_000; i++) b.add(`01J${i}`);
    const copy = Bloom.fromBytes(new Uint8Array(b.bits));
    for (let i = 0; i < 10_000; i++) expect(copy.has(`01J${i}`)).toBe(true);
    let fp = 0;
    for (let i = 0; i < 10_000; i++) if (copy.has(`other-${i}`)) fp++;
    expect(fp).toBeLessThan(300); // ~1 % expected
  });
});

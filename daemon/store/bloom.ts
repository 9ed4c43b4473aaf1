/**
 * A Bloom filter over strings (ids of one sealed month), so a lookup by id — getRequest, the duplicate
 * check of a late or bulk record, the upstream-id search of the import — opens only the months that may
 * hold it. ~10 bits and 7 probes per key: ≈1 % false positives; never a false negative.
 */
const PROBES = 7;

function fnv1a(s: string, seed: number): number {
  let h = seed >>> 0;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export class Bloom {
  private constructor(readonly bits: Uint8Array) {}

  /**
   * A filter for `n` keys at `bitsPerKey` bits each (7 probes always: a filter read back from `partitions`
   * is probed as it was built, whatever its size). 10 bits: ≈0.8 % false positives a key; 24 bits: ≈0.007 %.
   */
  static forCount(n: number, bitsPerKey = 10): Bloom {
    const bytes = Math.max(64, Math.ceil((Math.max(1, n) * bitsPerKey) / 8));
    return new Bloom(new Uint8Array(bytes));
  }

  static fromBytes(bytes: Uint8Array): Bloom {
    return new Bloom(bytes.length > 0 ? bytes : new Uint8Array(64));
  }

  add(key: string): void {
    const m = this.bits.length * 8;
    const h1 = fnv1a(key, 0x811c9dc5);
    const h2 = fnv1a(key, 0x01000193) | 1;
    for (let i = 0; i < PROBES; i++) {
      const p = ((h1 + Math.imul(i, h2)) >>> 0) % m;
      this.bits[p >> 3]! |= 1 << (p & 7);
    }
  }

  has(key: string): boolean {
    const m = this.bits.length * 8;
    const h1 = fnv1a(key, 0x811c9dc5);
    const h2 = fnv1a(key, 0x01000193) | 1;
    for (let i = 0; i < PROBES; i++) {
      const p = ((h1 + Math.imul(i, h2)) >>> 0) % m;
      if ((this.bits[p >> 3]! & (1 << (p & 7))) === 0) return false;
    }
    return true;
  }
}

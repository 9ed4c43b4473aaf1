/** Deterministic randomness and Anthropic-style identifiers for the fake upstream. */
import { createHash } from 'node:crypto';

export type Rng = () => number; // uniform in [0, 1)

/** sfc32 seeded from sha256 of the parts: same parts → same sequence. */
export function makeRng(...parts: (string | number)[]): Rng {
  const h = createHash('sha256').update(parts.join('\u0000')).digest();
  let a = h.readUInt32LE(0);
  let b = h.readUInt32LE(4);
  let c = h.readUInt32LE(8);
  let d = h.readUInt32LE(12);
  return () => {
    a >>>= 0; b >>>= 0; c >>>= 0; d >>>= 0;
    const t = (a + b) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    d = (d + 1) | 0;
    const r = (t + d) | 0;
    c = (c + r) | 0;
    return (r >>> 0) / 4294967296;
  };
}

/** Integer in [min, max] inclusive. */
export function randInt(rng: Rng, min: number, max: number): number {
  return min + Math.floor(rng() * (max - min + 1));
}

const BASE58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';

export function base58(rng: Rng, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += BASE58[Math.floor(rng() * 58)];
  return s;
}

export function hex(rng: Rng, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += Math.floor(rng() * 16).toString(16);
  return s;
}

export function uuid(rng: Rng): string {
  const h = hex(rng, 32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Id generator for one server: request ids, message ids, tool ids, cf-ray. */
export class IdSource {
  private readonly rng: Rng;
  constructor(seed: number) {
    this.rng = makeRng('ids', seed);
  }
  requestId(): string {
    return `req_011C${base58(this.rng, 20)}`;
  }
  messageId(): string {
    return `msg_011C${base58(this.rng, 20)}`;
  }
  toolUseId(prefix = 'toolu'): string {
    return `${prefix}_01${base58(this.rng, 22)}`;
  }
  cfRay(): string {
    return `${hex(this.rng, 16)}-SJC`;
  }
}

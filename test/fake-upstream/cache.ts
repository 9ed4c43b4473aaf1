/**
 * Prompt-cache emulation (§9.4) on a fake clock. Entries are keyed by credential, model and the running
 * hash of the prefix through a breakpoint; TTL 5 min or 1 h; reads refresh the entry.
 */
import type { RenderedPrompt, Ttl } from './tokens.ts';

export interface CacheUsage {
  input: number;
  read: number;
  write5m: number;
  write1h: number;
}

const TTL_MS: Record<Ttl, number> = { '5m': 300_000, '1h': 3_600_000 };

export class PromptCache {
  private readonly entries = new Map<string, { expiresAt: number; ttl: Ttl }>();
  private clock: number;

  constructor(
    private readonly minTokens: number,
    startMs: number,
  ) {
    this.clock = startMs;
  }

  now(): number {
    return this.clock;
  }

  advance(ms: number): number {
    this.clock += Math.max(0, ms);
    return this.clock;
  }

  clear(): void {
    this.entries.clear();
  }

  /** Charge one request against the cache: returns the usage split and records writes. */
  apply(credential: string, model: string, prompt: RenderedPrompt): CacheUsage {
    const key = (hash: string): string => `${credential}\u0000${model}\u0000${hash}`;
    const cacheable = prompt.blocks.filter((b) => b.breakpoint && b.prefixTokens >= this.minTokens);
    let hitIndex = -1;
    for (let i = cacheable.length - 1; i >= 0; i--) {
      const e = this.entries.get(key(cacheable[i]!.prefixHash));
      if (e && e.expiresAt > this.clock) {
        hitIndex = i;
        break;
      }
    }
    const usage: CacheUsage = { input: 0, read: 0, write5m: 0, write1h: 0 };
    let boundary = 0;
    if (hitIndex >= 0) {
      const hit = cacheable[hitIndex]!;
      const entry = this.entries.get(key(hit.prefixHash))!;
      const ttl: Ttl = entry.ttl === '1h' || hit.breakpoint === '1h' ? '1h' : '5m';
      this.entries.set(key(hit.prefixHash), { ttl, expiresAt: this.clock + TTL_MS[ttl] });
      usage.read = hit.prefixTokens;
      boundary = hit.prefixTokens;
    }
    for (const bp of cacheable.slice(hitIndex + 1)) {
      const ttl = bp.breakpoint!;
      const seg = bp.prefixTokens - boundary;
      if (ttl === '1h') usage.write1h += seg;
      else usage.write5m += seg;
      boundary = bp.prefixTokens;
      this.entries.set(key(bp.prefixHash), { ttl, expiresAt: this.clock + TTL_MS[ttl] });
    }
    usage.input = prompt.total - boundary;
    return usage;
  }
}

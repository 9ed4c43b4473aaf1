/**
 * The opt-in response cache as the proxy sees it: per request a plan (null = this request does not use the
 * cache, and the proxy's path is exactly what it is without a cache), counters, and the disk store (opened
 * only when a request first uses it, so a daemon with the cache off never touches the cache folder).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { IncomingMessage } from 'node:http';
import type { ResponseCacheCleared, ResponseCacheStatus } from '../../shared/contract.ts';
import { DiskStore, type CachedResponse } from './disk-store.ts';
import { cacheablePath, cacheKey, requestDirectives, type CacheMode } from './key.ts';

export type { CachedResponse } from './disk-store.ts';

/** What forward.ts needs for one request that uses the cache. */
export interface ResponseCachePlan {
  /** The stored answer for this body (and these upstream headers), or null; never rejects. Absent on refresh. */
  lookup: ((body: Buffer, upstreamHeaders: readonly string[]) => Promise<CachedResponse | null>) | null;
  /** A complete 200 answer of the forwarded call (written in the background). */
  store(body: Buffer, upstreamHeaders: readonly string[], response: Omit<CachedResponse, 'createdAt'>): void;
  /** Responses larger than this are not kept. */
  maxEntryBytes: number;
}

export interface ResponseCacheOptions {
  /** The cache folder (entries in `<dir>/responses/`, counters in `<dir>/stats.json`). */
  dir: string;
  /** Default for requests without `x-cco-cache`. */
  enabled: boolean;
  maxBytes: number;
  ttlSeconds: number;
  now?: () => number;
  warn?: (message: string) => void;
}

export interface ResponseCache {
  /** Decides for one request (call after taking its `x-cco-cache` mode). */
  plan(req: IncomingMessage, mode: CacheMode | null): ResponseCachePlan | null;
  /**
   * A hit was recorded; `wouldHaveCost` = its price upstream (nano-USD). Only the `cco cache stats` counter: the
   * hits of a range, session or user are counted by the store's rollups (the records have `cacheHit`).
   */
  noteSaved(wouldHaveCostNanoUsd: number): void;
  status(): ResponseCacheStatus;
  clear(): ResponseCacheCleared;
  /** Waits for entries being written, saves the counters. */
  close(): Promise<void>;
}

interface Counters {
  since: number;
  lookups: number;
  hits: number;
  misses: number;
  stores: number;
  savedNanoUsd: number;
}

/** Entries above this are never kept (the API's own request cap; a response is far smaller in practice). */
const MAX_ENTRY_BYTES = 32 * 1024 * 1024;

export function createResponseCache(opts: ResponseCacheOptions): ResponseCache {
  const now = opts.now ?? Date.now;
  const statsFile = path.join(opts.dir, 'stats.json');
  const counters = readCounters(statsFile) ?? fresh(now());
  let store: DiskStore | null = null;
  let broken = false;
  let saveTimer: NodeJS.Timeout | null = null;

  const open = (): DiskStore | null => {
    if (store || broken) return store;
    try {
      fs.mkdirSync(opts.dir, { recursive: true, mode: 0o700 });
      store = new DiskStore({ dir: opts.dir, maxBytes: opts.maxBytes, ttlMs: opts.ttlSeconds * 1000, now, warn: opts.warn });
    } catch (err) {
      broken = true;
      opts.warn?.(`response cache disabled: ${(err as Error).message}`);
    }
    return store;
  };

  const save = () => {
    if (saveTimer) clearTimeout(saveTimer);
    saveTimer = null;
    if (!store) return;
    const tmp = `${statsFile}.tmp`;
    try {
      fs.writeFileSync(tmp, JSON.stringify(counters) + '\n', { mode: 0o600 });
      fs.renameSync(tmp, statsFile);
    } catch (err) {
      opts.warn?.(`response cache: counters not saved: ${(err as Error).message}`);
    }
  };
  const changed = () => {
    if (saveTimer) return;
    saveTimer = setTimeout(save, 2000);
    saveTimer.unref();
  };

  return {
    plan(req, mode) {
      if (mode === 'off' || (mode === null && !opts.enabled)) return null;
      const method = req.method ?? 'GET';
      const url = req.url ?? '/';
      if (!cacheablePath(method, url)) return null;
      const directives = requestDirectives(req.rawHeaders);
      if (directives.noStore) return null;
      const disk = open();
      if (!disk || opts.maxBytes === 0 || opts.ttlSeconds === 0) return null;
      const refresh = mode === 'refresh' || directives.noCache;
      return {
        maxEntryBytes: Math.min(MAX_ENTRY_BYTES, opts.maxBytes),
        lookup: refresh
          ? null
          : async (body, headers) => {
              let hit: CachedResponse | null = null;
              try {
                hit = await disk.get(cacheKey(method, url, body, headers));
              } catch (err) {
                opts.warn?.(`response cache: lookup failed: ${(err as Error).message}`);
              }
              counters.lookups++;
              if (hit) counters.hits++;
              else counters.misses++;
              changed();
              return hit;
            },
        store(body, headers, response) {
          const key = cacheKey(method, url, body, headers);
          void disk.put(key, { ...response, createdAt: now() }).then((stored) => {
            if (!stored) return;
            counters.stores++;
            changed();
          });
        },
      };
    },
    noteSaved(n) {
      counters.savedNanoUsd += n;
      changed();
    },
    status() {
      const onDisk = store ? { entries: store.entries, bytes: store.bytes } : countEntries(opts.dir);
      return {
        enabled: opts.enabled,
        dir: opts.dir,
        maxBytes: opts.maxBytes,
        ttlSeconds: opts.ttlSeconds,
        ...onDisk,
        ...counters,
        hitRate: counters.lookups ? counters.hits / counters.lookups : 0,
      };
    },
    clear() {
      const removed = open()?.clear() ?? { entries: 0, bytes: 0 };
      Object.assign(counters, fresh(now()));
      save();
      return removed;
    },
    async close() {
      await store?.flush();
      if (saveTimer) save();
    },
  };
}

function fresh(since: number): Counters {
  return { since, lookups: 0, hits: 0, misses: 0, stores: 0, savedNanoUsd: 0 };
}

function readCounters(file: string): Counters | null {
  try {
    const c = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<Counters>;
    const n = (v: unknown) => (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : 0);
    return { since: n(c.since), lookups: n(c.lookups), hits: n(c.hits), misses: n(c.misses), stores: n(c.stores), savedNanoUsd: n(c.savedNanoUsd) };
  } catch {
    return null;
  }
}

/** Entries and bytes in a cache folder without opening it (`cco cache stats` with no daemon). */
export function countEntries(dir: string): { entries: number; bytes: number } {
  let entries = 0;
  let bytes = 0;
  try {
    const d = path.join(dir, 'responses');
    for (const name of fs.readdirSync(d)) {
      if (!name.endsWith('.entry')) continue;
      entries++;
      bytes += fs.statSync(path.join(d, name)).size;
    }
  } catch {
    // no folder yet
  }
  return { entries, bytes };
}

/** The counters saved in a cache folder (for `cco cache stats` with no daemon). */
export function readSavedCounters(dir: string): Counters | null {
  return readCounters(path.join(dir, 'stats.json'));
}

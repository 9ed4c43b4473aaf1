/**
 * The response cache on disk: one file per entry under `<dir>/responses/`, a byte-bounded LRU index in
 * memory, a TTL per entry.
 *
 * Entry file: `CCOC1\n`, sha256 (32 bytes) of everything after it, a uint32 (big endian) meta length, the
 * meta JSON (key, status, status message, response headers, created at, body length), the body bytes as the
 * upstream sent them (still compressed when they were). A file whose checksum, key or length does not match
 * is deleted and reported as a miss: a damaged entry can never produce a wrong answer. Files are written
 * 0600 to a temporary name and renamed into place, so a reader never sees half an entry.
 *
 * At start the index is rebuilt from the folder (name, size, mtime = created at; oldest first), so no index
 * file has to be kept consistent with the entries.
 */
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export interface CachedResponse {
  status: number;
  statusMessage: string;
  /** Response headers as sent to the client (Node raw array: name, value, …). */
  rawHeaders: string[];
  /** Body bytes exactly as the client received them (content-encoding kept). */
  body: Buffer;
  /** Epoch ms when the entry was stored. */
  createdAt: number;
}

interface IndexEntry {
  bytes: number;
  createdAt: number;
}

export interface DiskStoreOptions {
  dir: string;
  maxBytes: number;
  ttlMs: number;
  now?: () => number;
  warn?: (message: string) => void;
}

const MAGIC = Buffer.from('CCOC1\n');
const HEAD = MAGIC.length + 32 + 4;
const KEY_RE = /^[0-9a-f]{64}$/;
/** Entries up to this size are read synchronously on a hit (a 256 KB read from the page cache: ~50 µs). */
const SYNC_READ_BYTES = 256 * 1024;

export function encodeEntry(key: string, r: CachedResponse): Buffer {
  const meta = Buffer.from(JSON.stringify({ key, status: r.status, statusMessage: r.statusMessage, rawHeaders: r.rawHeaders, createdAt: r.createdAt, bodyBytes: r.body.length }));
  const len = Buffer.alloc(4);
  len.writeUInt32BE(meta.length);
  const sum = createHash('sha256').update(len).update(meta).update(r.body).digest();
  return Buffer.concat([MAGIC, sum, len, meta, r.body]);
}

/** The entry in `file` if it is whole and belongs to `key`; null otherwise. */
export function decodeEntry(key: string, file: Buffer): CachedResponse | null {
  if (file.length < HEAD || !file.subarray(0, MAGIC.length).equals(MAGIC)) return null;
  const sum = file.subarray(MAGIC.length, MAGIC.length + 32);
  const rest = file.subarray(MAGIC.length + 32);
  if (!createHash('sha256').update(rest).digest().equals(sum)) return null;
  const metaLen = rest.readUInt32BE(0);
  if (4 + metaLen > rest.length) return null;
  let meta: { key?: unknown; status?: unknown; statusMessage?: unknown; rawHeaders?: unknown; createdAt?: unknown; bodyBytes?: unknown };
  try {
    meta = JSON.parse(rest.subarray(4, 4 + metaLen).toString('utf8')) as typeof meta;
  } catch {
    return null;
  }
  const body = rest.subarray(4 + metaLen);
  const headers = meta.rawHeaders;
  if (
    meta.key !== key ||
    typeof meta.status !== 'number' ||
    typeof meta.statusMessage !== 'string' ||
    typeof meta.createdAt !== 'number' ||
    meta.bodyBytes !== body.length ||
    !Array.isArray(headers) ||
    headers.length % 2 !== 0 ||
    !headers.every((h) => typeof h === 'string')
  ) {
    return null;
  }
  return { status: meta.status, statusMessage: meta.statusMessage, rawHeaders: headers as string[], body, createdAt: meta.createdAt };
}

export class DiskStore {
  readonly dir: string;
  private readonly index = new Map<string, IndexEntry>(); // insertion order = least recently used first
  private total = 0;
  private readonly now: () => number;
  /** Writes under way: a lookup of the same key waits for it (a client that asks again at once gets the hit). */
  private readonly pending = new Map<string, Promise<boolean>>();

  constructor(private readonly opts: DiskStoreOptions) {
    this.dir = path.join(opts.dir, 'responses');
    this.now = opts.now ?? Date.now;
    fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const found: [string, IndexEntry][] = [];
    for (const name of fs.readdirSync(this.dir)) {
      const file = path.join(this.dir, name);
      if (name.endsWith('.tmp')) {
        fs.rmSync(file, { force: true }); // a write a crash interrupted
        continue;
      }
      const key = name.endsWith('.entry') ? name.slice(0, -6) : '';
      if (!KEY_RE.test(key)) continue;
      try {
        const st = fs.statSync(file);
        found.push([key, { bytes: st.size, createdAt: st.mtimeMs }]);
      } catch {
        // vanished meanwhile
      }
    }
    found.sort((a, b) => a[1].createdAt - b[1].createdAt);
    for (const [key, e] of found) {
      this.index.set(key, e);
      this.total += e.bytes;
    }
    this.evict();
  }

  get entries(): number {
    return this.index.size;
  }

  get bytes(): number {
    return this.total;
  }

  get maxBytes(): number {
    return this.opts.maxBytes;
  }

  get ttlMs(): number {
    return this.opts.ttlMs;
  }

  private fileOf(key: string): string {
    return path.join(this.dir, `${key}.entry`);
  }

  private expired(createdAt: number): boolean {
    return this.now() - createdAt >= this.opts.ttlMs;
  }

  /** The stored response for `key`, or null (absent, expired or damaged: the last two are deleted). */
  async get(key: string): Promise<CachedResponse | null> {
    const writing = this.pending.get(key);
    if (writing) await writing;
    const e = this.index.get(key);
    if (!e) return null;
    if (this.expired(e.createdAt)) {
      this.drop(key);
      return null;
    }
    let bytes: Buffer;
    try {
      // A small entry is read at once: one read from the page cache costs less than the four thread-pool
      // round trips of an async readFile (open, fstat, read, close), each an event-loop wake-up.
      bytes = e.bytes <= SYNC_READ_BYTES ? fs.readFileSync(this.fileOf(key)) : await fs.promises.readFile(this.fileOf(key));
    } catch {
      this.forget(key);
      return null;
    }
    const entry = decodeEntry(key, bytes);
    if (!entry || this.expired(entry.createdAt)) {
      if (!entry) this.opts.warn?.(`response cache: entry ${key.slice(0, 12)} is damaged; deleted (a miss)`);
      this.drop(key);
      return null;
    }
    // most recently used: to the end of the map
    this.index.delete(key);
    this.index.set(key, e);
    return entry;
  }

  /** Stores (or replaces) an entry; false when it is larger than the whole cache. */
  put(key: string, r: CachedResponse): Promise<boolean> {
    const write = this.write(key, r).finally(() => {
      if (this.pending.get(key) === write) this.pending.delete(key);
    });
    this.pending.set(key, write);
    return write;
  }

  private async write(key: string, r: CachedResponse): Promise<boolean> {
    const bytes = encodeEntry(key, r);
    if (bytes.length > this.opts.maxBytes) return false;
    const tmp = path.join(this.dir, `${key}.${randomBytes(6).toString('hex')}.tmp`);
    try {
      await fs.promises.writeFile(tmp, bytes, { mode: 0o600, flag: 'wx' });
      await fs.promises.rename(tmp, this.fileOf(key));
    } catch (err) {
      await fs.promises.rm(tmp, { force: true }).catch(() => undefined);
      this.opts.warn?.(`response cache: could not store an entry: ${(err as Error).message}`);
      return false;
    }
    this.forget(key);
    this.index.set(key, { bytes: bytes.length, createdAt: r.createdAt });
    this.total += bytes.length;
    this.evict();
    return true;
  }

  /** Resolves once every write under way has landed (or failed). */
  async flush(): Promise<void> {
    await Promise.allSettled([...this.pending.values()]);
  }

  /** Deletes every entry; returns what was removed. */
  clear(): { entries: number; bytes: number } {
    const removed = { entries: this.index.size, bytes: this.total };
    for (const key of [...this.index.keys()]) this.drop(key);
    return removed;
  }

  /** Expired entries first, then least recently used ones until the total fits the bound. */
  private evict(): void {
    for (const [key, e] of this.index) if (this.expired(e.createdAt)) this.drop(key);
    for (const key of this.index.keys()) {
      if (this.total <= this.opts.maxBytes) break;
      this.drop(key);
    }
  }

  private forget(key: string): void {
    const e = this.index.get(key);
    if (!e) return;
    this.index.delete(key);
    this.total -= e.bytes;
  }

  private drop(key: string): void {
    this.forget(key);
    try {
      fs.rmSync(this.fileOf(key), { force: true });
    } catch {
      // already gone
    }
  }
}

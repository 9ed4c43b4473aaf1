/**
 * What the importer remembers between runs, in `<data>/history/`:
 * - `files.json`: per transcript file its identity (device + inode), the size seen and the byte offset up to
 *   which every response is stored. Written atomically (tmp → fsync → rename) only after the records of those
 *   bytes are in the store, so a kill -9 makes the next run re-read a little, never skip.
 * - `links.ndjson`: one line per proxy record that a transcript also shows (same request id): the transcript's
 *   own figures for it, for reconciliation. Append-only; a line written twice (a re-read after a crash) is
 *   read once.
 */
import fs from 'node:fs';
import path from 'node:path';

export interface FileState {
  path: string;
  dev: number;
  ino: number;
  size: number;
  offset: number;
  mtimeMs: number;
}

export interface HistoryLink {
  /** The proxy record's id. */
  proxyId: string;
  requestId: string;
  /** Transcript timestamp (ms). */
  at: number;
  model: string;
  sessionId: string | null;
  project: string | null;
  agentId: string | null;
  /** The transcript's tokens: input, 5m writes, 1h writes, cache reads, output. */
  tokens: [number, number, number, number, number];
}

const FILES = 'files.json';
const LINKS = 'links.ndjson';

export class HistoryState {
  readonly dir: string;
  /** By `dev:ino`. */
  private files = new Map<string, FileState>();
  private linked: Set<string> | null = null;
  /** Whether files.json exists (an import ran in this data folder before, or has saved since). */
  existed: boolean;

  constructor(dataDir: string) {
    this.dir = path.join(dataDir, 'history');
    fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    let existed = false;
    try {
      const raw = JSON.parse(fs.readFileSync(path.join(this.dir, FILES), 'utf8')) as { files?: FileState[] };
      existed = true;
      for (const f of raw.files ?? []) this.files.set(`${f.dev}:${f.ino}`, f);
    } catch {
      // First run (or an unreadable state file: then everything is read again; ids make it idempotent).
    }
    this.existed = existed;
  }

  get(dev: number, ino: number): FileState | undefined {
    return this.files.get(`${dev}:${ino}`);
  }

  /** Files held. */
  get size(): number {
    return this.files.size;
  }

  /** By the `dev:ino` key the walk made (sources.ts). */
  byId(id: string): FileState | undefined {
    return this.files.get(id);
  }

  set(f: FileState): void {
    this.files.set(`${f.dev}:${f.ino}`, f);
  }

  /** Forgets files under `roots` that are no longer there (their records stay in the store). */
  retain(present: ReadonlySet<string>, roots: readonly string[]): void {
    const under = (p: string): boolean => roots.some((r) => p === r || p.startsWith(r.endsWith(path.sep) ? r : r + path.sep));
    for (const [k, f] of this.files) if (!present.has(k) && under(f.path)) this.files.delete(k);
  }

  all(): FileState[] {
    return [...this.files.values()];
  }

  save(): void {
    const file = path.join(this.dir, FILES);
    const tmp = `${file}.tmp`;
    const fd = fs.openSync(tmp, 'w', 0o600);
    try {
      fs.writeSync(fd, JSON.stringify({ version: 1, files: this.all() }));
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
    this.existed = true;
  }

  /** Ids of proxy records already linked. */
  linkedIds(): Set<string> {
    if (!this.linked) {
      this.linked = new Set();
      for (const l of readLinks(this.dir)) this.linked.add(l.proxyId);
    }
    return this.linked;
  }

  appendLinks(links: readonly HistoryLink[]): void {
    if (!links.length) return;
    const ids = this.linkedIds();
    const fresh = links.filter((l) => !ids.has(l.proxyId));
    if (!fresh.length) return;
    const fd = fs.openSync(path.join(this.dir, LINKS), 'a', 0o600);
    try {
      fs.writeSync(fd, fresh.map((l) => JSON.stringify(l)).join('\n') + '\n');
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    for (const l of fresh) ids.add(l.proxyId);
  }
}

/** Every link (once per proxy record; a torn last line is skipped). */
export function readLinks(historyDir: string): HistoryLink[] {
  let text: string;
  try {
    text = fs.readFileSync(path.join(historyDir, LINKS), 'utf8');
  } catch {
    return [];
  }
  const seen = new Set<string>();
  const out: HistoryLink[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    try {
      const l = JSON.parse(line) as HistoryLink;
      if (typeof l.proxyId !== 'string' || seen.has(l.proxyId)) continue;
      seen.add(l.proxyId);
      out.push(l);
    } catch {
      // torn line from a crash mid-append
    }
  }
  return out;
}

/**
 * Claude Code history → the store, incrementally.
 *
 * One `run()` walks the transcript folders and reads each file from where the last run stopped (state.ts):
 * same device + inode and a size ≥ the offset → from the offset; a new identity → from 0 (a rotated or
 * replaced file; a file renamed keeps its identity and its offset); a size below the offset → truncated, from
 * 0. Files that vanished are forgotten; what was imported from them stays.
 *
 * Responses are de-duplicated by message id + request id, keeping the last (most complete) usage: a file's
 * pending responses live in a small insertion-ordered map until they are old (256 newer ones) or the file
 * ends. The last response of a file written in the last `settleMs` is held back (its next repeat may still
 * come) and read again next time.
 *
 * Batches (≤ batchSize responses) are checked against the store by request id: a proxy record with that id
 * is the same request — it wins, and a link with the transcript's figures is written instead of a row; a
 * history record with that id is already imported (a resumed session repeats earlier lines); the rest go
 * through `addBulk`. File offsets are saved only after their batch is stored.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ImportProgress, ImportReport, RequestRecord } from '../../shared/contract.ts';

export type { ImportProgress, ImportReport };
import type { Pricer } from '../pricing/index.ts';
import { readLines } from './lines.ts';
import { historyRecord } from './record.ts';
import { DirListings, walkTranscripts } from './sources.ts';
import { HistoryState, type HistoryLink } from './state.ts';
import { entryKey, parseTranscriptLine, type TranscriptEntry } from './transcript.ts';

/** The part of the store the importer needs (Store from daemon/store satisfies it). */
export interface HistorySink {
  addBulk(records: readonly RequestRecord[]): Promise<{ inserted: number; skipped: number; invalid: number }>;
  findByUpstreamRequestIds(ids: readonly string[], range?: { from?: number; to?: number }): Promise<RequestRecord[]>;
}

export interface ImporterOptions {
  dataDir: string;
  sink: HistorySink;
  pricer: () => Pricer;
  /** Folders to read (`projects` folders, or any folder holding `.jsonl` transcripts). */
  roots: readonly string[];
  /**
   * Responses per store batch; default 500. 1000 against 5000 (same build, alternating, 100 MB, load 8):
   * `cco import` peak RSS 202–221 MB against 252–280 MB at about the same CPU, the pipeline alone on 1 GB
   * 111 MB against 196 MB (fewer entries and records alive, two batches at a time). 500 against 1000 (once
   * addBulk no longer snapshotted after every batch, load 6–7): 180–185 MB against 196–201 MB, CPU 6.8–7.3
   * against 6.3–7.1 s (docs/design.md, h15-rss).
   */
  batchSize?: number;
  /** A file changed more recently than this keeps its last response back for the next run; default 2000. */
  settleMs?: number;
  maxLineBytes?: number;
  now?: () => number;
  /** Yield between reads (the daemon passes a setImmediate wait so the proxy keeps serving). */
  between?: () => Promise<void> | void;
  /** Share one state between importers of the same data dir (the daemon's follow loop and `cco import --path`). */
  state?: HistoryState;
  /**
   * Read transcripts with fs.readSync (default true: no thread-pool round trip per open, read and close).
   * The daemon sets false: its proxy shares the thread, and a slow disk or network folder must not hold it.
   */
  syncReads?: boolean;
}

export interface RunOptions {
  /** Only responses at or after this time (ms). A run with `since` does not save file offsets. */
  since?: number;
  progress?: (p: ImportProgress) => void;
  /** Stops the run between two reads (what is stored stays stored, and its offsets saved); the run rejects. */
  signal?: AbortSignal;
}

interface Pending {
  entry: TranscriptEntry;
  /** Offset of the response's first line in its file. */
  firstAt: number;
}

const PENDING_PER_FILE = 256;
/**
 * files.json is written (and fsync'ed) at most this often during a run, and at its end: each write is the
 * whole state (6,645 files: ~1 MB) and an fsync, which took most of a 100 MB import's wall time when
 * written after every batch on a busy disk. Offsets advance in memory after every stored batch; a kill -9
 * re-reads what the last second stored, and the deterministic ids make that re-read store nothing twice.
 */
const SAVE_EVERY_MS = 1000;
/** A transcript line is written after the response ended; its request started at most this much earlier. */
const LOOKBACK_MS = 86_400_000;

/**
 * A batch's request-id lookups, one per UTC month of the entries' times: each id is searched only in the
 * days before its own entry, not in the batch's whole span. A batch of a time-ordered import still holds a
 * few stray entries of earlier months, and searched with them, every id of the batch was checked against
 * every sealed month in between (a Bloom filter "maybe" opens a month file: docs/design.md, h15-importstore).
 */
export function lookups(entries: readonly TranscriptEntry[]): { ids: string[]; from: number; to: number }[] {
  const byMonth = new Map<number, { ids: Set<string>; from: number; to: number }>();
  for (const e of entries) {
    if (!e.requestId) continue;
    const d = new Date(e.at);
    const key = d.getUTCFullYear() * 12 + d.getUTCMonth();
    const g = byMonth.get(key);
    if (!g) byMonth.set(key, { ids: new Set([e.requestId]), from: e.at, to: e.at });
    else {
      g.ids.add(e.requestId);
      if (e.at < g.from) g.from = e.at;
      if (e.at > g.to) g.to = e.at;
    }
  }
  return [...byMonth.values()].map((g) => ({ ids: [...g.ids], from: g.from, to: g.to }));
}

export class HistoryImporter {
  readonly state: HistoryState;
  private running: Promise<ImportReport> | null = null;
  /** Folder listings reused by the next unchanged rescan (sources.ts). */
  readonly listings = new DirListings();

  constructor(private readonly opts: ImporterOptions) {
    this.state = opts.state ?? new HistoryState(opts.dataDir);
  }

  /** One incremental pass; concurrent calls share the pass in progress. */
  run(ro: RunOptions = {}): Promise<ImportReport> {
    if (this.running) return this.running;
    const p = this.doRun(ro).finally(() => {
      this.running = null;
    });
    this.running = p;
    return p;
  }

  private async doRun(ro: RunOptions): Promise<ImportReport> {
    const o = this.opts;
    const now = o.now ?? Date.now;
    const startedAt = now();
    const settleMs = o.settleMs ?? 2000;
    const batchSize = o.batchSize ?? 500;
    const saveState = ro.since === undefined;
    const pricer = o.pricer();
    const roots = o.roots.map((r) => path.resolve(r));
    const walk = await walkTranscripts(roots, this.listings);
    const report: ImportReport = {
      roots, missingRoots: walk.missingRoots, files: walk.files.length, filesUnchanged: 0, filesRestarted: 0,
      bytesRead: 0, responses: 0, imported: 0, alreadyStored: 0, linked: 0, beforeSince: 0, unpriced: 0,
      syntheticLines: 0, malformedLines: 0, oversizedLines: 0, problems: [...walk.problems], durationMs: 0,
    };
    // Work list: what to read of each file.
    const work: { path: string; dev: number; ino: number; size: number; mtimeMs: number; from: number }[] = [];
    let known = 0; // files of this walk the state holds
    for (const f of walk.files) {
      const prev = this.state.byId(f.id);
      if (prev) known++;
      let from = 0;
      const truncated = prev !== undefined && f.size < prev.offset;
      if (prev && !truncated) from = prev.offset;
      if (truncated) report.filesRestarted++; // read again from 0 (and its offset saved, even when now empty)
      if (from === f.size && !truncated) {
        report.filesUnchanged++;
        if (prev && prev.path !== f.path && saveState) this.state.set({ ...prev, path: f.path });
        continue;
      }
      work.push({ ...f, from });
    }
    // Files that vanished from these roots are forgotten; when the state holds no file but this walk's, there
    // is none (an unchanged rescan skips the pass over every saved file).
    if (saveState && known < this.state.size) this.state.retain(new Set(walk.files.map((f) => f.id)), roots);
    // Oldest change first (roughly time order: a transcript's mtime is its last line's time), so that a
    // batch holds one or two months' requests, not every month's: a past month takes bulk rows straight into
    // its own database, at most MAX_DIRECT_MONTHS at a time, and the rest wait in cco.sqlite for a fold.
    work.sort((a, b) => a.mtimeMs - b.mtimeMs || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    const progress: ImportProgress = {
      filesDone: report.files - work.length, filesTotal: report.files, bytesDone: 0,
      bytesTotal: work.reduce((s, w) => s + (w.size - w.from), 0), startedAt, imported: 0,
    };
    ro.progress?.({ ...progress });

    let batch: TranscriptEntry[] = [];
    /** Offsets to save once the current batch is stored. */
    let commits: { path: string; dev: number; ino: number; size: number; mtimeMs: number; offset: number }[] = [];
    let dirty = false; // offsets advanced since files.json was written
    let savedAt = performance.now();
    /**
     * The batch being stored while the next one is read and parsed (at most one: the store's worker thread
     * inserts while this thread parses). Batches are stored in order, each one's offsets committed only once
     * it is stored, and a batch's request-id lookup sees every earlier batch in the store.
     */
    let storing: Promise<void> | null = null;
    const storeAndCommit = async (entries: TranscriptEntry[], done: typeof commits): Promise<void> => {
      if (entries.length) await this.store(entries, pricer, report);
      progress.imported = report.imported;
      if (saveState && done.length) {
        for (const c of done) this.state.set(c);
        dirty = true;
        if (performance.now() - savedAt >= SAVE_EVERY_MS) {
          this.state.save();
          dirty = false;
          savedAt = performance.now();
        }
      }
    };
    /** Hands the current batch to the store once the previous one is stored (its failure is thrown here). */
    const flush = async (): Promise<void> => {
      if (storing) await storing;
      storing = storeAndCommit(batch, commits);
      storing.catch(() => undefined); // awaited by the next flush or at the end; not an unhandled rejection
      batch = [];
      commits = [];
    };
    const sync = o.syncReads ?? true;

    try {
      for (const w of work) {
        ro.signal?.throwIfAborted();
        const pending = new Map<string, Pending>();
        const emit = (p: Pending): void => {
          if (ro.since !== undefined && p.entry.at < ro.since) report.beforeSince++;
          else batch.push(p.entry);
          report.responses++;
        };
        let fh: fs.promises.FileHandle | number;
        try {
          fh = sync ? fs.openSync(w.path, 'r') : await fs.promises.open(w.path, 'r');
        } catch (err) {
          report.problems.push({ path: w.path, code: (err as NodeJS.ErrnoException).code ?? 'EIO' });
          continue;
        }
        let end = w.from;
        let lineEnd = w.from; // just past the last complete line handed out
        const doneBefore = progress.bytesDone;
        try {
          const res = await readLines(fh, w.from, {
            line: (bytes, at) => {
              lineEnd = at + bytes.length + 1;
              const v = parseTranscriptLine(bytes);
              if (v.kind === 'entry') {
                const key = entryKey(v.entry);
                const prev = pending.get(key);
                if (prev) {
                  pending.delete(key); // re-insert: a repeat makes the response recent again
                  pending.set(key, { entry: v.entry, firstAt: prev.firstAt });
                } else {
                  pending.set(key, { entry: v.entry, firstAt: at });
                  if (pending.size > PENDING_PER_FILE) {
                    const oldest = pending.keys().next().value!;
                    emit(pending.get(oldest)!);
                    pending.delete(oldest);
                  }
                }
              } else if (v.kind === 'malformed') report.malformedLines++;
              else if (v.why === 'synthetic') report.syntheticLines++;
            },
            oversized: (at, n) => {
              lineEnd = at + n + 1;
              report.oversizedLines++;
            },
          }, {
            until: w.size,
            ...(o.maxLineBytes !== undefined && { maxLineBytes: o.maxLineBytes }),
            progress: (off) => {
              progress.bytesDone = doneBefore + (off - w.from);
            },
            between: async () => {
              if (batch.length >= batchSize) {
                // Save this file's offset only up to what is stored: before every response still pending.
                let safe = lineEnd;
                for (const p of pending.values()) safe = Math.min(safe, p.firstAt);
                commits.push({ path: w.path, dev: w.dev, ino: w.ino, size: w.size, mtimeMs: w.mtimeMs, offset: safe });
                await flush();
                ro.progress?.({ ...progress });
              }
              await o.between?.();
              ro.signal?.throwIfAborted();
            },
          });
          end = res.end;
          report.bytesRead += res.bytesRead;
          progress.bytesDone = doneBefore + (w.size - w.from);
        } catch (err) {
          if (ro.signal?.aborted) throw err;
          report.problems.push({ path: w.path, code: (err as NodeJS.ErrnoException).code ?? 'EIO' });
        } finally {
          if (typeof fh === 'number') fs.closeSync(fh);
          else await fh.close().catch(() => undefined);
        }
        // The last response of a file still being written may get another repeat: keep it for next time.
        let offset = end;
        const recent = now() - w.mtimeMs < settleMs;
        const entries = [...pending.values()];
        if (recent && entries.length) {
          const last = entries.pop()!;
          offset = last.firstAt;
        }
        for (const p of entries) emit(p);
        commits.push({ path: w.path, dev: w.dev, ino: w.ino, size: w.size, mtimeMs: w.mtimeMs, offset });
        progress.filesDone++;
        if (batch.length >= batchSize) await flush();
        ro.progress?.({ ...progress });
      }
      await flush();
      await storing;
    } finally {
      // The offsets of what is stored, also when the run stops early (an abort, a store error).
      await (storing as Promise<void> | null)?.catch(() => undefined);
      if (dirty) this.state.save();
    }
    if (saveState && !this.state.existed) this.state.save();
    report.durationMs = now() - startedAt;
    ro.progress?.({ ...progress });
    return report;
  }

  /** Stores one batch: links for proxy records, nothing for what is stored already, addBulk for the rest. */
  private async store(entries: TranscriptEntry[], pricer: Pricer, report: ImportReport): Promise<void> {
    // One entry per response in the batch (a resumed session's copy of a response is the same response).
    const byKey = new Map<string, TranscriptEntry>();
    for (const e of entries) byKey.set(entryKey(e), e);
    const unique = [...byKey.values()];
    const stored = new Map<string, RequestRecord>();
    for (const { ids, from, to } of lookups(unique)) {
      for (let i = 0; i < ids.length; i += 1000) {
        for (const r of await this.opts.sink.findByUpstreamRequestIds(ids.slice(i, i + 1000), { from: from - LOOKBACK_MS, to: to + 1 })) {
          // A proxy record wins over a history record with the same id.
          const had = stored.get(r.upstreamRequestId!);
          if (!had || (had.source !== 'proxy' && r.source === 'proxy')) stored.set(r.upstreamRequestId!, r);
        }
      }
    }
    const links: HistoryLink[] = [];
    const fresh: RequestRecord[] = [];
    for (const e of unique) {
      const match = e.requestId ? stored.get(e.requestId) : undefined;
      if (match?.source === 'proxy') {
        const t = historyRecord(e, pricer).tokens;
        links.push({
          proxyId: match.id, requestId: e.requestId!, at: e.at, model: e.model, sessionId: e.sessionId, project: e.project,
          agentId: e.agentId, tokens: [t.input, t.cacheWrite5m, t.cacheWrite1h, t.cacheRead, t.output],
        });
      } else if (match) report.alreadyStored++;
      else fresh.push(historyRecord(e, pricer));
    }
    this.state.appendLinks(links);
    report.linked += links.length;
    if (fresh.length) {
      const res = await this.opts.sink.addBulk(fresh);
      report.imported += res.inserted;
      report.alreadyStored += res.skipped;
      report.unpriced += fresh.filter((r) => r.costNanoUsd === null).length;
    }
  }
}

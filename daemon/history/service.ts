/**
 * The daemon's side of the history import: on the first start (no `<data>/history/files.json` yet) it imports
 * every transcript in the background, then follows new lines by re-running the incremental import every
 * `followIntervalMs` (default 2 s: an unchanged rescan is a folder walk and one stat per file). The proxy
 * never waits for it: reads yield to the event loop between 1 MB chunks. Progress and results go to the live
 * feed as `{ type: 'import' }` messages.
 *
 * Polling rather than fs.watch: recursive watching is not portable on Node 20 (Linux gets one inotify watch
 * per folder, which a big `projects` tree exhausts), and a poll sees files on synced or network folders too.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ImportProgress, ImportReport, ImportStatus, RequestRecord, SeenBy } from '../../shared/contract.ts';
import type { Pricer } from '../pricing/index.ts';
import { HistoryImporter, type HistorySink } from './importer.ts';
import { defaultRoots } from './sources.ts';
import { HistoryState, readLinks, type HistoryLink } from './state.ts';

export interface HistoryServiceOptions {
  dataDir: string;
  sink: HistorySink;
  pricer: () => Pricer;
  /** Transcript folders; default defaultRoots() (CLAUDE_CONFIG_DIR, ~/.claude, ~/.config/claude). */
  roots?: readonly string[];
  /** 0 = do not follow (import only when asked). Default 2000. */
  followIntervalMs?: number;
  /** Run the first-start import when the data dir has never imported. Default true. */
  firstImport?: boolean;
  settleMs?: number;
  publish?: (status: ImportStatus) => void;
  log?: (level: 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => void;
}

export interface HistoryService {
  status(): ImportStatus;
  /** One import now (default roots, or `roots` for a one-off `cco import --path`); resolves with its report. */
  importNow(o?: { roots?: readonly string[]; since?: number }): Promise<ImportReport>;
  links(): HistoryLink[];
  /** Which side saw a record: 'both' when a transcript line is linked to this proxy record. */
  seenBy(r: RequestRecord): SeenBy;
  close(): Promise<void>;
}

const FIRST_IMPORT = 'first-import.json';
const yieldToLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export function startHistoryService(o: HistoryServiceOptions): HistoryService {
  const roots = o.roots ?? defaultRoots();
  const log = o.log ?? (() => undefined);
  const stop = new AbortController();
  const state = new HistoryState(o.dataDir);
  const make = (r: readonly string[]): HistoryImporter =>
    new HistoryImporter({
      dataDir: o.dataDir, sink: o.sink, pricer: o.pricer, roots: r, between: yieldToLoop, syncReads: false,
      state, ...(o.settleMs !== undefined && { settleMs: o.settleMs }),
    });
  const importer = make(roots);
  const historyDir = state.dir;
  let firstImport: ImportStatus['firstImport'] = null;
  try {
    firstImport = JSON.parse(fs.readFileSync(path.join(historyDir, FIRST_IMPORT), 'utf8')) as ImportStatus['firstImport'];
  } catch {
    // not yet
  }
  let running = 0;
  let progress: ImportProgress | null = null;
  let last: ImportReport | null = null;
  let closed = false;
  let timer: NodeJS.Timeout | null = null;
  let chain: Promise<unknown> = Promise.resolve();
  let lastPublish = 0;

  const status = (): ImportStatus => ({ running: running > 0, progress, last, firstImport, following: timer !== null });
  const publish = (force: boolean): void => {
    const now = Date.now();
    if (!force && now - lastPublish < 250) return;
    lastPublish = now;
    o.publish?.(status());
  };

  /** Runs imports one after another (the follow poll, the first import and `cco import` share the state file). */
  const queue = (imp: HistoryImporter, since: number | undefined, quiet: boolean): Promise<ImportReport> => {
    const run = chain.then(async () => {
      running++;
      try {
        const report = await imp.run({
          signal: stop.signal,
          ...(since !== undefined && { since }),
          progress: (p) => {
            progress = p;
            // The follow poll stays off the feed unless it found something to read.
            if (!quiet || p.bytesTotal > 0) publish(false);
          },
        });
        last = report;
        if (report.imported || report.linked || report.problems.length) {
          log('info', 'history import', { imported: report.imported, linked: report.linked, files: report.files, problems: report.problems.length });
        }
        return report;
      } finally {
        running--;
        progress = null;
        if (!quiet || (last && (last.imported || last.linked))) publish(true);
      }
    });
    chain = run.catch(() => undefined);
    return run;
  };

  const first = firstImport === null && (o.firstImport ?? true);
  if (first) {
    void queue(importer, undefined, false)
      .then((report) => {
        firstImport = { imported: report.imported, finishedAt: Date.now() };
        try {
          fs.writeFileSync(path.join(historyDir, FIRST_IMPORT), JSON.stringify(firstImport), { mode: 0o600 });
        } catch (err) {
          log('warn', `history: cannot save ${FIRST_IMPORT}: ${(err as Error).message}`);
        }
        publish(true);
      })
      .catch((err: Error) => {
        if (!closed) log('error', `history: first import failed: ${err.message}`);
      });
  }
  const interval = o.followIntervalMs ?? 2000;
  if (interval > 0) {
    const tick = (): void => {
      if (closed) return;
      void queue(importer, undefined, true)
        .catch((err: Error) => {
          if (!closed) log('error', `history: follow failed: ${err.message}`);
        })
        .finally(() => {
          if (!closed) timer = setTimeout(tick, interval).unref();
        });
    };
    timer = setTimeout(tick, first ? 0 : interval).unref();
  }

  return {
    status,
    importNow(r = {}) {
      const imp = r.roots && r.roots.length ? make(r.roots) : importer;
      return queue(imp, r.since, false);
    },
    links: () => readLinks(historyDir),
    seenBy: (r) => (r.source === 'history' ? 'history' : state.linkedIds().has(r.id) ? 'both' : 'proxy'),
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      timer = null;
      stop.abort();
      await chain;
    },
  };
}

/**
 * The store worker: owns the sql.js database. Records arrive as `add-lines` messages, already batched by
 * the main thread (one per ~50 ms), and each message is inserted at once in one transaction: parsed
 * records then die young (holding them longer promoted them to the old generation and cost full GCs).
 * Calls run one at a time, in arrival order, each after the pending batch is applied — so a reply
 * reflects every record posted before the call.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { Database } from 'sql.js';
import type { RequestRecord, SeriesPoint, Summary } from '../../shared/contract.ts';
import { defaultSqlWasm, openDatabase, loadSqlJs, spareDatabase, writeSnapshot, type SqlWasm } from './db.ts';
import type { CallMessage, InitResult, LogLevel, WorkerCalls, WorkerInbound, WorkerOutbound } from './messages.ts';
import { readSegment } from './replay.ts';
import { Interner } from './interner.ts';
import { RowWriter } from './rows.ts';
import { listSegments, segmentPath } from './segments.ts';
import { SummaryCache } from './summary-cache.ts';
import { BufferWatch } from './gc.ts';
import { PartitionedStore } from './partitioned.ts';
import { limitWasmCompileThreads } from './wasm-threads.ts';
import { SNAPSHOT_FILE } from './db.ts';
import { ENCODERS } from '../api/export-format.ts';
import type { PrestartData } from './prestart.ts';
import fs from 'node:fs';
import path from 'node:path';

/** Replay inserts this many records per transaction. */
const BATCH_MAX = 500;

const port = parentPort;
if (!port) throw new Error('store-worker must run in a worker thread');

/** sql.js' wasm compiled on one background thread (wasm-threads.ts), set before sql.js loads. */
limitWasmCompileThreads();

/**
 * A worker started ahead of its `init` (store/prestart.ts: `cco run` starts it before loading the daemon)
 * instantiates the default sql.js at once, while the main thread is still busy; `init` then takes it.
 */
const preloaded = (workerData as Partial<PrestartData> | null)?.preloadSqlJs ? loadSqlJs() : null;
preloaded?.catch(() => undefined); // a failure is init's to report

/**
 * Then, still before `init`, it makes a new database (`spareDatabase`: from the schema's image, its schema read):
 * a new store's database, which `init` takes when the data folder has no cco.sqlite; otherwise init closes it,
 * and making it compiled the code that opening cco.sqlite runs too. Registered before init's `await` on the same
 * promise, so it is made before init continues, even when init arrives first.
 */
let spare: Database | null = null;
preloaded?.then(
  (SQL) => {
    try {
      spare = spareDatabase(SQL);
    } catch {
      spare = null; // init makes its own
    }
  },
  () => undefined,
);

const post = (m: WorkerOutbound): void => port.postMessage(m);
/** Posts `m` handing over (not copying) the buffers in `transfer`. */
const postMoving = (m: WorkerOutbound, transfer: ArrayBuffer[]): void => port.postMessage(m, transfer);
const log = (level: LogLevel, msg: string): void => post({ type: 'log', level, msg });

interface Open {
  db: Database;
  writer: RowWriter;
  dataDir: string;
  parts: PartitionedStore;
  summaries: SummaryCache;
}
let open: Open | null = null;
/** The store's clock (StoreOptions.now) as the main thread last sent it, as an offset from this thread's. */
let clockOffset = 0;
const clock = (): number => Date.now() + clockOffset;
const setClock = (now: number | undefined): void => {
  if (now !== undefined) clockOffset = now - Date.now();
};
const pending: RequestRecord[] = [];
const buffers = new BufferWatch();

/**
 * One more collection a second after a snapshot. Under load (CI at load 8–10, twice), a copy exactly the size
 * of cco.sqlite — the export's — was still counted 10 s after the snapshot's own collections, and an idle
 * worker runs no other GC to find it. Not reproduced on a quiet machine; the likely cause is a GC cycle already
 * under way when the copy was allocated, which then keeps it for that cycle. A later, separate collection
 * frees it; a copy really still referenced would stay (index.test.ts checks the count comes down).
 */
let againTimer: NodeJS.Timeout | null = null;
function collectAgainSoon(): void {
  if (againTimer) return;
  againTimer = setTimeout(() => {
    againTimer = null;
    buffers.collect();
  }, 1000);
  againTimer.unref();
}
const utf8 = new TextDecoder();
const utf8Out = new TextEncoder();

/**
 * The JSON text of kept days' series points: the summary cache shares a kept day's point object between
 * answers and never changes it once made (summary-cache.ts), so its text is written once, not at every call
 * (most of an `all` answer is its 365 points). Points of days no longer kept are collected with their text.
 */
const pointTexts = new WeakMap<SeriesPoint, string>();

function pointText(p: SeriesPoint): string {
  let t = pointTexts.get(p);
  if (t === undefined) pointTexts.set(p, (t = JSON.stringify(p)));
  return t;
}

/** `JSON.stringify(s)`, byte for byte (keys in order, undefined values left out), the series from pointText. */
function summaryText(s: Summary): string {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(s)) {
    if (value === undefined) continue;
    parts.push(`${JSON.stringify(key)}:${key === 'series' ? `[${(value as SeriesPoint[]).map(pointText).join(',')}]` : JSON.stringify(value)}`);
  }
  return `{${parts.join(',')}}`;
}

function insert(records: RequestRecord[]): number {
  if (!open) return 0;
  return open.parts.insert(records, (r, err) => log('error', `store: record ${r.id} not stored: ${err.message}`));
}

/** Closes idle month databases (checked every IDLE_CHECK_MS); their buffers are returned at once. */
const IDLE_CHECK_MS = 10_000;
setInterval(() => {
  if (open && open.parts.closeIdle() > 0) buffers.collect();
}, IDLE_CHECK_MS).unref();

function applyPending(): void {
  if (!open || pending.length === 0) return;
  const batch = pending.splice(0);
  try {
    insert(batch);
  } catch (err) {
    log('error', `store: batch of ${batch.length} not applied: ${(err as Error).message}`);
  }
  buffers.check(); // the database file may have moved to a larger buffer
}

function need(): Open {
  if (!open) throw new Error('store not open');
  applyPending();
  return open;
}

async function init(dataDir: string, sqlWasm?: SqlWasm): Promise<InitResult> {
  const usePreloaded = preloaded !== null && (sqlWasm === undefined || sqlWasm === defaultSqlWasm());
  const SQL = await (usePreloaded ? preloaded : loadSqlJs(sqlWasm));
  const made = spare;
  spare = null;
  if (!usePreloaded) made?.close(); // another sql.js than the one it was made with
  const step = (what: string): void => post({ type: 'step', what });
  const opened = openDatabase(SQL, dataDir, log, { step, spare: usePreloaded ? made : null });
  if (opened.snapshot.state === 'damaged') {
    const file = path.join(dataDir, SNAPSHOT_FILE);
    post({ type: 'damaged', damaged: { kind: 'snapshot', file, movedTo: opened.snapshot.movedTo!, reason: opened.snapshot.reason!, at: Date.now() } });
  }
  const writer = new RowWriter(opened.db, new Interner(opened.db));
  const parts = new PartitionedStore(SQL, dataDir, opened.db, writer, log, () => buffers.collect(), (d) => post({ type: 'damaged', damaged: d }), clock);
  open = { db: opened.db, writer, dataDir, parts, summaries: new SummaryCache(opened.db, writer.touchedHours) };
  step('loading the month files');
  parts.load();
  const deduped = parts.dropSealedDuplicates();
  if (deduped > 0) log('warn', `store: ${deduped} row(s) of an interrupted fold were already in their month files; kept there only`);
  const relogged = parts.replayRepriceLog();
  if (relogged > 0) log('warn', `store: ${relogged} repricing(s) of sealed months re-applied after an interrupted snapshot`);
  const backfilled = parts.backfillCacheHits();
  if (backfilled > 0) log('info', `store: response-cache hits counted from ${backfilled} month file(s)`);
  const res: InitResult = {
    journalSeq: opened.journalSeq,
    schemaFrom: opened.schemaFrom,
    schemaTo: opened.schemaTo,
    replayedLines: 0,
    insertedOnReplay: 0,
    skippedLines: 0,
    requests: 0,
    needsFold: false,
    journalGap: null,
  };
  let batch: RequestRecord[] = [];
  let firstReplayed = Number.POSITIVE_INFINITY;
  const segments = listSegments(dataDir).filter((s) => s > opened.journalSeq);
  if (segments.length > 0) step(`replaying the journal (${segments.length} segment${segments.length === 1 ? '' : 's'})`);
  for (const seq of segments) {
    const r = await readSegment(segmentPath(dataDir, seq), (rec) => {
      if (rec.startedAt < firstReplayed) firstReplayed = rec.startedAt;
      batch.push(rec);
      if (batch.length >= BATCH_MAX) {
        res.insertedOnReplay += insert(batch);
        batch = [];
      }
    }, (msg) => log('warn', `store: ${msg}`));
    res.replayedLines += r.lines;
    res.skippedLines += r.skipped;
  }
  res.insertedOnReplay += insert(batch);
  // Without its snapshot, the store holds only what the journal still has: segments before the first one
  // present (folded into the lost snapshot) and the rollups of sealed months are gone.
  if (opened.snapshot.state !== 'loaded' && ((segments[0] ?? 1) > 1 || parts.months().length > 0)) {
    const what = opened.snapshot.state === 'missing' ? 'cco.sqlite is missing' : 'cco.sqlite was damaged';
    const since = Number.isFinite(firstReplayed) ? ` (${new Date(firstReplayed).toISOString()})` : '';
    const months = parts.months().length > 0 ? `; the request lists of ${parts.months().join(', ')} are still in their month files` : '';
    res.journalGap = `${what} and the journal starts at segment ${segments[0] ?? 'none'}: ${res.insertedOnReplay} request(s) rebuilt from the journal${since}; totals of earlier requests are missing${months}`;
  }
  res.requests = parts.count();
  res.needsFold = parts.needsFold();
  // The snapshot file's bytes (copied into MEMFS), sql.js' load and replay garbage, collected once the reply
  // is posted: a full GC here delayed the daemon's /ready by its 30-50 ms.
  setImmediate(() => buffers.collect());
  return res;
}

type Handlers = { [K in keyof WorkerCalls]: (m: Extract<CallMessage, { type: K }>) => WorkerCalls[K]['result'] | Promise<WorkerCalls[K]['result']> };

const handlers: Handlers = {
  init: (m) => (setClock(m.now), init(m.dataDir, m.sqlWasm)),
  flush: () => (need(), null),
  summary: (m) => need().summaries.summary(m.query),
  // Encoded here, so the HTTP thread neither rebuilds the summary's objects (~380 kB of JSON for `all`) nor
  // stringifies them (docs/design.md, h14-sumheap).
  summaryJson: (m) => utf8Out.encode(summaryText(need().summaries.summary(m.query))),
  list: (m) => need().parts.list(m.query),
  exportPage: (m) => {
    const o = need();
    // An export's first page: month databases other queries left open (up to LRU_MAX, ~30 MB each at 1 M rows
    // a year) are closed first, so the export's own month does not sit on top of them; a list that reaches
    // them again reopens them. Their buffers are unmapped at the collection (file-bytes.ts).
    if (m.query.cursor === undefined && o.parts.closeClean() > 0) buffers.collect();
    const page = o.parts.list(m.query, { stream: true });
    const text = page.items.length > 0 ? ENCODERS[m.format].rows(page.items, m.first) : '';
    // A buffer of its own (TextEncoder, not Buffer's shared pool): it is transferred, not copied.
    return { bytes: utf8Out.encode(text), rows: page.items.length, nextCursor: page.nextCursor };
  },
  get: (m) => need().parts.get(m.requestId),
  scanReprice: (m) => need().parts.scanForReprice(m.query),
  applyReprice: (m) => {
    const p = need().parts;
    const changed = p.applyReprice(m.updates);
    return { changed, dirty: p.pressure(clock()).dirty };
  },
  stats: () => {
    const { heapTotal, heapUsed, external, arrayBuffers } = process.memoryUsage();
    const p = need().parts;
    return { requests: p.count(), months: p.months().length, openMonths: p.openMonths().length, memory: { heapTotal, heapUsed, external, arrayBuffers } };
  },
  pressure: (m) => need().parts.pressure(m.now ?? clock()),
  snapshot: (m) => {
    const o = need();
    // Clean month databases (a month file each, ~35 MB at 1 M rows a year, up to LRU_MAX of them) are
    // closed first: the export copy of cco.sqlite must not sit on top of them. A list that reaches them
    // again reopens them (at most once per snapshot interval).
    o.parts.closeClean();
    buffers.collect(); // no outgrown buffers beside the export copy
    let bytes = 0;
    const writeMain = (): void => {
      bytes = writeSnapshot(o.db, o.dataDir, m.upToSeq);
      buffers.collect(); // returns the export copy now, not whenever this idle thread next allocates
    };
    // Stages month databases holding direct rows, writes cco.sqlite (skipped when unchanged since it was read
    // or written and nothing was staged), puts the staged files in place, seals and folds (partitioned.ts).
    if (o.parts.snapshot(writeMain, m.now ?? clock(), fs.existsSync(path.join(o.dataDir, SNAPSHOT_FILE)))) buffers.collect();
    collectAgainSoon();
    return { bytes, at: Date.now() };
  },
  retention: (m) => need().parts.retention(m.cutoff),
  existingIds: (m) => need().parts.existingIds(m.keys),
  findByUpstream: (m) => need().parts.findByUpstream(m.ids, m.from, m.to),
  close: () => {
    if (open) {
      applyPending();
      open.parts.close();
      open.summaries.free();
      open.writer.free();
      open.writer.strings.free();
      open.db.close();
      open = null;
    }
    return null;
  },
};

let chain: Promise<void> = Promise.resolve();

function call(m: CallMessage): void {
  chain = chain.then(async () => {
    try {
      const handler = handlers[m.type] as (msg: CallMessage) => unknown;
      const result = await handler(m);
      // An export page's or a JSON summary's bytes move to the main thread instead of being copied there.
      const transfer =
        m.type === 'exportPage' ? [(result as { bytes: Uint8Array<ArrayBuffer> }).bytes.buffer] : m.type === 'summaryJson' ? [(result as Uint8Array<ArrayBuffer>).buffer] : [];
      postMoving({ type: 'reply', id: m.id, ok: true, result } satisfies WorkerOutbound, transfer);
    } catch (err) {
      const e = err instanceof Error ? err : new Error(String(err));
      // a month read from disk whose file failed a read (disk-file.ts: DiskReadError) is closed; the next query opens it again
      open?.parts.closeUnreadable();
      post({ type: 'reply', id: m.id, ok: false, error: e.message, name: e.name });
    }
  });
}

port.on('message', (m: WorkerInbound) => {
  if (m.type === 'add-lines') {
    setClock(m.now);
    for (const chunk of m.chunks) {
      for (const line of utf8.decode(chunk).split('\n')) if (line !== '') pending.push(JSON.parse(line) as RequestRecord);
    }
    applyPending();
    return;
  }
  if (m.type === 'test-crash') {
    if (m.how === 'exit') process.exit(3);
    setImmediate(() => {
      throw new Error('store worker: crash requested by a test');
    });
    return;
  }
  call(m);
});

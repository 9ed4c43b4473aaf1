/**
 * Messages between the main thread and the store worker. Unions keyed on `type`; inbound (to the worker)
 * and outbound (from the worker) kept apart. Calls carry a numeric `id` echoed in the reply.
 */
import type { RequestPage, RequestQuery, RequestRecord, Summary } from '../../shared/contract.ts';
import type { SqlWasm } from './db.ts';
import type { DamagedFile } from './health.ts';
import type { RepriceUpdate } from './queries.ts';
import type { SummaryQuery } from './summary.ts';
import type { ExportChunk, ExportFormat } from '../api/export-format.ts';

export type LogLevel = 'info' | 'warn' | 'error';

export interface InitResult {
  /** Highest journal segment already contained in the loaded snapshot (0 if none). */
  journalSeq: number;
  schemaFrom: number;
  schemaTo: number;
  replayedLines: number;
  insertedOnReplay: number;
  skippedLines: number;
  requests: number;
  /** cco.sqlite holds rows of past months or repricings not yet sealed: the startup snapshot folds them. */
  needsFold: boolean;
  /** Set when cco.sqlite was missing or damaged and the journal starts later than the data it held. */
  journalGap: string | null;
}

/** The worker thread's own V8 heap and off-heap (ArrayBuffer, incl. sql.js' MEMFS file) bytes. */
export interface IsolateMemory {
  heapTotal: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
}

/** Every call: its arguments and its result. */
export interface WorkerCalls {
  /** `now`: the store's clock (StoreOptions.now), which decides which months are past. */
  init: { args: { dataDir: string; sqlWasm?: SqlWasm; now?: number }; result: InitResult };
  flush: { args: Record<string, never>; result: null };
  summary: { args: { query: SummaryQuery }; result: Summary };
  /** The same summary as UTF-8 JSON text (JSON.stringify's), its bytes transferred, not cloned. */
  summaryJson: { args: { query: SummaryQuery }; result: Uint8Array };
  list: { args: { query: RequestQuery }; result: RequestPage };
  /** A list page encoded for an export (its bytes are transferred, not cloned); `stream` paging, see PartitionedStore.list. */
  exportPage: { args: { query: RequestQuery; format: ExportFormat; first: boolean }; result: ExportChunk };
  get: { args: { requestId: string }; result: RequestRecord | null };
  scanReprice: {
    args: { query: { since?: number; cursor?: string; limit: number } };
    result: { rows: RequestRecord[]; nextCursor: string | null };
  };
  applyReprice: { args: { updates: RepriceUpdate[] }; result: { changed: number; dirty: number } };
  stats: { args: Record<string, never>; result: { requests: number; months: number; openMonths: number; memory: IsolateMemory } };
  /**
   * Rows of past months waiting in cco.sqlite, month databases with unsealed changes, rows written straight
   * into month databases since their files were written, and how many months hold those.
   */
  pressure: { args: { now?: number }; result: { unfolded: number; dirty: number; direct: number; directMonths: number } };
  /**
   * Export the database to cco.sqlite, recording `upToSeq` as the journal position it contains; months
   * that ended before `now` (default: the worker's clock) are folded into their files.
   */
  snapshot: { args: { upToSeq: number; now?: number }; result: { bytes: number; at: number } };
  retention: { args: { cutoff: number }; result: number };
  /** Ids among `keys` already stored (startedAt tells a partitioned store where to look). */
  existingIds: { args: { keys: { id: string; startedAt: number }[] }; result: string[] };
  /** Stored records whose upstreamRequestId is one of `ids`, optionally only those started in [from, to). */
  findByUpstream: { args: { ids: string[]; from?: number; to?: number }; result: RequestRecord[] };
  close: { args: Record<string, never>; result: null };
}

export type CallType = keyof WorkerCalls;

export type CallMessage = {
  [K in CallType]: { type: K; id: number } & WorkerCalls[K]['args'];
}[CallType];

/**
 * Main → worker. `add-lines` is fire-and-forget (durability comes from the journal, ordering from
 * postMessage): the very bytes the journal wrote (UTF-8 JSON lines, each ending in a newline), one chunk
 * per grouped write, transferred rather than cloned — nearly free on the proxy thread.
 */
export type WorkerInbound =
  | { type: 'add-lines'; chunks: Uint8Array[]; /** the store's clock when posted */ now?: number }
  /** Test hook: the worker dies at once (`process.exit(3)` or an uncaught error); see WorkerClient.crashForTest. */
  | { type: 'test-crash'; how: 'exit' | 'throw' }
  | CallMessage;

/** Worker → main. */
export type WorkerOutbound =
  | { type: 'reply'; id: number; ok: true; result: unknown }
  | { type: 'reply'; id: number; ok: false; error: string; name: string }
  | { type: 'log'; level: LogLevel; msg: string }
  /** A damaged file was moved aside (at init, or when a month file is opened later). */
  | { type: 'damaged'; damaged: DamagedFile }
  /** What init is doing now (reading cco.sqlite, migrating it, replaying the journal): GET /api/status shows it. */
  | { type: 'step'; what: string };

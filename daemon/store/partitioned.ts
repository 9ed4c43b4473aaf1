/**
 * Request detail partitioned by calendar month (UTC), inside the store worker.
 *
 * `cco.sqlite` (the "main" database, always open, journaled and snapshotted as before) holds the rollups,
 * the session rollups, and the detail rows not yet sealed: the current month, plus rows of past months that
 * arrived late (month rollover, bulk import, replay) and did not go straight into their month database (see
 * `insert`) until the next snapshot folds them out. Each past month lives in `months/YYYY-MM.sqlite` (same
 * schema, rows only), written once (tmp → fsync → rename) and opened on demand, read-only, by the queries
 * that reach it: an LRU of at most LRU_MAX clean months, closed after IDLE_MS idle. A month database is read
 * from its file page by page and written through a working copy on disk (disk-file.ts), never held whole in
 * memory. A month file is rewritten (a new file renamed over it, "re-sealed") only when rows or repricings for
 * it arrive.
 *
 * Invariant: a record is counted in the rollups iff its row was new, and on disk cco.sqlite's rollups count
 * exactly the rows of cco.sqlite and of the month files its `partitions` describes. Rows of a late record
 * written into cco.sqlite stay there until the snapshot that contains them is on disk, and only then move
 * to their month file (fold). Rows written straight into a month database (`insert`, rollups in cco.sqlite
 * in the same transaction) are staged by the next snapshot before cco.sqlite is written and put in place
 * after it (`snapshot`). So the order of a snapshot is: (0) stage month databases holding direct rows;
 * (1) write cco.sqlite, naming the staged files (the commit point), rename them into place; (2) re-seal
 * months with repricings and clear `reprice_log`; (3) fold past months' rows into their files, delete them
 * from cco.sqlite; (4) if (2) or (3) did anything, write cco.sqlite again. A crash before (1) leaves staged
 * files no cco.sqlite names (removed at start; the journal, not yet cut, still holds their rows); between (1)
 * and the renames, named ones (renamed at start); between (1) and (4), rows both in cco.sqlite and in a month
 * file, or a `reprice_log` not yet cleared: the next start folds/re-applies again (INSERT OR IGNORE,
 * idempotent UPDATEs) before serving. A late record is a duplicate iff its id is in cco.sqlite or (visible)
 * in its month's database — the check journal replay and bulk ingest make.
 *
 * Retention: whole month files whose month ended before the cutoff are deleted; `meta.detail_floor`
 * (the highest cutoff applied) hides the rows of the month the cutoff falls in, so every query answers
 * exactly as a single database that deleted rows before the cutoff.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Database, SqlJsStatic, SqlValue } from 'sql.js';
import type { RequestPage, RequestQuery, RequestRecord } from '../../shared/contract.ts';
import { compareRecords } from '../../shared/record-values.ts';
import { Bloom } from './bloom.ts';
import { integrityProblem, moveAside, vacuumIfSparse, writeDatabaseFile } from './db.ts';
import { DiskFile, DiskReadError } from './disk-file.ts';
import type { DamagedFile } from './health.ts';
import { Interner } from './interner.ts';
import { backfillCacheHitCells, getMeta, migrate, SCHEMA_VERSION, setMeta } from './migrations.ts';
import { fsyncDir } from './segments.ts';
import { newDatabase } from './schema-image.ts';
import { listPartitionFiles, MAX_DIRECT_MONTHS, monthOf, monthRange, monthsDir, partitionPath, removePartitionTemps, type MonthKey } from './months.ts';
import {
  applyReprice as applyRepriceOne,
  countRequests,
  decodeCursor,
  deleteOlderThan,
  existingIds as existingIdsOne,
  findByUpstream as findByUpstreamOne,
  getRequest as getRequestOne,
  listPlan,
  listRows,
  pageOf,
  scanLimit,
  scanPageOf,
  scanRows,
  type RepriceUpdate,
} from './queries.ts';
import { INTERNED_COLUMNS, recordDelta, REQUEST_COLUMNS, RowWriter, type RollupDelta } from './rows.ts';

/** Clean (unmodified) month databases kept open at most. */
export const LRU_MAX = 2;
export { MAX_DIRECT_MONTHS } from './months.ts';
/** A clean month database unused this long is closed. */
export const IDLE_MS = 60_000;
/** A month is folded out of cco.sqlite once it ended this long ago (late requests of its last minutes). */
export const FOLD_GRACE_MS = 3_600_000;
/** Rows read from cco.sqlite per step of a fold. */
const FOLD_CHUNK = 5000;
/** The Bloom filters of a month first written directly are sized for this many ids (rebuilt when staged). */
const DIRECT_BLOOM_IDS = 100_000;
/**
 * Bits per key of a month's upstream-request-id filter. The import asks for a batch's hundreds of request
 * ids at once (`findByUpstream`), so at the ids filter's 10 bits (≈0.8 % false positives a key) nearly every
 * batch got a "maybe" from each sealed month in its range and opened it: on the 1 GB bench corpus 43 loads
 * of month files of up to 22 MB, 8.4 s of the worker's 42 s (docs/design.md, h15-importstore). At 24 bits
 * (≈0.007 % a key) a batch of 500 fresh ids opens a month about once in 30. 3 bytes a row in memory and in
 * `partitions`; filters written before keep their size and are read as they are.
 */
export const UPSTREAM_BLOOM_BITS = 24;
/** `meta` key in cco.sqlite: the staged month files (`YYYY-MM.sqlite.next-<token>`) this cco.sqlite commits. */
const SEALING_KEY = 'sealing';
const NEXT_RE = /^(\d{4}-\d{2})\.sqlite\.next-[0-9a-f-]+$/;
/**
 * A staged file's token: unique within this process, which alone writes the folder (leftovers of an earlier
 * run are removed or renamed at load). Not node:crypto's randomUUID: loading node:crypto cost every start of
 * the worker ~10-17 ms of CPU on its critical path (docs/design.md, idle footprint, fourth round).
 */
let stageSeq = 0;
const stageToken = (): string => `${Date.now().toString(16)}-${process.pid.toString(16)}-${(++stageSeq).toString(16)}`;

interface PartInfo {
  rows: number;
  bytes: number;
  mtimeMs: number;
  ids: Bloom;
  upstream: Bloom;
  /** The file's first and last row in time order, once it was opened in this worker (see list). */
  ends?: { first: RowKey; last: RowKey } | null;
}

/** A row's place in time order: (started_at, id). */
interface RowKey {
  t: number;
  id: string;
}

const keyCmp = (a: RowKey, b: RowKey): number => a.t - b.t || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** The first and last row of a month database in time order (null when it has none). */
function endsOf(db: Database): { first: RowKey; last: RowKey } | null {
  const one = (dir: string): RowKey | null => {
    const v = db.exec(`SELECT started_at, id FROM requests ORDER BY started_at ${dir}, id ${dir} LIMIT 1`)[0]?.values[0];
    return v ? { t: Number(v[0]), id: String(v[1]) } : null;
  };
  const first = one('ASC');
  const last = one('DESC');
  return first && last ? { first, last } : null;
}

interface OpenPart {
  month: MonthKey;
  db: Database;
  strings: Interner;
  lastUsed: number;
  /** Changed in memory (repricing, fold, direct rows) and not yet sealed: never evicted. */
  dirty: boolean;
  /** Opened by a stream (an export's pages) and not used by another query since: closed once passed. */
  stream: boolean;
  /** Rows written straight into this month database since its file was last written (see `insert`). */
  direct: number;
  /** Row writer of direct inserts (prepared once per open month). */
  writer: RowWriter | null;
  /** Read from its file page by page and written through a working copy (disk-file.ts), not held in memory. */
  disk: DiskFile;
}

type Log = (level: 'info' | 'warn' | 'error', msg: string) => void;

const byTimeAsc = (a: RequestRecord, b: RequestRecord): number =>
  a.startedAt - b.startedAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** Merges two sorted lists into the first `n` of their union. */
function mergeFirst<T>(a: readonly T[], b: readonly T[], cmp: (x: T, y: T) => number, n: number): T[] {
  const out: T[] = [];
  let i = 0;
  let j = 0;
  while (out.length < n && (i < a.length || j < b.length)) {
    if (j >= b.length || (i < a.length && cmp(a[i]!, b[j]!) <= 0)) out.push(a[i++]!);
    else out.push(b[j++]!);
  }
  return out;
}

export class PartitionedStore {
  private readonly info = new Map<MonthKey, PartInfo>();
  private readonly open = new Map<MonthKey, OpenPart>();
  /** Month file versions (`month size mtime`) that passed quick_check in this worker: checked once each. */
  private readonly checked = new Set<string>();
  private floor = Number.NEGATIVE_INFINITY;
  /** cco.sqlite changed since it was loaded or last written (a fold must not run ahead of the file). */
  mainDirty = false;

  constructor(
    private readonly SQL: SqlJsStatic,
    private readonly dataDir: string,
    readonly db: Database,
    readonly writer: RowWriter,
    private readonly log: Log,
    private readonly onRelease: () => void = () => undefined,
    private readonly onDamaged: (d: DamagedFile) => void = () => undefined,
    /** The clock that decides which months are past (rows written straight into their month database). */
    private readonly clock: () => number = Date.now,
  ) {
    const f = getMeta(db, 'detail_floor');
    if (f !== null) this.floor = Number(f);
  }

  // ---------------------------------------------------------------- month files

  /** Reads `partitions`, reconciling it with the files present (a crash may have left it behind them). */
  load(): void {
    fs.mkdirSync(monthsDir(this.dataDir), { recursive: true, mode: 0o700 });
    removePartitionTemps(this.dataDir);
    this.finishSealing();
    const rows = this.db.exec('SELECT month, rows, bytes, mtime_ms, ids, upstream FROM partitions')[0]?.values ?? [];
    const known = new Map<string, PartInfo>();
    for (const [month, n, bytes, mtime, ids, up] of rows) {
      known.set(String(month), {
        rows: Number(n),
        bytes: Number(bytes),
        mtimeMs: Number(mtime),
        ids: Bloom.fromBytes(ids as Uint8Array),
        upstream: Bloom.fromBytes(up as Uint8Array),
      });
    }
    const files = listPartitionFiles(this.dataDir);
    for (const month of files) {
      const st = fs.statSync(partitionPath(this.dataDir, month));
      const k = known.get(month);
      if (k && k.bytes === st.size && k.mtimeMs === Math.round(st.mtimeMs)) this.info.set(month, k);
      else {
        this.log('info', `store: month ${month} changed since cco.sqlite was written; re-reading its index`);
        const part = this.tryOpenPart(month);
        if (part) this.describe(part, st.size, Math.round(st.mtimeMs));
      }
    }
    for (const month of known.keys()) {
      if (!files.includes(month)) {
        this.db.run('DELETE FROM partitions WHERE month = ?', [month]);
        this.mainDirty = true;
      }
    }
  }

  /**
   * A snapshot cut short between staging and renaming (see `snapshot`): a staged file named in cco.sqlite's
   * `meta.sealing` was committed by it, and is renamed into place now (its `partitions` row describes it); any
   * other staged file was not (cco.sqlite on disk is older: the journal still holds its rows) and is removed.
   */
  private finishSealing(): void {
    const committed = new Set<string>(JSON.parse(getMeta(this.db, SEALING_KEY) ?? '[]') as string[]);
    let renamed = false;
    for (const name of fs.readdirSync(monthsDir(this.dataDir))) {
      const m = NEXT_RE.exec(name);
      if (!m?.[1]) continue;
      const file = path.join(monthsDir(this.dataDir), name);
      if (committed.has(name)) {
        fs.renameSync(file, partitionPath(this.dataDir, m[1]));
        renamed = true;
        this.log('info', `store: month ${m[1]} sealed from ${name} (a snapshot was cut short after cco.sqlite was written)`);
      } else fs.rmSync(file, { force: true });
    }
    if (renamed) fsyncDir(monthsDir(this.dataDir));
    if (committed.size > 0) {
      this.db.run('DELETE FROM meta WHERE key = ?', [SEALING_KEY]);
      this.mainDirty = true;
    }
  }

  /** Months with a sealed file, ascending. */
  months(): MonthKey[] {
    return [...this.info.keys()].sort();
  }

  /**
   * The month's database, from its file or (`create`) new, read from disk page by page and written through a
   * working copy (disk-file.ts: `YYYY-MM.sqlite.work-<token>`, made by the first write; a new month starts as
   * one). The sealed file is never written: `seal` and `stageDirect` copy the working copy into place. An older
   * file (or one without its month noted) is brought up to date in its working copy.
   */
  private loadPart(month: MonthKey, create: boolean): OpenPart {
    const file = partitionPath(this.dataDir, month);
    const work = `${file}.work-${stageToken()}`;
    let disk: DiskFile;
    let version: string | null = null;
    if (fs.existsSync(file)) {
      const st = fs.statSync(file);
      version = `${month} ${st.size} ${st.mtimeMs}`;
      disk = DiskFile.copyOnWrite(file, work, `month ${month}`);
      if (disk.size === 0) {
        disk.close();
        throw new DamagedMonthError(month, 'the file is empty (0 bytes)');
      }
    } else if (create) {
      fs.writeFileSync(work, this.newMonthBytes(month), { mode: 0o600, flag: 'wx' });
      disk = DiskFile.scratch(work, `month ${month}`);
    } else {
      // a file removed under the store: read errors answer 503 (api/unavailable.ts); a restart forgets the month (load)
      throw new DiskReadError(file, 'it is missing (removed under CCO?)', `month ${month}`);
    }
    const db = new this.SQL.Database(disk.data);
    try {
      if (version !== null && !this.checked.has(version)) {
        const problem = integrityProblem(db);
        if (problem !== null) {
          // The file could not be read (disk-file.ts): not known to be damaged.
          throw disk.failure ?? new DamagedMonthError(month, problem);
        }
        this.checked.add(version);
      }
      db.run('PRAGMA journal_mode = MEMORY');
      db.run('PRAGMA temp_store = MEMORY'); // see db.ts
      if (getMeta(db, 'schema_version') !== String(SCHEMA_VERSION)) migrate(db);
      if (getMeta(db, 'month') !== month) setMeta(db, 'month', month);
      return { month, db, strings: new Interner(db), lastUsed: Date.now(), dirty: false, stream: false, direct: 0, writer: null, disk };
    } catch (err) {
      db.close();
      disk.close();
      throw err;
    }
  }

  /** A new month database's bytes: the schema (its image in a build, schema-image.ts) and its month noted. */
  private newMonthBytes(month: MonthKey): Uint8Array {
    const db = newDatabase(this.SQL);
    try {
      migrate(db);
      setMeta(db, 'month', month);
      return db.export();
    } finally {
      db.close();
    }
  }

  /**
   * The month's database (opened from its file, or created empty with `create`). Room is made first: at
   * most LRU_MAX clean month databases exist at any time, the one being loaded included (each holds SQLite's
   * page cache and its statements' memory; a working copy on disk too). What the evicted month held is
   * returned at once (`onRelease` collects garbage), not whenever the worker next allocates. `stream`: for an
   * export's pages (see `list`), which close the month once the stream passed it.
   */
  private openPart(month: MonthKey, create = false, stream = false): OpenPart {
    let part = this.open.get(month);
    if (!part) {
      this.evict(month);
      part = this.loadPart(month, create);
      part.stream = stream;
      this.open.set(month, part);
      const info = this.info.get(month);
      if (info && info.ends === undefined) info.ends = endsOf(part.db);
      this.onRelease();
    } else if (!stream) part.stream = false;
    part.lastUsed = Date.now();
    return part;
  }

  /**
   * The month's database, or null when its file is damaged: then the file is moved aside
   * (`YYYY-MM.sqlite.corrupt-<ms>`), the month is forgotten (queries skip it; its rollups stay in
   * cco.sqlite, so totals still count it) and `onDamaged` reports it. Other months are not affected.
   */
  private tryOpenPart(month: MonthKey, stream = false): OpenPart | null {
    try {
      return this.openPart(month, false, stream);
    } catch (err) {
      if (!(err instanceof DamagedMonthError)) throw err;
      const file = partitionPath(this.dataDir, month);
      let movedTo = file;
      try {
        movedTo = moveAside(file);
      } catch (e) {
        this.log('error', `store: month ${month} could not be moved aside: ${(e as Error).message}`);
      }
      this.info.delete(month);
      this.db.run('DELETE FROM partitions WHERE month = ?', [month]);
      this.mainDirty = true;
      this.log('error', `store: month file ${month} is damaged (${err.reason}); moved to ${movedTo}. Its requests are no longer listed; its totals are kept`);
      this.onDamaged({ kind: 'month', month, file, movedTo, reason: err.reason, at: Date.now() });
      return null;
    }
  }

  private evict(keep: MonthKey): void {
    const clean = [...this.open.values()].filter((p) => !p.dirty && p.month !== keep).sort((a, b) => a.lastUsed - b.lastUsed);
    let excess = clean.length + 1 - LRU_MAX;
    for (const p of clean) {
      if (excess-- <= 0) break;
      this.closePart(p);
    }
  }

  private closePart(p: OpenPart): void {
    p.writer?.free();
    p.strings.free();
    p.db.close();
    p.disk.close();
    this.open.delete(p.month);
    this.onRelease();
  }

  /**
   * Closes the months read from disk whose file failed a read (disk-file.ts: the query got a DiskReadError; the
   * exception left that SQLite connection mid-call, so it is not used again). The next query opens the file again:
   * a file truncated under CCO then fails its check and is moved aside as damaged (`tryOpenPart`). Returns how many.
   * A dirty month (changes in its working copy only, counted in cco.sqlite's rollups) stays open: closing it would
   * drop them. Its writes and its staging then fail, the snapshot with them, and the journal (cut only after a
   * snapshot) keeps its records for the next start.
   */
  closeUnreadable(): number {
    let n = 0;
    for (const p of [...this.open.values()]) {
      if (p.disk.failure && !p.dirty) {
        this.closePart(p);
        n++;
      }
    }
    return n;
  }

  /** Closes clean months idle for IDLE_MS; returns how many. */
  closeIdle(now = Date.now()): number {
    let n = 0;
    for (const p of [...this.open.values()]) {
      if (!p.dirty && now - p.lastUsed >= IDLE_MS) {
        this.closePart(p);
        n++;
      }
    }
    return n;
  }

  /** Closes every clean month (before a snapshot); returns how many. */
  closeClean(): number {
    return this.closeIdle(Number.POSITIVE_INFINITY);
  }

  /** Month databases open now (for stats and tests). */
  openMonths(): MonthKey[] {
    return [...this.open.keys()].sort();
  }

  /** Records the month's row count and Bloom filters in memory and in `partitions`. */
  private describe(part: OpenPart, bytes: number, mtimeMs: number): void {
    const n = countRequests(part.db);
    const ids = Bloom.forCount(n);
    const upstream = Bloom.forCount(n, UPSTREAM_BLOOM_BITS);
    const stmt = part.db.prepare('SELECT id, upstream_request_id FROM requests');
    try {
      while (stmt.step()) {
        const [id, up] = stmt.get();
        ids.add(String(id));
        if (up !== null && up !== undefined) upstream.add(String(up));
      }
    } finally {
      stmt.free();
    }
    this.info.set(part.month, { rows: n, bytes, mtimeMs, ids, upstream, ends: endsOf(part.db) });
    this.db.run(
      `INSERT INTO partitions (month, rows, bytes, mtime_ms, ids, upstream) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (month) DO UPDATE SET rows = excluded.rows, bytes = excluded.bytes, mtime_ms = excluded.mtime_ms,
         ids = excluded.ids, upstream = excluded.upstream`,
      [part.month, n, bytes, mtimeMs, ids.bits, upstream.bits],
    );
    this.mainDirty = true;
  }

  /** Writes the month's file (a new file renamed over the old one) and records its description. */
  private seal(part: OpenPart): void {
    const file = partitionPath(this.dataDir, part.month);
    const bytes = this.writePart(part, file);
    part.dirty = false;
    this.describe(part, bytes, Math.round(fs.statSync(file).mtimeMs));
  }

  /**
   * Writes the month's database as `file` (tmp, fsync, rename): a kernel copy of its working copy, so a month
   * being imported is neither held whole in memory nor exported whole at each snapshot (h15-diskmonth); an
   * export (db.ts) when no working copy holds it (see disk-file.ts `copyTo`).
   */
  private writePart(part: OpenPart, file: string): number {
    const pages = part.db.exec('PRAGMA page_count')[0]?.values[0]?.[0];
    const size = part.db.exec('PRAGMA page_size')[0]?.values[0]?.[0];
    const copied = part.disk.copyTo(file, Number(pages) * Number(size));
    if (copied !== null) return copied;
    if (part.disk.written) this.log('warn', `store: month ${part.month} is held in memory (its working copy was left); written from memory`);
    return writeDatabaseFile(part.db, file);
  }

  /** Months whose files may hold rows started in [from, to), visible above the floor; ascending. */
  private monthsIn(from?: number, to?: number): MonthKey[] {
    const lo = Math.max(from ?? Number.NEGATIVE_INFINITY, this.floor);
    return this.months().filter((m) => {
      const r = monthRange(m);
      return r.end > lo && (to === undefined || r.start < to);
    });
  }

  /** `from` raised to the floor, for a query that reads a month file. */
  private floored(from: number | undefined): number | undefined {
    if (this.floor === Number.NEGATIVE_INFINITY) return from;
    return from === undefined ? this.floor : Math.max(from, this.floor);
  }

  // ---------------------------------------------------------------- writes

  /**
   * Inserts records (live, replayed or bulk), rollups in cco.sqlite in the same transaction; returns how many
   * were new. A record of a month that ended (by `now`, the fold's rule) goes straight into its month
   * database when cco.sqlite holds no row of that month and at most MAX_DIRECT_MONTHS months take rows so
   * (`direct`); the month stays pinned in memory until the next snapshot stages its file (see `snapshot`). Any
   * other record goes into cco.sqlite, leaving out those already sealed in its month's file, and waits there
   * for the fold. So a past month's row is written once, not into cco.sqlite, then copied into its month file
   * and deleted: at 100 k bulk rows over 12 months the fold was half the worker's time (docs/design.md).
   */
  insert(records: readonly RequestRecord[], onError: (r: RequestRecord, err: Error) => void, now = this.clock()): number {
    if (records.length === 0) return 0;
    const limit = foldLimit(now);
    const direct = new Map<MonthKey, RequestRecord[]>();
    const rest: RequestRecord[] = [];
    const decided = new Map<MonthKey, boolean>();
    for (const r of records) {
      if (r.startedAt >= limit || r.startedAt < this.floor) {
        rest.push(r);
        continue;
      }
      const month = monthOf(r.startedAt);
      let ok = decided.get(month);
      if (ok === undefined) decided.set(month, (ok = this.takesDirect(month, decided)));
      if (!ok) {
        rest.push(r);
        continue;
      }
      let list = direct.get(month);
      if (!list) direct.set(month, (list = []));
      list.push(r);
    }
    let n = 0;
    for (const [month, recs] of direct) n += this.insertDirect(month, recs, onError);
    if (rest.length === 0) return n;
    let fresh: readonly RequestRecord[] = rest;
    if (this.info.size > 0) {
      const sealed = this.sealedIds(rest);
      if (sealed.size > 0) fresh = rest.filter((r) => !sealed.has(r.id));
    }
    const m = this.writer.insertMany(fresh, onError);
    if (m > 0) this.mainDirty = true;
    return n + m;
  }

  /** A past month may take rows directly: already does, or cco.sqlite holds none of it and there is room. */
  private takesDirect(month: MonthKey, decided: ReadonlyMap<MonthKey, boolean>): boolean {
    if (this.open.get(month)?.direct) return true;
    let taking = 0;
    for (const p of this.open.values()) if (p.direct > 0) taking++;
    for (const [m, ok] of decided) if (ok && !this.open.get(m)?.direct) taking++;
    if (taking >= MAX_DIRECT_MONTHS) return false;
    const { start, end } = monthRange(month);
    return this.db.exec('SELECT 1 FROM requests WHERE started_at >= ? AND started_at < ? LIMIT 1', [start, end]).length === 0;
  }

  /** Rows into the month's database, their rollups into cco.sqlite's, one transaction each (committed together). */
  private insertDirect(month: MonthKey, recs: readonly RequestRecord[], onError: (r: RequestRecord, err: Error) => void): number {
    const known = this.info.has(month);
    const part = (known ? this.tryOpenPart(month) : null) ?? this.openPart(month, true);
    part.writer ??= new RowWriter(part.db, part.strings, false);
    const n = part.writer.insertMany(recs, onError, this.writer);
    if (n === 0) return 0;
    let info = this.info.get(month);
    if (!info) this.info.set(month, (info = { rows: 0, bytes: 0, mtimeMs: 0, ids: Bloom.forCount(DIRECT_BLOOM_IDS), upstream: Bloom.forCount(DIRECT_BLOOM_IDS, UPSTREAM_BLOOM_BITS) }));
    info.rows += n;
    info.ends = endsOf(part.db); // a list's cursor test reads them
    // Every id of the batch (a superset of the new ones): a Bloom filter may answer "maybe", never a wrong "no".
    for (const r of recs) {
      info.ids.add(r.id);
      if (r.upstreamRequestId !== null) info.upstream.add(r.upstreamRequestId);
    }
    part.dirty = true;
    part.direct += n;
    this.mainDirty = true;
    return n;
  }

  /** Ids among `keys` visible in their month's sealed file (Bloom filter first, then the file). */
  private sealedIds(keys: readonly { id: string; startedAt: number }[]): Set<string> {
    const byMonth = new Map<MonthKey, string[]>();
    for (const k of keys) {
      if (k.startedAt < this.floor) continue;
      const month = monthOf(k.startedAt);
      const info = this.info.get(month);
      if (!info?.ids.has(k.id)) continue;
      let list = byMonth.get(month);
      if (!list) byMonth.set(month, (list = []));
      list.push(k.id);
    }
    const out = new Set<string>();
    for (const [month, ids] of byMonth) {
      const part = this.tryOpenPart(month);
      if (!part) continue;
      const found = existingIdsOne(part.db, ids);
      if (this.floor === Number.NEGATIVE_INFINITY) for (const id of found) out.add(id);
      else for (const id of found) if ((getRequestOne(part.db, part.strings, id)?.startedAt ?? -Infinity) >= this.floor) out.add(id);
    }
    return out;
  }

  existingIds(keys: readonly { id: string; startedAt: number }[]): string[] {
    const found = new Set(existingIdsOne(this.db, keys.map((k) => k.id)));
    for (const id of this.sealedIds(keys.filter((k) => !found.has(k.id)))) found.add(id);
    return [...found];
  }

  /** Reprices rows wherever they are; sealed rows via `reprice_log` (see the header). */
  applyReprice(updates: readonly RepriceUpdate[]): number {
    const inMain = new Set(existingIdsOne(this.db, updates.map((u) => u.id)));
    const mainUpdates = updates.filter((u) => inMain.has(u.id));
    let changed = applyRepriceOne(this.db, this.writer, mainUpdates);
    const sealed: { u: RepriceUpdate; part: OpenPart; old: RequestRecord }[] = [];
    for (const u of updates) {
      if (inMain.has(u.id)) continue;
      const found = this.findSealed(u.id);
      if (!found) continue; // deleted by retention meanwhile: its rollup contribution stays as it was
      found.part.dirty = true; // pinned: the next months opened must not evict it
      sealed.push({ u, ...found });
    }
    if (changed > 0) this.mainDirty = true;
    if (sealed.length === 0) return changed;
    this.db.run('BEGIN');
    try {
      for (const { u, part, old } of sealed) {
        this.db.run(
          `INSERT INTO reprice_log (id, month, cost_nano_usd, price_version, cache_savings_nano_usd, unpriced_reason)
           VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET cost_nano_usd = excluded.cost_nano_usd,
             price_version = excluded.price_version, cache_savings_nano_usd = excluded.cache_savings_nano_usd,
             unpriced_reason = excluded.unpriced_reason`,
          [u.id, part.month, u.costNanoUsd, u.priceVersion, u.cacheSavingsNanoUsd, u.unpricedReason],
        );
        this.writer.applyDelta(repriceDelta(old, u));
      }
      this.db.run('COMMIT');
    } catch (err) {
      this.db.run('ROLLBACK');
      this.writer.strings.reload(); // applyDelta interns the session rollup keys
      throw err;
    }
    this.mainDirty = true;
    for (const { u, part } of sealed) {
      updateRow(part, u);
      changed++;
    }
    return changed;
  }

  /**
   * Removes from cco.sqlite the rows already in their month's sealed file: what a fold cut short by a crash
   * leaves (the month file written, cco.sqlite not yet). The next snapshot's fold would do the same, but only
   * for months that ended by the clock; this does it at start whatever the clock says (a clock that stepped
   * back, or one behind the one that wrote the files), so no row is ever listed twice. Rollups are
   * untouched: they counted each row once. Returns the rows removed.
   */
  dropSealedDuplicates(): number {
    let removed = 0;
    for (const month of this.months()) {
      const { start, end } = monthRange(month);
      const ids = (this.db.exec('SELECT id FROM requests WHERE started_at >= ? AND started_at < ?', [start, end])[0]?.values ?? []).map((v) => String(v[0]));
      if (ids.length === 0) continue;
      const part = this.tryOpenPart(month);
      if (!part) continue;
      const dup = existingIdsOne(part.db, ids);
      for (let i = 0; i < dup.length; i += 500) {
        const chunk = dup.slice(i, i + 500);
        this.db.run(`DELETE FROM requests WHERE id IN (${chunk.map(() => '?').join(',')})`, chunk);
      }
      if (dup.length > 0) {
        this.mainDirty = true;
        removed += dup.length;
      }
    }
    return removed;
  }

  /**
   * Schema 8 counts response-cache hits in the rollups. Its migration filled them from cco.sqlite's rows; when
   * sealed months exist (`meta.backfill_cache_hits`) this recounts them from every row kept, in cco.sqlite and
   * in the month files (run after dropSealedDuplicates: each row counted once). Returns the months read.
   */
  backfillCacheHits(): number {
    if (getMeta(this.db, 'backfill_cache_hits') === null) return 0;
    let months = 0;
    this.db.run('BEGIN');
    try {
      for (const table of ['rollups', 'session_rollups']) {
        this.db.run(`UPDATE ${table} SET cache_hits = 0, cache_hit_savings_nano_usd = 0 WHERE cache_hits <> 0 OR cache_hit_savings_nano_usd <> 0`);
      }
      backfillCacheHitCells(this.db, this.db);
      for (const month of this.months()) {
        const part = this.tryOpenPart(month);
        if (!part) continue; // damaged: its rows are gone, and so are its hits
        backfillCacheHitCells(this.db, part.db);
        months++;
      }
      this.db.run("DELETE FROM meta WHERE key = 'backfill_cache_hits'");
      this.db.run('COMMIT');
    } catch (err) {
      this.db.run('ROLLBACK');
      throw err;
    }
    this.mainDirty = true;
    return months;
  }

  /** Applies `reprice_log` to the month databases (after a crash between a snapshot and its re-seal). */
  replayRepriceLog(): number {
    const rows = this.db.exec('SELECT id, month, cost_nano_usd, price_version, cache_savings_nano_usd, unpriced_reason FROM reprice_log')[0]?.values ?? [];
    for (const [id, month, cost, version, savings, reason] of rows) {
      if (!this.info.has(String(month))) continue; // deleted by retention meanwhile
      const part = this.tryOpenPart(String(month));
      if (!part) continue;
      updateRow(part, {
        id: String(id),
        costNanoUsd: cost === null ? null : Number(cost),
        priceVersion: String(version),
        cacheSavingsNanoUsd: Number(savings),
        unpricedReason: reason === null ? null : String(reason),
      });
    }
    return rows.length;
  }

  /** Deletes detail before `cutoff`: rows of cco.sqlite, whole month files, and hides the rest (floor). */
  retention(cutoff: number): number {
    let n = deleteOlderThan(this.db, cutoff);
    if (cutoff > this.floor) {
      this.floor = cutoff;
      setMeta(this.db, 'detail_floor', String(cutoff));
      this.mainDirty = true;
    }
    for (const month of this.months()) {
      if (monthRange(month).end > this.floor) continue;
      const part = this.open.get(month);
      if (part) this.closePart(part);
      fs.rmSync(partitionPath(this.dataDir, month), { force: true });
      n += this.info.get(month)?.rows ?? 0;
      this.info.delete(month);
      this.db.run('DELETE FROM partitions WHERE month = ?', [month]);
      this.db.run('DELETE FROM reprice_log WHERE month = ?', [month]);
      this.mainDirty = true;
    }
    if (n > 0) this.mainDirty = true;
    return n;
  }

  // ---------------------------------------------------------------- reads

  /**
   * A page of `q` merged across cco.sqlite and the month files it reaches. `stream`: the caller pages on
   * through the whole result (an export), so a time-ordered page closes the month databases it opened as
   * soon as the cursor has left them, before it loads the next month, instead of leaving them in the LRU:
   * an export then holds at most one month in memory (~35 MB at 1 M rows a year), not LRU_MAX of them.
   */
  list(q: RequestQuery, opts: { stream?: boolean } = {}): RequestPage {
    const plan = listPlan(q);
    const cmp = compareRecords(plan.sort, plan.order);
    const n = plan.limit + 1;
    let merged = listRows(this.db, this.writer.strings, q, plan);
    let months = this.monthsIn(q.from, q.to);
    const byTime = plan.sort === 'time';
    const stream = opts.stream === true && byTime;
    if (byTime && plan.order === 'desc') months = months.reverse();
    const c = plan.cursor;
    // Whether a page after the cursor (v, id) may need this month: it reaches the cursor's side, and its
    // rows do not all lie at or before the cursor (known once the month was opened: a page that ended on a
    // month's last row does not open that month again for nothing).
    const needed = (v: number, id: string) => (m: MonthKey): boolean => {
      const r = monthRange(m);
      if (plan.order === 'desc' ? r.start > v : r.end <= v) return false;
      const ends = this.info.get(m)?.ends;
      if (ends === undefined) return true;
      const at: RowKey = { t: v, id };
      return ends !== null && (plan.order === 'desc' ? keyCmp(ends.first, at) < 0 : keyCmp(ends.last, at) > 0);
    };
    if (byTime && c && c.v !== null) months = months.filter(needed(c.v, c.id));
    const from = this.floored(q.from);
    const pq: RequestQuery = { ...q, ...(from !== undefined && { from }) };
    const visited: OpenPart[] = [];
    for (const month of months) {
      if (byTime && merged.length >= n) {
        // The (limit + 1)-th row so far beats every row of this month and the ones after it: done.
        const kth = merged[n - 1]!.startedAt;
        const r = monthRange(month);
        if (plan.order === 'desc' ? kth >= r.end : kth < r.start) break;
      }
      // Reaching this month means every month before it in this page gave all its rows left after the
      // cursor to this page (each of them sorts before this month's rows): the stream is done with them.
      if (stream && !this.open.has(month)) this.closeStreamed(visited);
      const part = this.tryOpenPart(month, stream);
      if (!part) continue;
      visited.push(part);
      merged = mergeFirst(merged, listRows(part.db, part.strings, pq, plan), cmp, n);
    }
    const page = pageOf(plan, merged);
    if (stream) {
      const last = page.nextCursor === null ? null : merged[plan.limit - 1]!;
      this.closeStreamed(visited.filter((p) => last === null || !needed(last.startedAt, last.id)(p.month)));
    }
    return page;
  }

  /** Closes the stream-opened month databases among `parts` (see list). */
  private closeStreamed(parts: readonly OpenPart[]): void {
    for (const p of parts) if (p.stream && !p.dirty && this.open.get(p.month) === p) this.closePart(p);
  }

  get(id: string): RequestRecord | null {
    return getRequestOne(this.db, this.writer.strings, id) ?? this.findSealed(id)?.old ?? null;
  }

  /** A visible sealed row by id (newest month first, Bloom filters first). */
  private findSealed(id: string): { part: OpenPart; old: RequestRecord } | null {
    for (const month of this.months().reverse()) {
      if (monthRange(month).end <= this.floor || !this.info.get(month)?.ids.has(id)) continue;
      const part = this.tryOpenPart(month);
      if (!part) continue;
      const r = getRequestOne(part.db, part.strings, id);
      if (r && r.startedAt >= this.floor) return { part, old: r };
    }
    return null;
  }

  scanForReprice(q: { since?: number; cursor?: string; limit: number }): { rows: RequestRecord[]; nextCursor: string | null } {
    const limit = scanLimit(q.limit);
    const n = limit + 1;
    let merged = scanRows(this.db, this.writer.strings, q);
    let lo = q.since;
    if (q.cursor) {
      const c = decodeCursor(q.cursor);
      lo = lo === undefined ? c.t : Math.max(lo, c.t);
    }
    const since = this.floored(q.since);
    const pq = { ...q, ...(since !== undefined && { since }) };
    for (const month of this.monthsIn(lo)) {
      if (merged.length >= n && merged[n - 1]!.startedAt < monthRange(month).start) break;
      const part = this.tryOpenPart(month);
      if (!part) continue;
      merged = mergeFirst(merged, scanRows(part.db, part.strings, pq), byTimeAsc, n);
    }
    return scanPageOf(limit, merged);
  }

  findByUpstream(ids: readonly string[], from?: number, to?: number): RequestRecord[] {
    const out = findByUpstreamOne(this.db, this.writer.strings, ids, from, to);
    const lo = this.floored(from);
    for (const month of this.monthsIn(from, to)) {
      const info = this.info.get(month);
      const maybe = ids.filter((id) => info?.upstream.has(id));
      if (maybe.length === 0) continue;
      const part = this.tryOpenPart(month);
      if (!part) continue;
      out.push(...findByUpstreamOne(part.db, part.strings, maybe, lo, to));
    }
    return out.sort(byTimeAsc);
  }

  count(): number {
    let n = countRequests(this.db);
    for (const i of this.info.values()) n += i.rows;
    return n;
  }

  /**
   * Rows in cco.sqlite that a fold would move out now, month databases holding unsealed changes, and rows
   * written straight into month databases since their files were last written.
   */
  pressure(now = this.clock()): { unfolded: number; dirty: number; direct: number; directMonths: number } {
    const limit = foldLimit(now);
    const unfolded = Number(this.db.exec('SELECT COUNT(*) FROM requests WHERE started_at < ?', [limit])[0]?.values[0]?.[0] ?? 0);
    let dirty = 0;
    let direct = 0;
    let directMonths = 0;
    for (const p of this.open.values()) {
      if (p.dirty) dirty++;
      direct += p.direct;
      if (p.direct > 0) directMonths++;
    }
    return { unfolded, dirty, direct, directMonths };
  }

  /** True when the next snapshot has months to fold or repricings to seal. */
  needsFold(now = this.clock()): boolean {
    const p = this.pressure(now);
    const log = Number(this.db.exec('SELECT COUNT(*) FROM reprice_log')[0]?.values[0]?.[0] ?? 0);
    return p.unfolded > 0 || p.dirty > 0 || log > 0;
  }

  // ---------------------------------------------------------------- snapshot

  /**
   * A whole snapshot. (0) Month databases holding direct rows are written to `YYYY-MM.sqlite.next-<token>`
   * (fsynced, beside their sealed file), described in `partitions` and named in `meta.sealing`; (1) `writeMain`
   * writes cco.sqlite — the commit point: from here on the staged files are what cco.sqlite's rollups and
   * `partitions` count; (1b) each staged file is renamed over its month's file. A kill before (1) leaves
   * staged files no cco.sqlite names: `load` removes them, and the journal (not yet cut at this snapshot)
   * still holds their rows. A kill after (1) leaves them named: `load` renames them into place. Then steps
   * (2)–(4) (`afterMainWritten`). `writeMain` runs at least once (the journal position must move on);
   * `mainOnDisk` false forces (1). Returns true when cco.sqlite was written again after a fold or seal.
   */
  snapshot(writeMain: () => void, now = this.clock(), mainOnDisk = true): boolean {
    const staged = this.stageDirect();
    let written = false;
    if (staged.length > 0 || this.mainDirty || !mainOnDisk) {
      writeMain();
      written = true;
    }
    this.commitStaged(staged);
    const again = this.afterMainWritten(writeMain, now);
    if (!again && !written) writeMain();
    return again;
  }

  /** Step (0) of `snapshot`. */
  private stageDirect(): { part: OpenPart; file: string }[] {
    const staged: { part: OpenPart; file: string }[] = [];
    try {
      for (const part of this.open.values()) {
        if (part.direct === 0) continue;
        const file = `${partitionPath(this.dataDir, part.month)}.next-${stageToken()}`;
        const bytes = this.writePart(part, file);
        staged.push({ part, file });
        this.describe(part, bytes, Math.round(fs.statSync(file).mtimeMs));
      }
    } catch (err) {
      for (const { file } of staged) fs.rmSync(file, { force: true }); // the next snapshot stages them again
      throw err;
    }
    if (staged.length > 0) setMeta(this.db, SEALING_KEY, JSON.stringify(staged.map((x) => path.basename(x.file))));
    return staged;
  }

  /** Step (1b) of `snapshot`, once cco.sqlite naming the staged files is on disk. */
  private commitStaged(staged: readonly { part: OpenPart; file: string }[]): void {
    if (staged.length === 0) return;
    for (const { part, file } of staged) {
      const to = partitionPath(this.dataDir, part.month);
      fs.renameSync(file, to);
      part.direct = 0;
      part.dirty = false; // the file holds its repricings too; reprice_log is cleared by afterMainWritten
      this.log('info', `store: month ${part.month} sealed in ${to}`);
    }
    fsyncDir(monthsDir(this.dataDir));
    // Kept in cco.sqlite on disk until its next write: a name no file has any more is ignored by `load`.
    this.db.run('DELETE FROM meta WHERE key = ?', [SEALING_KEY]);
  }

  /**
   * Steps (2)–(4) of a snapshot (see the header), after `writeMain` wrote cco.sqlite once. Returns true
   * when cco.sqlite was written again.
   */
  private afterMainWritten(writeMain: () => void, now: number): boolean {
    this.mainDirty = false;
    let changed = false;
    for (const part of [...this.open.values()]) {
      if (!part.dirty) continue;
      this.seal(part);
      changed = true;
    }
    if (Number(this.db.exec('SELECT COUNT(*) FROM reprice_log')[0]?.values[0]?.[0] ?? 0) > 0) {
      this.db.run('DELETE FROM reprice_log');
      changed = true;
    }
    if (this.fold(now)) changed = true;
    if (!changed) return false;
    this.compact();
    writeMain();
    this.mainDirty = false;
    return true;
  }

  /** Moves the rows of every month that ended FOLD_GRACE_MS ago out of cco.sqlite into its file. */
  private fold(now: number): boolean {
    const limit = foldLimit(now);
    let moved = false;
    for (;;) {
      const min = this.db.exec('SELECT MIN(started_at) FROM requests WHERE started_at < ?', [limit])[0]?.values[0]?.[0];
      if (min === null || min === undefined) break;
      const month = monthOf(Number(min));
      const { start, end } = monthRange(month);
      if (end > this.floor) {
        const part = (this.info.has(month) ? this.tryOpenPart(month) : null) ?? this.openPart(month, true);
        const writer = new RowWriter(part.db, part.strings, false);
        try {
          if (this.copyRows(part, writer, start, end) > 0) part.dirty = true;
        } finally {
          writer.free();
        }
        if (part.dirty || !this.info.has(month)) this.seal(part);
      }
      this.db.run('DELETE FROM requests WHERE started_at >= ? AND started_at < ?', [start, end]);
      this.log('info', `store: month ${month} sealed in ${partitionPath(this.dataDir, month)}`);
      moved = true;
    }
    return moved;
  }

  /**
   * Copies cco.sqlite's visible rows started in [start, end) into the month's database, FOLD_CHUNK rows per
   * transaction, as column values: interned strings are translated between the two dictionaries, no record
   * objects are made (reading rows into records and writing them back was ~a third of a bulk import's CPU).
   * Returns the rows inserted (already present ones are ignored, as the journal replay does).
   */
  private copyRows(part: OpenPart, writer: RowWriter, start: number, end: number): number {
    const ids = new Map<number, number | null>(); // cco.sqlite string id → the month's
    const translate = (id: SqlValue): SqlValue => {
      if (id === null) return null;
      const key = Number(id);
      let out = ids.get(key);
      if (out === undefined) {
        out = part.strings.intern(this.writer.strings.text(key));
        ids.set(key, out);
      }
      return out;
    };
    const interned = [...INTERNED_COLUMNS];
    const stmt = this.db.prepare(`SELECT ${REQUEST_COLUMNS.join(', ')} FROM requests
      WHERE started_at >= ? AND started_at < ? ORDER BY started_at, id`);
    const onError = (id: string, err: Error): void => this.log('error', `store: row ${id} not sealed: ${err.message}`);
    let inserted = 0;
    try {
      stmt.bind([Math.max(start, this.floor === Number.NEGATIVE_INFINITY ? start : this.floor), end]);
      let chunk: SqlValue[][] = [];
      while (stmt.step()) {
        const v = stmt.get();
        for (const i of interned) v[i] = translate(v[i] ?? null);
        chunk.push(v);
        if (chunk.length >= FOLD_CHUNK) {
          inserted += writer.insertValues(chunk, onError);
          chunk = [];
        }
      }
      inserted += writer.insertValues(chunk, onError);
    } finally {
      stmt.free();
    }
    return inserted;
  }

  /** Rebuilds cco.sqlite when a fold left much of it free (its memory is the file's size). */
  private compact(): void {
    if (vacuumIfSparse(this.db)) this.onRelease();
  }

  close(): void {
    for (const p of [...this.open.values()]) this.closePart(p);
  }
}

/** A month file that is empty or fails quick_check. */
class DamagedMonthError extends Error {
  constructor(
    readonly month: MonthKey,
    readonly reason: string,
  ) {
    super(`month file ${month} is damaged: ${reason}`);
  }
}

/** Rows started before this instant belong to months that fold now. */
export function foldLimit(now: number): number {
  return monthRange(monthOf(now - FOLD_GRACE_MS)).start;
}


function repriceDelta(old: RequestRecord, u: RepriceUpdate): RollupDelta {
  const d = recordDelta(old);
  const wasUnpriced = old.billable && old.costNanoUsd === null ? 1 : 0;
  const isUnpriced = old.billable && u.costNanoUsd === null ? 1 : 0;
  return {
    key: d.key,
    session: d.session,
    requests: 0,
    cost: (u.costNanoUsd ?? 0) - (old.costNanoUsd ?? 0),
    unpriced: isUnpriced - wasUnpriced,
    savings: u.cacheSavingsNanoUsd - old.cacheSavingsNanoUsd,
    tokens: [0, 0, 0, 0, 0],
    hits: 0,
    hitSavings: old.cacheHit ? u.cacheSavingsNanoUsd - old.cacheSavingsNanoUsd : 0,
  };
}

function updateRow(part: OpenPart, u: RepriceUpdate): void {
  part.db.run(
    'UPDATE requests SET cost_nano_usd = ?, price_version = ?, cache_savings_nano_usd = ?, unpriced_reason = ? WHERE id = ?',
    [u.costNanoUsd, part.strings.intern(u.priceVersion), u.cacheSavingsNanoUsd, part.strings.intern(u.unpricedReason), u.id],
  );
  part.dirty = true;
}

/**
 * sql.js database lifecycle inside the worker: load the wasm, open the snapshot (or create a database),
 * migrate, and write snapshots atomically (temp file → fsync → rename → fsync dir).
 */
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import type { Database, SqlJsConfig, SqlJsStatic } from 'sql.js';
import { getMeta, migrate, MIGRATIONS, setMeta } from './migrations.ts';
import { fsyncDir } from './segments.ts';
import { readDatabaseBytes } from './file-bytes.ts';
import { builtSchemaImage, newDatabase, type SchemaImage } from './schema-image.ts';

const require = createRequire(import.meta.url);

export const SNAPSHOT_FILE = 'cco.sqlite';

type InitSqlJs = (config?: SqlJsConfig) => Promise<SqlJsStatic>;

/**
 * Where sql.js' WebAssembly comes from: `'file'` = `sql-wasm.wasm` from node_modules (sources, npm
 * installs); `'inline'` = `sql-wasm-inline.js`, the same build with the wasm embedded in the JavaScript
 * (a one-file bundle, no node_modules); `{ path }` = a `sql-wasm.wasm` of the installed sql.js version.
 */
export type SqlWasm = 'file' | 'inline' | { path: string };

/** Baked in by a one-file build (esbuild `define`, see scripts/build-daemon.ts): `'inline'`. */
declare const __CCO_SQL_WASM__: string | undefined;

export function defaultSqlWasm(): SqlWasm {
  return typeof __CCO_SQL_WASM__ === 'string' && __CCO_SQL_WASM__ === 'inline' ? 'inline' : 'file';
}

export async function loadSqlJs(wasm: SqlWasm = defaultSqlWasm()): Promise<SqlJsStatic> {
  // Literal import() specifiers, so a bundler can embed whichever is used.
  if (wasm === 'inline') return ((await import('sql.js/dist/sql-wasm-inline.js')).default as InitSqlJs)();
  const init = (await import('sql.js')).default as InitSqlJs;
  const wasmBinary = fs.readFileSync(wasm === 'file' ? require.resolve('sql.js/dist/sql-wasm.wasm') : wasm.path);
  return init({ wasmBinary: wasmBinary.buffer.slice(wasmBinary.byteOffset, wasmBinary.byteOffset + wasmBinary.byteLength) as ArrayBuffer });
}

export interface OpenedDatabase {
  db: Database;
  journalSeq: number;
  schemaFrom: number;
  schemaTo: number;
}

/**
 * Null when `db` passes `PRAGMA quick_check` (b-tree structure, page format, record sizes; not index
 * contents: a full integrity_check costs several times more), else the first problem it reports. sql.js
 * reads a buffer lazily, so this is also what turns a damaged file into an error at open instead of a
 * "database disk image is malformed" at some later query.
 */
export function integrityProblem(db: Database): string | null {
  try {
    const rows = db.exec('PRAGMA quick_check(5)')[0]?.values ?? [];
    const first = String(rows[0]?.[0] ?? 'no answer');
    return first === 'ok' ? null : rows.map((r) => String(r[0])).join('; ').slice(0, 300);
  } catch (err) {
    return (err as Error).message;
  }
}

/** Renames a damaged file to `<file>.corrupt-<ms>` (kept for inspection) and returns the new name. */
export function moveAside(file: string): string {
  const aside = `${file}.corrupt-${Date.now()}`;
  fs.renameSync(file, aside);
  return aside;
}

export interface OpenedDatabase {
  db: Database;
  journalSeq: number;
  schemaFrom: number;
  schemaTo: number;
  /**
   * `missing` (no file), `loaded`, or why it was moved aside. `checked`: whether `PRAGMA quick_check` ran
   * (not when the file is the one this store last wrote, unchanged: see `unchangedSinceWritten`).
   */
  snapshot: { state: 'loaded' | 'missing' | 'damaged'; reason?: string; movedTo?: string; checked?: boolean };
}

/** Beside cco.sqlite: the identity of the file as this store last wrote it (see `noteWritten`). */
export const WRITTEN_SUFFIX = '.written';

/** Device, inode, size, and modification and change times (ns) of `file`. */
function identity(file: string): string {
  const st = fs.statSync(file, { bigint: true });
  return `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
}

/**
 * Records the identity of `file` just written, fsynced and renamed into place by this store. Not fsynced
 * itself: a note lost in a crash only means the next open checks the file.
 */
function noteWritten(file: string): void {
  try {
    fs.writeFileSync(`${file}${WRITTEN_SUFFIX}`, identity(file), { mode: 0o600 });
  } catch {
    // the next open checks the file
  }
}

/**
 * True when `file` is, by its identity, the one this store last wrote: no write, truncation, replacement or
 * copy through the file system since (each changes the inode, the size or the change time, which no
 * program can set back). Its `quick_check` at open is then skipped: it reads every page (~0.3 s of a
 * restart at 1 M rows, cco.sqlite ~45 MB). What it does not cover is damage below the file system (a
 * bad sector reads as an I/O error, which still moves the file aside; silent corruption of a page passes
 * quick_check too unless it breaks the b-tree structure).
 */
export function unchangedSinceWritten(file: string): boolean {
  try {
    return fs.readFileSync(`${file}${WRITTEN_SUFFIX}`, 'utf8') === identity(file);
  } catch {
    return false;
  }
}

/**
 * Opens `<dataDir>/cco.sqlite`. A snapshot that is empty, not a readable SQLite database or fails
 * `PRAGMA quick_check` is moved aside (`cco.sqlite.corrupt-<ms>`) and a fresh database is started, so the
 * daemon still comes up; the journal is then replayed from the start (the caller reports what may be
 * missing). A database from a newer schema is an error (never downgraded). A new database starts from the
 * schema's image when the build carries one (schema-image.ts; `image`, for tests), else from its migrations.
 * `spare`: a new database made ahead by `spareDatabase(SQL)` (the prestarted worker, store-worker.ts), used as
 * the new database when there is no cco.sqlite (or a damaged one), else closed.
 */
export interface OpenDatabaseOptions {
  /** The schema's image a new database starts from; default the build's (null from the sources). */
  image?: SchemaImage | null;
  /** Told what it does now (GET /api/status while the store opens). */
  step?: (what: string) => void;
  /** A new database made ahead (`spareDatabase`), used when a new one is needed, else closed. */
  spare?: Database | null;
}

export function openDatabase(
  SQL: SqlJsStatic,
  dataDir: string,
  log: (level: 'info' | 'warn' | 'error', msg: string) => void,
  { image = builtSchemaImage(), step = () => undefined, spare = null }: OpenDatabaseOptions = {},
): OpenedDatabase {
  const file = path.join(dataDir, SNAPSHOT_FILE);
  fs.rmSync(`${file}.tmp`, { force: true }); // a snapshot cut short by a crash
  let db: Database | null = null;
  let snapshot: OpenedDatabase['snapshot'] = { state: 'missing' };
  if (fs.existsSync(file)) {
    let reason: string | null;
    let checked = true;
    try {
      step(`reading cco.sqlite (${Math.round(fs.statSync(file).size / 1e6)} MB)`);
      const bytes = readDatabaseBytes(file);
      if (bytes.byteLength === 0) throw new Error('the file is empty (0 bytes)');
      checked = !unchangedSinceWritten(file);
      db = new SQL.Database(bytes);
      reason = checked ? integrityProblem(db) : null;
    } catch (err) {
      reason = (err as Error).message;
    }
    if (reason === null) snapshot = { state: 'loaded', checked };
    else {
      db?.close();
      db = null;
      const movedTo = moveAside(file);
      snapshot = { state: 'damaged', reason, movedTo };
      log('error', `store: cco.sqlite is damaged (${reason}); moved to ${movedTo}, rebuilding from the journal`);
    }
  }
  const created = db === null;
  if (!created) spare?.close();
  db ??= spare ?? newDatabase(SQL, image);
  setConnectionPragmas(db);
  try {
    if (snapshot.state === 'loaded') {
      let at = 0;
      try {
        at = Number(getMeta(db, 'schema_version') ?? '0');
      } catch {
        // no meta table: migrate() says what is wrong
      }
      if (at > 0 && at < MIGRATIONS.length) step(`migrating cco.sqlite from schema ${at} to ${MIGRATIONS.length}`);
    }
    const migrated = migrate(db);
    // a new database had no schema, whether it was built by the migrations or opened from their image
    const from = created ? 0 : migrated.from;
    const to = migrated.to;
    if (from !== to) log('info', `store: schema migrated ${from} → ${to}`);
    // a migration that rebuilt a table (8 → 9: session_rollups) leaves its old pages free
    if (from > 0 && from !== to) step('compacting cco.sqlite after its migration');
    if (from > 0 && from !== to && vacuumIfSparse(db)) log('info', 'store: cco.sqlite compacted after the migration');
    return { db, journalSeq: Number(getMeta(db, 'journal_seq') ?? '0'), schemaFrom: from, schemaTo: to, snapshot };
  } catch (err) {
    db.close();
    throw err;
  }
}

/** The connection settings of cco.sqlite's database (not stored in the file: set at every open). */
function setConnectionPragmas(db: Database): void {
  // The database lives in memory (durability is the journal's and the snapshots' job), so SQLite's own
  // rollback journal may too: a MEMFS journal file per transaction cost ~30 % of each insert batch.
  db.run('PRAGMA journal_mode = MEMORY');
  // GROUP BY / ORDER BY scratch b-trees on the heap rather than in a MEMFS temp file (each write there is a
  // copy into a JS buffer that grows by copying): summaries and sorted lists ~15 % less CPU at 1 M rows
  db.run('PRAGMA temp_store = MEMORY');
}

/**
 * A new database made ahead of `openDatabase` (its `spare`): from the schema's image when the build carries
 * one, connection settings made and its schema read, which is most of what opening any database costs the first
 * time (SQLite's code compiled lazily from sql.js' wasm as it is first called).
 */
export function spareDatabase(SQL: SqlJsStatic): Database {
  const db = newDatabase(SQL);
  setConnectionPragmas(db);
  db.exec('SELECT COUNT(*) FROM sqlite_master');
  return db;
}

/**
 * Rebuilds `db` (VACUUM) when more than a quarter of its pages are free: an in-memory database's memory, and
 * each snapshot's copy, is its file's size, free pages included. Returns whether it did. Outside a transaction.
 */
export function vacuumIfSparse(db: Database): boolean {
  const pages = Number(db.exec('PRAGMA page_count')[0]?.values[0]?.[0] ?? 0);
  const free = Number(db.exec('PRAGMA freelist_count')[0]?.values[0]?.[0] ?? 0);
  if (pages === 0 || free / pages <= 0.25) return false;
  db.run('VACUUM');
  return true;
}

/** Bytes per write() call when writing a snapshot. */
const SLICE = 4 * 1024 * 1024;

/**
 * Writes the whole database to cco.sqlite, recording `upToSeq` as the journal position it includes.
 *
 * sql.js 1.16 keeps the database in an Emscripten MEMFS file, but exports neither `FS` nor the heap, and
 * its minified build mangles MEMFS' property names, so that file cannot be read in place; nor is
 * `sqlite_dbpage` compiled in (no page-wise reads). `export()` (an online backup into one exact-size
 * buffer, refused while a write transaction is open) is therefore the one consistent copy available. The
 * copy is written out in slices and dropped here; the caller should then collect garbage (`gc.ts`) so
 * its memory is returned at once instead of whenever the idle worker next allocates.
 */
export function writeSnapshot(db: Database, dataDir: string, upToSeq: number): number {
  setMeta(db, 'journal_seq', String(upToSeq));
  const file = path.join(dataDir, SNAPSHOT_FILE);
  const size = writeDatabaseFile(db, file);
  noteWritten(file);
  return size;
}

/** Writes `db` to `file` atomically (`<file>.tmp`, fsync, rename, fsync of the directory), mode 0600. */
export function writeDatabaseFile(db: Database, file: string): number {
  const tmp = `${file}.tmp`;
  const bytes = db.export();
  const size = bytes.length;
  const fd = fs.openSync(tmp, 'w', 0o600);
  try {
    let off = 0;
    while (off < size) off += fs.writeSync(fd, bytes, off, Math.min(SLICE, size - off));
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
  fsyncDir(path.dirname(file));
  return size;
}

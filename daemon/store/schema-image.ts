/**
 * A new database from the schema's image instead of from its migrations (issue 14, cold start).
 *
 * A new store (the first start, or every start of a store that never recorded anything) used to run every
 * migration on an empty database: dozens of CREATE/ALTER/DROP statements, and the first use of SQLite's DDL
 * code, which V8 compiles lazily from sql.js' wasm on first call — ~100 ms of the store worker's CPU, on the
 * path to /ready. The build (scripts/build-daemon.ts) runs the same migrations once on an empty database and
 * bakes the exported bytes into the store worker (`__CCO_SCHEMA_IMAGE__`); a new database is then opened
 * from those bytes. The migrations stay the one source of truth: the image is their output, made by
 * `makeSchemaImage` below, and a database opened from it is migrated like any other (`migrate` applies what
 * the image lacks, if a build ever pairs an older image with newer migrations). Run from the sources (tests,
 * `npm run daemon`), there is no image and a new database is migrated as before.
 *
 * The image is stored sparsely: an empty database is ~23 pages of 4 KB, 87 % zero bytes; the runs of
 * non-zero bytes (base64) take ~16 KB of the worker's source instead of ~125 KB for the whole file.
 */
import type { Database, SqlJsStatic } from 'sql.js';
import { migrate } from './migrations.ts';

/** The bytes of a database file: its size and, at each offset, a run of non-zero bytes (base64). */
export interface SchemaImage {
  size: number;
  runs: [offset: number, base64: string][];
}

/** Runs of zero bytes shorter than this stay inside a run (each run costs ~15 bytes of JSON). */
const MIN_GAP = 16;

export function encodeImage(bytes: Uint8Array): SchemaImage {
  const runs: SchemaImage['runs'] = [];
  let i = 0;
  while (i < bytes.length) {
    while (i < bytes.length && bytes[i] === 0) i++;
    if (i >= bytes.length) break;
    const start = i;
    let end = i;
    while (i < bytes.length && i - end < MIN_GAP) {
      if (bytes[i] !== 0) end = i + 1;
      i++;
    }
    runs.push([start, Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString('base64')]);
    i = end;
  }
  return { size: bytes.length, runs };
}

export function decodeImage(image: SchemaImage): Uint8Array {
  const bytes = new Uint8Array(image.size);
  for (const [offset, base64] of image.runs) bytes.set(Buffer.from(base64, 'base64'), offset);
  return bytes;
}

/** The image of an empty database brought to the latest schema by the migrations (the build calls this). */
export function makeSchemaImage(SQL: SqlJsStatic): SchemaImage {
  const db = new SQL.Database();
  try {
    migrate(db);
    return encodeImage(db.export());
  } finally {
    db.close();
  }
}

/** Baked in by the build (esbuild `define`, scripts/build-daemon.ts); not defined when run from the sources. */
declare const __CCO_SCHEMA_IMAGE__: SchemaImage | undefined;

/** The image this build carries, or null (run from the sources). */
export function builtSchemaImage(): SchemaImage | null {
  return typeof __CCO_SCHEMA_IMAGE__ === 'object' ? __CCO_SCHEMA_IMAGE__ : null;
}

/**
 * A new, empty database: opened from `image` when there is one (already at the image's schema version; the
 * caller's `migrate` then has nothing left to do, or only the steps the image lacks), else empty (version 0).
 */
export function newDatabase(SQL: SqlJsStatic, image: SchemaImage | null = builtSchemaImage()): Database {
  return image ? new SQL.Database(decodeImage(image)) : new SQL.Database();
}

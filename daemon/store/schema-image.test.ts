import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Database, SqlJsStatic } from 'sql.js';
import { loadSqlJs, openDatabase, spareDatabase, writeSnapshot } from './db.ts';
import { getMeta, migrate, MIGRATIONS, SCHEMA_VERSION, setMeta, type Migration } from './migrations.ts';
import { builtSchemaImage, decodeImage, encodeImage, makeSchemaImage, newDatabase } from './schema-image.ts';
import { Interner } from './interner.ts';
import { RowWriter } from './rows.ts';
import { listRequests } from './queries.ts';
import { makeRecord, tempDir } from './test-fixtures.ts';

const read = (db: Database, sql: string): unknown[][] => db.exec(sql)[0]?.values ?? [];

/** What a schema is made of: every object's definition, the meta rows, SQLite's own version fields. */
const schemaOf = (db: Database): unknown => ({
  master: read(db, 'SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name'),
  meta: read(db, 'SELECT key, value FROM meta ORDER BY key'),
  userVersion: read(db, 'PRAGMA user_version'),
  encoding: read(db, 'PRAGMA encoding'),
  pageSize: read(db, 'PRAGMA page_size'),
});

/** A migration 10 as a later release might write it: a column with a default, an index, a table. */
const migration10: Migration = (db) => {
  db.run('ALTER TABLE requests ADD COLUMN ten INTEGER NOT NULL DEFAULT 10');
  db.run('CREATE INDEX requests_ten ON requests (ten, started_at)');
  db.run('CREATE TABLE tenth (k TEXT PRIMARY KEY NOT NULL) WITHOUT ROWID');
};
const withTen = [...MIGRATIONS, migration10];

describe('the schema image (a new database without running the migrations)', () => {
  let SQL: SqlJsStatic;
  beforeAll(async () => {
    SQL = await loadSqlJs();
  });

  const migratedFresh = (steps: readonly Migration[] = MIGRATIONS): Database => {
    const db = new SQL.Database();
    migrate(db, steps);
    return db;
  };

  it('encodes a file as runs of non-zero bytes and decodes it exactly', () => {
    const bytes = new Uint8Array(10_000);
    for (const [at, v] of [[0, 1], [1, 2], [17, 3], [18, 0], [19, 4], [40, 5], [5000, 6], [9999, 7]] as const) bytes[at] = v;
    const image = encodeImage(bytes);
    expect(image.size).toBe(10_000);
    expect(image.runs.map(([offset]) => offset)).toEqual([0, 40, 5000, 9999]); // gaps under 16 zero bytes stay inside a run
    expect(decodeImage(image)).toEqual(bytes);
    expect(decodeImage(encodeImage(new Uint8Array(64)))).toEqual(new Uint8Array(64));
  });

  it('is, byte for byte, the empty database the migrations build, and a fraction of it in size', () => {
    const ref = migratedFresh();
    const image = makeSchemaImage(SQL);
    expect(decodeImage(image)).toEqual(ref.export());
    const db = newDatabase(SQL, image);
    expect(schemaOf(db)).toEqual(schemaOf(ref));
    expect(getMeta(db, 'schema_version')).toBe(String(SCHEMA_VERSION));
    expect(migrate(db)).toEqual({ from: SCHEMA_VERSION, to: SCHEMA_VERSION }); // nothing left to run
    expect(JSON.stringify(image).length).toBeLessThan(image.size / 3);
    db.close();
    ref.close();
  });

  it('a store opened on an empty folder starts from the image it is given, and reports a new schema (0 → latest)', () => {
    // a marker no migration makes: proves the database came from this image, not from the migrations
    const marked = new SQL.Database();
    marked.run('CREATE TABLE image_marker (x)');
    migrate(marked);
    const image = encodeImage(marked.export());
    marked.close();
    const messages: string[] = [];
    const opened = openDatabase(SQL, tempDir(), (_l, m) => messages.push(m), { image });
    expect(read(opened.db, "SELECT name FROM sqlite_master WHERE name = 'image_marker'")).toEqual([['image_marker']]);
    expect([opened.schemaFrom, opened.schemaTo, opened.snapshot.state]).toEqual([0, SCHEMA_VERSION, 'missing']);
    expect(messages).toEqual([`store: schema migrated 0 → ${SCHEMA_VERSION}`]); // as a new store said before
    opened.db.close();
    // without one (run from the sources) the migrations build it, to the same schema
    const plain = openDatabase(SQL, tempDir(), () => undefined, { image: null });
    const ref = migratedFresh();
    expect(schemaOf(plain.db)).toEqual(schemaOf(ref));
    plain.db.close();
    ref.close();
  });

  it("openDatabase takes a spare made ahead (spareDatabase) as a new store's database, and closes it when cco.sqlite exists", () => {
    const dataDir = tempDir();
    const spare = spareDatabase(SQL);
    const opened = openDatabase(SQL, dataDir, () => undefined, { image: null, spare });
    expect(opened.db).toBe(spare);
    expect([opened.schemaFrom, opened.schemaTo]).toEqual([0, SCHEMA_VERSION]);
    const ref = migratedFresh();
    expect(schemaOf(opened.db)).toEqual(schemaOf(ref));
    setMeta(opened.db, 'marker', 'from the file');
    writeSnapshot(opened.db, dataDir, 1);
    opened.db.close();
    ref.close();
    const unused = spareDatabase(SQL);
    const reopened = openDatabase(SQL, dataDir, () => undefined, { image: null, spare: unused });
    expect(reopened.db).not.toBe(unused);
    expect(getMeta(reopened.db, 'marker')).toBe('from the file');
    expect(() => unused.exec('SELECT 1')).toThrow(/closed/i);
    reopened.db.close();
  });

  it('an image older than the migrations is brought up by the steps it lacks', () => {
    const eight = new SQL.Database();
    migrate(eight, MIGRATIONS, 8);
    const image = encodeImage(eight.export());
    eight.close();
    const opened = openDatabase(SQL, tempDir(), () => undefined, { image });
    const ref = migratedFresh();
    expect(schemaOf(opened.db)).toEqual(schemaOf(ref));
    opened.db.close();
    ref.close();
  });

  it('a store created from the image, with rows, migrates like any other when migration 10 arrives', () => {
    const dataDir = tempDir();
    const opened = openDatabase(SQL, dataDir, () => undefined, { image: makeSchemaImage(SQL) });
    const records = [0, 1, 2].map((i) => makeRecord({ startedAt: Date.UTC(2026, 11, 1, 10, i), sessionId: 's1', costNanoUsd: 100 + i }));
    const writer = new RowWriter(opened.db, new Interner(opened.db));
    expect(writer.insertMany(records, (_r, err) => { throw err; })).toBe(3);
    writer.free();
    writer.strings.free();
    writeSnapshot(opened.db, dataDir, 7);
    opened.db.close();

    // the next release: cco.sqlite (written from the image) goes through migration 10
    const db = new SQL.Database(fs.readFileSync(path.join(dataDir, 'cco.sqlite')));
    expect(migrate(db, withTen)).toEqual({ from: SCHEMA_VERSION, to: SCHEMA_VERSION + 1 });
    const ref = migratedFresh(withTen);
    const { meta: _m, ...schema } = schemaOf(db) as { meta: unknown };
    const { meta: _r, ...refSchema } = schemaOf(ref) as { meta: unknown };
    expect(schema).toEqual(refSchema);
    expect(read(db, "SELECT value FROM meta WHERE key IN ('schema_version', 'journal_seq') ORDER BY key")).toEqual([['7'], [String(SCHEMA_VERSION + 1)]]);
    expect(read(db, 'SELECT id, ten FROM requests ORDER BY id')).toEqual(records.map((r) => [r.id, 10]).sort());
    const w = new Interner(db);
    expect(listRequests(db, w, { limit: 10 }).items.map((r) => r.id)).toEqual(records.map((r) => r.id).reverse());
    w.free();
    db.close();
    // and a new store of that release, from its own image, is the same as from its migrations
    const image10 = (() => {
      const d = migratedFresh(withTen);
      const img = encodeImage(d.export());
      d.close();
      return img;
    })();
    const fresh10 = newDatabase(SQL, image10);
    expect(migrate(fresh10, withTen)).toEqual({ from: SCHEMA_VERSION + 1, to: SCHEMA_VERSION + 1 });
    expect(schemaOf(fresh10)).toEqual(schemaOf(ref));
    fresh10.close();
    ref.close();
  });

  it('run from the sources there is no image: a new database is migrated as before', () => {
    expect(builtSchemaImage()).toBeNull();
    const db = newDatabase(SQL);
    expect(read(db, 'SELECT COUNT(*) FROM sqlite_master')).toEqual([[0]]);
    db.close();
  });
});

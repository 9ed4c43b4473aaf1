import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { SqlJsStatic } from 'sql.js';
import { loadSqlJs } from './db.ts';
import { DiskFile, DiskReadError } from './disk-file.ts';
import { tempDir } from './test-fixtures.ts';

let SQL: SqlJsStatic;
beforeAll(async () => {
  SQL = await loadSqlJs();
});

const opened: DiskFile[] = [];
afterEach(() => {
  for (const d of opened.splice(0)) d.close();
});

/** A database file of `rows` rows with an index, ~2 MB at 20 k rows (several read windows and cache sizes). */
function writeDatabase(rows: number): string {
  const db = new SQL.Database();
  db.run('CREATE TABLE t (id INTEGER PRIMARY KEY, at INTEGER NOT NULL, name TEXT NOT NULL, blob BLOB)');
  db.run('CREATE INDEX t_at ON t (at DESC, id)');
  db.run('BEGIN');
  const stmt = db.prepare('INSERT INTO t (at, name, blob) VALUES (?, ?, ?)');
  for (let i = 0; i < rows; i++) stmt.run([(i * 7919) % 100_003, `name ${i} ${'x'.repeat(i % 97)}`, i % 50 === 0 ? new Uint8Array(6000).fill(i % 251) : null]);
  stmt.free();
  db.run('COMMIT');
  const file = path.join(tempDir('cco-disk-file-'), 'm.sqlite');
  fs.writeFileSync(file, db.export());
  db.close();
  return file;
}

const sha = (file: string): string => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');

describe('DiskFile', () => {
  it('gives sql.js the same answers as the file loaded whole, reading it from disk', () => {
    const file = writeDatabase(20_000);
    const whole = new SQL.Database(fs.readFileSync(file));
    const disk = DiskFile.read(file);
    opened.push(disk);
    const db = new SQL.Database(disk.data);
    for (const q of [
      'PRAGMA quick_check',
      'SELECT count(*), sum(at), sum(length(name)), sum(length(blob)) FROM t',
      'SELECT id, at, name, hex(blob) FROM t ORDER BY at DESC, id LIMIT 500 OFFSET 9000',
      'SELECT id, name FROM t WHERE id IN (1, 777, 19999, 20000, 20001)',
    ]) {
      expect(db.exec(q)).toEqual(whole.exec(q));
    }
    expect(disk.contents.reads).toBeGreaterThan(10); // read from the file, not from a copy
    db.close();
    whole.close();
  });

  it('refuses writes: SQLite reports an error, the file is unchanged and still reads', () => {
    const file = writeDatabase(3000);
    const before = sha(file);
    const disk = DiskFile.read(file);
    opened.push(disk);
    const db = new SQL.Database(disk.data);
    expect(() => db.run("INSERT INTO t (at, name) VALUES (1, 'new')")).toThrow();
    expect(() => db.run('UPDATE t SET name = ? WHERE id < 100', ['changed'])).toThrow();
    expect(db.exec('SELECT count(*) FROM t')[0]?.values).toEqual([[3000]]);
    expect(db.exec("SELECT count(*) FROM t WHERE name = 'changed' OR name = 'new'")[0]?.values).toEqual([[0]]);
    db.close();
    disk.close();
    expect(sha(file)).toBe(before);
  });

  it('keeps reading the file it opened when another is renamed over it (a re-sealed month)', () => {
    const file = writeDatabase(3000);
    const disk = DiskFile.read(file);
    opened.push(disk);
    const db = new SQL.Database(disk.data);
    const other = writeDatabase(10);
    fs.renameSync(other, file);
    expect(db.exec('SELECT count(*) FROM t')[0]?.values).toEqual([[3000]]);
    db.close();
  });

  it('a file truncated under it: the read fails with a DiskReadError naming the file, and so does every read after it', () => {
    const file = writeDatabase(20_000);
    const size = fs.statSync(file).size;
    const disk = DiskFile.read(file, 'month 2026-03');
    opened.push(disk);
    const db = new SQL.Database(disk.data);
    expect(db.exec('SELECT count(*) FROM t WHERE id < 10')[0]?.values).toEqual([[9]]);
    fs.truncateSync(file, 100_000);
    const message = `month 2026-03: cannot read ${file}: it is shorter than when it was opened (100000 of ${size} bytes`;
    expect(() => db.exec('SELECT count(*), sum(length(name)) FROM t')).toThrow(message); // before: "database disk image is malformed"
    expect(disk.failure).toBeInstanceOf(DiskReadError);
    expect(() => db.exec('SELECT count(*) FROM t WHERE id < 10')).toThrow(message);
    db.close(); // closes after the failure
  });
});

describe('DiskFile written through a working copy', () => {
  const pageBytes = (db: import('sql.js').Database): number =>
    Number(db.exec('PRAGMA page_count')[0]!.values[0]![0]) * Number(db.exec('PRAGMA page_size')[0]!.values[0]![0]);
  const writes = [
    "INSERT INTO t (at, name, blob) SELECT at + 1, 'copy ' || name, blob FROM t WHERE id % 3 = 0",
    "UPDATE t SET name = 'changed ' || id WHERE id % 7 = 0",
    'DELETE FROM t WHERE id % 11 = 0',
  ];
  const queries = [
    'PRAGMA quick_check',
    'SELECT count(*), sum(at), sum(length(name)), sum(length(blob)) FROM t',
    'SELECT id, at, name, hex(blob) FROM t ORDER BY at DESC, id LIMIT 300 OFFSET 5000',
  ];

  it('reads the file until the first write, then writes only a copy of it; copyTo seals what SQLite holds', () => {
    const file = writeDatabase(20_000);
    const before = sha(file);
    const work = `${file}.work-1`;
    const disk = DiskFile.copyOnWrite(file, work);
    opened.push(disk);
    const db = new SQL.Database(disk.data);
    db.run('PRAGMA journal_mode = MEMORY');
    db.exec('SELECT count(*) FROM t');
    expect([disk.written, fs.existsSync(work)]).toEqual([false, false]); // reading makes no copy
    const twin = new SQL.Database(fs.readFileSync(file));
    db.run('PRAGMA cache_size = 20'); // pages spill to the file inside the transactions
    for (const w of writes) {
      db.run(w);
      twin.run(w);
    }
    expect([disk.written, fs.existsSync(work), disk.detached]).toEqual([true, true, false]);
    expect(disk.contents.writes).toBeGreaterThan(10);
    expect(sha(file)).toBe(before); // the file read is never written
    for (const q of queries) expect(db.exec(q)).toEqual(twin.exec(q));
    const sealed = path.join(path.dirname(file), 'sealed.sqlite');
    expect(disk.copyTo(sealed, pageBytes(db))).toBe(fs.statSync(sealed).size);
    expect((fs.statSync(sealed).mode & 0o777).toString(8)).toBe('600');
    const reopened = new SQL.Database(fs.readFileSync(sealed));
    for (const q of queries) expect(reopened.exec(q)).toEqual(twin.exec(q));
    expect(disk.copyTo(sealed, pageBytes(db) + 4096)).toBeNull(); // not the size SQLite says: refused
    reopened.close();
    twin.close();
    db.close();
    disk.close();
    expect(fs.existsSync(work)).toBe(false); // the working copy goes with it
    expect(sha(file)).toBe(before);
  });

  it('a rollback that shrinks the file (MEMFS copies it into memory) is noticed: copyTo refuses, answers stay right', () => {
    const file = writeDatabase(3000);
    const work = `${file}.work-2`;
    fs.copyFileSync(file, work);
    const disk = DiskFile.scratch(work);
    opened.push(disk);
    const db = new SQL.Database(disk.data);
    db.run('PRAGMA journal_mode = MEMORY');
    db.run('PRAGMA cache_size = 10');
    const twin = new SQL.Database(fs.readFileSync(file));
    const size = disk.size;
    db.run('BEGIN');
    db.run("INSERT INTO t (at, name, blob) SELECT at, name, zeroblob(3000) FROM t"); // spills past the old end
    expect(disk.size).toBeGreaterThan(size);
    db.run('ROLLBACK');
    expect(disk.detached).toBe(true);
    for (const q of queries) expect(db.exec(q)).toEqual(twin.exec(q));
    db.run(writes[1]!); // goes on in memory
    twin.run(writes[1]!);
    for (const q of queries) expect(db.exec(q)).toEqual(twin.exec(q));
    expect(disk.copyTo(path.join(path.dirname(file), 'sealed.sqlite'), pageBytes(db))).toBeNull();
    twin.close();
    db.close();
  });

  it('refuses to copy a file renamed over since it was opened: the write fails, no file is written', () => {
    const file = writeDatabase(3000);
    const work = `${file}.work-3`;
    const disk = DiskFile.copyOnWrite(file, work);
    opened.push(disk);
    const db = new SQL.Database(disk.data);
    fs.renameSync(writeDatabase(10), file);
    const after = sha(file);
    expect(() => db.run("INSERT INTO t (at, name) VALUES (1, 'new')")).toThrow();
    expect(fs.existsSync(work)).toBe(false);
    expect(sha(file)).toBe(after);
    expect(db.exec('SELECT count(*) FROM t')[0]?.values).toEqual([[3000]]);
    db.close();
  });
});

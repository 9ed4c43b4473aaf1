import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultSqlWasm, loadSqlJs, openDatabase, writeSnapshot, type SqlWasm } from './db.ts';
import { openStore } from './index.ts';
import { makeRecord, tempDir } from './test-fixtures.ts';

const wasmPath = createRequire(import.meta.url).resolve('sql.js/dist/sql-wasm.wasm');

describe('loadSqlJs', () => {
  it('defaults to the wasm file from node_modules when not built as one file', () => {
    expect(defaultSqlWasm()).toBe('file');
  });

  for (const wasm of ['file', 'inline', { path: wasmPath }] as SqlWasm[]) {
    it(`loads a working sql.js from ${JSON.stringify(wasm)}`, async () => {
      const SQL = await loadSqlJs(wasm);
      const db = new SQL.Database();
      try {
        expect(db.exec("SELECT sqlite_version() LIKE '3.%', 6 * 7")[0]?.values).toEqual([[1, 42]]);
      } finally {
        db.close();
      }
    });
  }

  it('fails clearly for a wasm path that does not exist', async () => {
    await expect(loadSqlJs({ path: '/nonexistent/sql-wasm.wasm' })).rejects.toThrow(/ENOENT/);
  });

  it('a store runs on the inline build', async () => {
    const store = await openStore({ dataDir: tempDir(), sqlWasm: 'inline', retentionDays: 36_500, log: () => undefined });
    try {
      const r = makeRecord();
      store.add(r);
      await store.flush();
      expect(await store.getRequest(r.id)).toEqual(r);
    } finally {
      await store.close();
    }
  });
});

describe('openDatabase', () => {
  it('keeps the rollback journal in memory, and rollbacks and snapshots still work', async () => {
    const SQL = await loadSqlJs('file');
    const dir = tempDir();
    const { db } = openDatabase(SQL, dir, () => undefined);
    try {
      expect(db.exec('PRAGMA journal_mode')[0]?.values).toEqual([['memory']]);
      db.run('CREATE TABLE t (x INTEGER)');
      db.run('INSERT INTO t VALUES (1)');
      db.run('BEGIN');
      db.run('INSERT INTO t VALUES (2)');
      db.run('ROLLBACK');
      expect(db.exec('SELECT x FROM t')[0]?.values).toEqual([[1]]);
      writeSnapshot(db, dir, 7);
      expect(db.exec('PRAGMA journal_mode')[0]?.values).toEqual([['memory']]); // export keeps the connection
    } finally {
      db.close();
    }
    const reopened = openDatabase(SQL, dir, () => undefined);
    try {
      expect(reopened.journalSeq).toBe(7);
      expect(reopened.db.exec('SELECT x FROM t')[0]?.values).toEqual([[1]]);
    } finally {
      reopened.db.close();
    }
  });

  it('checks cco.sqlite at open unless it is the file this store last wrote, unchanged', async () => {
    const SQL = await loadSqlJs('file');
    const dir = tempDir();
    const file = path.join(dir, 'cco.sqlite');
    const first = openDatabase(SQL, dir, () => undefined);
    first.db.run('CREATE TABLE t (x INTEGER)');
    first.db.run('INSERT INTO t VALUES (1)');
    writeSnapshot(first.db, dir, 1);
    first.db.close();
    const reopen = () => {
      const o = openDatabase(SQL, dir, () => undefined);
      o.db.close();
      return o.snapshot;
    };
    expect(reopen()).toEqual({ state: 'loaded', checked: false }); // written and fsynced by this store
    // The same bytes written again in place (its change time moves): checked.
    fs.writeFileSync(file, fs.readFileSync(file));
    expect(reopen()).toEqual({ state: 'loaded', checked: true });
    // A copy (another inode), e.g. restored from a backup: checked.
    const again = openDatabase(SQL, dir, () => undefined);
    writeSnapshot(again.db, dir, 2);
    again.db.close();
    fs.copyFileSync(file, `${file}.copy`);
    fs.renameSync(`${file}.copy`, file);
    expect(reopen()).toEqual({ state: 'loaded', checked: true });
    // A page damaged after this store wrote it: checked, and moved aside.
    const third = openDatabase(SQL, dir, () => undefined);
    writeSnapshot(third.db, dir, 3);
    third.db.close();
    expect(reopen()).toEqual({ state: 'loaded', checked: false });
    const fd = fs.openSync(file, 'r+');
    fs.writeSync(fd, Buffer.alloc(4096, 0xa5), 0, 4096, 4096);
    fs.closeSync(fd);
    expect(reopen()).toMatchObject({ state: 'damaged' });
  });
});

import { createRequire } from 'node:module';
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
});

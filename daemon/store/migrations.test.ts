import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { SqlJsStatic } from 'sql.js';
import { loadSqlJs } from './db.ts';
import { openStore } from './index.ts';
import { getMeta, migrate, MIGRATIONS, SCHEMA_VERSION, type Migration } from './migrations.ts';
import { makeRecord, tempDir } from './test-fixtures.ts';

const tables = (db: { exec: (s: string) => { values: unknown[][] }[] }): unknown[] =>
  (db.exec("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")[0]?.values ?? []).map((r) => r[0]);

describe('migrations', () => {
  let SQL: SqlJsStatic;
  beforeAll(async () => {
    SQL = await loadSqlJs();
  });

  it('migrates an empty (version 0) database to the latest schema', () => {
    const db = new SQL.Database();
    expect(migrate(db)).toEqual({ from: 0, to: SCHEMA_VERSION });
    expect(getMeta(db, 'schema_version')).toBe(String(SCHEMA_VERSION));
    expect(tables(db)).toEqual(['meta', 'requests', 'rollups', 'strings']);
    expect(migrate(db)).toEqual({ from: SCHEMA_VERSION, to: SCHEMA_VERSION }); // idempotent
    db.close();
  });

  it('applies only the missing steps, in order', () => {
    const db = new SQL.Database();
    const order: number[] = [];
    const steps: Migration[] = [0, 1, 2].map((i) => (d) => {
      order.push(i);
      d.run(`CREATE TABLE t${i} (x)`);
    });
    expect(migrate(db, steps, 1)).toEqual({ from: 0, to: 1 });
    expect(migrate(db, steps)).toEqual({ from: 1, to: 3 });
    expect(order).toEqual([0, 1, 2]);
    db.close();
  });

  it('rolls a failed step back and keeps the previous version', () => {
    const db = new SQL.Database();
    const steps: Migration[] = [
      (d) => d.run('CREATE TABLE ok (x)'),
      (d) => {
        d.run('CREATE TABLE half (x)');
        d.run('THIS IS NOT SQL');
      },
    ];
    expect(() => migrate(db, steps)).toThrow(/migration 1 → 2 failed/);
    expect(getMeta(db, 'schema_version')).toBe('1');
    expect(tables(db)).toEqual(['meta', 'ok']);
    db.close();
  });

  it('refuses a database from a newer schema', () => {
    const db = new SQL.Database();
    migrate(db);
    db.run("UPDATE meta SET value = '999' WHERE key = 'schema_version'");
    expect(() => migrate(db)).toThrow(/newer than this CCO supports/);
    db.close();
  });

  it('opens a version-0 snapshot file from disk and upgrades it in place', async () => {
    const dataDir = tempDir();
    const old = new SQL.Database();
    old.run('CREATE TABLE unrelated (x)'); // a database with no meta table at all
    fs.writeFileSync(path.join(dataDir, 'cco.sqlite'), old.export());
    old.close();
    const messages: string[] = [];
    const store = await openStore({ dataDir, retentionDays: 36_500, log: (_l, m) => messages.push(m) });
    const r = makeRecord();
    store.add(r);
    await store.close();
    expect(messages).toContain(`store: schema migrated 0 → ${MIGRATIONS.length}`);
    const db = new SQL.Database(fs.readFileSync(path.join(dataDir, 'cco.sqlite')));
    expect(getMeta(db, 'schema_version')).toBe(String(SCHEMA_VERSION));
    expect(db.exec('SELECT id FROM requests')[0]?.values).toEqual([[r.id]]);
    expect(tables(db)).toContain('unrelated');
    db.close();
  });
});

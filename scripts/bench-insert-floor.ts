/**
 * `npx tsx scripts/bench-insert-floor.ts [rows=100000]` (not a test): the floor under bulk ingest — sql.js
 * alone inserting the store's row shape (rows as bound values, strings already interned) in transactions
 * of 10 k, into the store's `requests` table with its indexes, and without them. What RowWriter adds on top
 * (records → values, interning, rollups) and what the journal and the fold add are not in these figures.
 */
import os from 'node:os';
import type { SqlValue } from 'sql.js';
import { loadSqlJs } from '../daemon/store/db.ts';
import { migrate } from '../daemon/store/migrations.ts';
import { Interner } from '../daemon/store/interner.ts';
import { recordToParams, REQUEST_COLUMNS } from '../daemon/store/rows.ts';
import { benchRecord } from './bench-records.ts';

const rows = Number(process.argv[2] ?? 100_000);
const SQL = await loadSqlJs('file');
const now = Date.now();

function run(label: string, indexes: boolean, mode: 'bind' | 'json' | 'late-index' = 'bind'): void {
  const db = new SQL.Database();
  db.run('PRAGMA journal_mode = MEMORY');
  db.run('PRAGMA temp_store = MEMORY');
  migrate(db);
  if (!indexes) for (const [name] of db.exec("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'requests' AND sql IS NOT NULL")[0]?.values ?? []) db.run(`DROP INDEX ${String(name)}`);
  const s = new Interner(db);
  const values: SqlValue[][] = [];
  for (let i = 0; i < rows; i++) values.push(recordToParams(benchRecord(i, rows, now), s));
  const stmt = db.prepare(`INSERT OR IGNORE INTO requests (${REQUEST_COLUMNS.join(', ')}) VALUES (${REQUEST_COLUMNS.map(() => '?').join(', ')})`);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const idx = db.exec("SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'requests' AND sql IS NOT NULL")[0]?.values.map((v) => String(v[0])) ?? [];
  if (mode === 'late-index') for (const [name] of db.exec("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'requests' AND sql IS NOT NULL")[0]?.values ?? []) db.run(`DROP INDEX ${String(name)}`);
  const jsonStmt = db.prepare(`INSERT OR IGNORE INTO requests (${REQUEST_COLUMNS.join(', ')}) SELECT ${REQUEST_COLUMNS.map((_, i) => `value->>${i}`).join(', ')} FROM json_each(?)`);
  for (let i = 0; i < rows; i += 10_000) {
    db.run('BEGIN');
    if (mode === 'json') {
      for (let k = i; k < Math.min(rows, i + 10_000); k += 1000) jsonStmt.run([JSON.stringify(values.slice(k, Math.min(rows, k + 1000, i + 10_000)))]);
    } else for (let j = i; j < Math.min(rows, i + 10_000); j++) stmt.run(values[j]);
    db.run('COMMIT');
  }
  if (mode === 'late-index') for (const sql of idx) db.run(sql);
  jsonStmt.free();
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  console.log(`${label.padEnd(34)} ${Math.round(rows / (ms / 1000)).toLocaleString('en').padStart(8)} rows/s wall, ${((cpu.user + cpu.system) / 1000 / rows * 1000).toFixed(1)} µs CPU a row, load ${os.loadavg()[0]!.toFixed(1)}`);
  stmt.free();
  s.free();
  db.close();
}

console.log(`bench-insert-floor rows=${rows} node ${process.version}`);
for (let k = 0; k < 2; k++) {
  run('requests with its indexes', true);
  run('requests without secondary indexes', false);
  run('with indexes, one JSON bind per 1000', true, 'json');
  run('no sec. indexes, JSON per 1000', false, 'json');
  run('indexes built after the inserts', true, 'late-index');
}

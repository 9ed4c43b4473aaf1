/**
 * Test helpers shared by the store's tests (not used by production code): records and temp data dirs.
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ulid } from 'ulid';
import type { Database, SqlJsStatic } from 'sql.js';
import type { RequestRecord } from '../../shared/contract.ts';
import { SNAPSHOT_FILE } from './db.ts';
import type { LogLevel } from './messages.ts';
import { setMeta } from './migrations.ts';
import { listSegments, segmentPath } from './segments.ts';
import { listPartitionFiles, monthsDir } from './months.ts';

/** A complete, valid record with a fresh ULID. */
export function makeRecord(over: Partial<RequestRecord> = {}): RequestRecord {
  const startedAt = over.startedAt ?? Date.UTC(2026, 0, 15, 12);
  return {
    id: ulid(),
    startedAt,
    endedAt: startedAt + 1500,
    method: 'POST',
    path: '/v1/messages?beta=true',
    status: 200,
    state: 'complete',
    upstreamRequestId: 'req_011',
    messageId: 'msg_01',
    modelRequested: 'claude-sonnet-4-5',
    model: 'claude-sonnet-4-5',
    stream: true,
    ttfbMs: 300,
    durationMs: 1500,
    tokens: { input: 10, cacheWrite5m: 20, cacheWrite1h: 30, cacheRead: 40, output: 50 },
    thinkingTokens: 5,
    webSearchRequests: 0,
    serviceTier: 'standard',
    speed: null,
    inferenceGeo: null,
    billable: true,
    costNanoUsd: 1_000_000,
    priceVersion: '2026-01-01',
    unpricedReason: null,
    cacheSavingsNanoUsd: 100,
    sessionId: 'sess-1',
    agentId: null,
    parentAgentId: null,
    project: '/home/u/proj',
    client: 'claude-cli/2.1.197',
    credentialId: 'abc123',
    source: 'proxy',
    cacheHit: false,
    errorType: null,
    gitBranch: 'main',
    isSidechain: false,
    bytesIn: 1000,
    bytesOut: 2000,
    ...over,
  };
}

export function tempDir(prefix = 'cco-store-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** A log sink that remembers lines. */
export function memoryLog(): { log: (level: LogLevel, msg: string) => void; lines: { level: LogLevel; msg: string }[] } {
  const lines: { level: LogLevel; msg: string }[] = [];
  return { log: (level, msg) => lines.push({ level, msg }), lines };
}

const SESSION_COUNTERS = `requests, cost_nano_usd, unpriced_requests, cache_savings_nano_usd, input_tokens, cache_write_5m_tokens,
  cache_write_1h_tokens, cache_read_tokens, output_tokens, cache_hits, cache_hit_savings_nano_usd`;

/**
 * `session_rollups` (schema 9: keys are ids into `strings`) read back with TEXT keys, in the columns and order of
 * the table before schema 9: `SELECT * FROM ${SESSION_CELLS} ...`.
 */
export const SESSION_CELLS = `(SELECT r.hour_start_ms AS hour_start_ms, s.value AS session, m.value AS model, p.value AS project,
    ${SESSION_COUNTERS.split(',').map((c) => `r.${c.trim()} AS ${c.trim()}`).join(', ')}
  FROM session_rollups r JOIN strings s ON s.id = r.session JOIN strings m ON m.id = r.model JOIN strings p ON p.id = r.project)`;

/** Turns a schema-9 `session_rollups` back into the TEXT-keyed table (and index) of schemas 2–8, same cells. */
export function sessionRollupsToText(db: Database): void {
  db.run(`CREATE TABLE session_rollups_text (
    hour_start_ms INTEGER NOT NULL,
    session TEXT NOT NULL,
    model TEXT NOT NULL,
    project TEXT NOT NULL,
    requests INTEGER NOT NULL DEFAULT 0,
    cost_nano_usd INTEGER NOT NULL DEFAULT 0,
    unpriced_requests INTEGER NOT NULL DEFAULT 0,
    cache_savings_nano_usd INTEGER NOT NULL DEFAULT 0,
    input_tokens INTEGER NOT NULL DEFAULT 0,
    cache_write_5m_tokens INTEGER NOT NULL DEFAULT 0,
    cache_write_1h_tokens INTEGER NOT NULL DEFAULT 0,
    cache_read_tokens INTEGER NOT NULL DEFAULT 0,
    output_tokens INTEGER NOT NULL DEFAULT 0,
    cache_hits INTEGER NOT NULL DEFAULT 0,
    cache_hit_savings_nano_usd INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (hour_start_ms, session, model, project)
  ) WITHOUT ROWID`);
  db.run(`INSERT INTO session_rollups_text SELECT * FROM ${SESSION_CELLS}`);
  db.run('DROP TABLE session_rollups');
  db.run('ALTER TABLE session_rollups_text RENAME TO session_rollups');
  db.run('CREATE INDEX session_rollups_session ON session_rollups (session, hour_start_ms)');
}

/**
 * Takes a closed store's files (cco.sqlite and every month file) back to schema 8, as the release before
 * migration 9 left them: TEXT-keyed session_rollups, schema_version 8. Returns the files, cco.sqlite first.
 */
export function storeBackToSchema8(SQL: SqlJsStatic, dataDir: string): string[] {
  const files = [path.join(dataDir, SNAPSHOT_FILE), ...listPartitionFiles(dataDir).map((m) => path.join(monthsDir(dataDir), `${m}.sqlite`))];
  for (const file of files) {
    const db = new SQL.Database(fs.readFileSync(file));
    sessionRollupsToText(db);
    setMeta(db, 'schema_version', '8');
    fs.writeFileSync(file, db.export());
    db.close();
  }
  return files;
}

/**
 * Starts a store on `dataDir` in a child (test-migrate-child.ts: opens it, which migrates it, and closes it)
 * and SIGKILLs it after `ms`, or lets it finish. Resolves true if it was killed.
 */
export function runMigrateChild(dataDir: string, ms: number): Promise<boolean> {
  const script = fileURLToPath(new URL('./test-migrate-child.ts', import.meta.url));
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', tsx, script, dataDir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), ms);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (signal === 'SIGKILL') resolve(true);
      else if (code === 0) resolve(false);
      else reject(new Error(`child failed (${code}): ${stderr}`));
    });
  });
}

/**
 * A store holding `stored` (cco.sqlite) whose next open must replay a journal segment that is a FIFO: a real slow
 * file, so that open waits until `releaseFifo()` writes `journaled` into it (store-opening.test, the budgets'
 * held-spend test). Returns the FIFO's path. Not on Windows (no mkfifo).
 */
export async function storeOpeningOnFifo(dataDir: string, stored: RequestRecord[]): Promise<string> {
  const { openStore } = await import('./index.ts');
  const store = await openStore({ dataDir, log: () => undefined });
  await store.addBulk(stored);
  await store.close();
  for (const s of listSegments(dataDir)) fs.rmSync(segmentPath(dataDir, s));
  const fifo = segmentPath(dataDir, 1000);
  execFileSync('mkfifo', ['-m', '600', fifo]);
  return fifo;
}

/** Writes the segment's lines into the FIFO (async: the worker's replay opens it on the thread pool). */
export function releaseFifo(fifo: string, journaled: RequestRecord[]): Promise<void> {
  return fs.promises.writeFile(fifo, journaled.map((r) => `${JSON.stringify(r)}\n`).join(''));
}

/** Every stored id with how many times it is listed (paging through `listRequests`, 500 a page). */
export async function storedIdCounts(store: {
  listRequests(q: { limit: number; cursor?: string }): Promise<{ items: RequestRecord[]; nextCursor: string | null }>;
}): Promise<Map<string, number>> {
  const seen = new Map<string, number>();
  let cursor: string | null = null;
  do {
    const page: { items: RequestRecord[]; nextCursor: string | null } = await store.listRequests({ limit: 500, ...(cursor ? { cursor } : {}) });
    for (const r of page.items) seen.set(r.id, (seen.get(r.id) ?? 0) + 1);
    cursor = page.nextCursor;
  } while (cursor);
  return seen;
}

/** What a crash test checks after its kills: ids it was told were stored but are not, and ids stored twice. */
export interface StoredOnce {
  missing: string[];
  missingCount: number;
  doubled: string[];
}

/**
 * Compares the stored ids (storedIdCounts) with the ids a crash test was told were stored: the first 10 missing
 * and doubled ids, and how many are missing (`{ missing: [], missingCount: 0, doubled: [] }` when each was stored
 * exactly once). Also returns every stored id with its count.
 */
export async function storedOnce(
  store: Parameters<typeof storedIdCounts>[0],
  printed: Iterable<string>,
): Promise<{ check: StoredOnce; stored: Map<string, number> }> {
  const stored = await storedIdCounts(store);
  const missing = [...printed].filter((id) => !stored.has(id));
  const doubled = [...stored].filter(([, c]) => c > 1).map(([id]) => id);
  return { check: { missing: missing.slice(0, 10), missingCount: missing.length, doubled: doubled.slice(0, 10) }, stored };
}

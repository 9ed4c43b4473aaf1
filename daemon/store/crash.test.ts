import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { RequestRecord } from '../../shared/contract.ts';
import { openStore } from './index.ts';
import { memoryLog, tempDir } from './test-fixtures.ts';

const CHILD = fileURLToPath(new URL('./test-crash-child.ts', import.meta.url));
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

/** Runs the child until it has printed at least `minIds` ids and `minMs` passed, then SIGKILLs it. */
function runAndKill(dataDir: string, minIds: number, minMs: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', TSX, CHILD, dataDir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let buf = '';
    let stderr = '';
    let readyAt = 0;
    const ids: string[] = [];
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      const lines = buf.split('\n');
      buf = lines.pop() ?? ''; // an unterminated tail was not fully printed: ignore it
      for (const l of lines) {
        if (l === 'ready') readyAt = Date.now();
        else if (l) ids.push(l);
      }
      if (readyAt && ids.length >= minIds && Date.now() - readyAt >= minMs && child.exitCode === null) {
        child.kill('SIGKILL');
      }
    });
    child.on('exit', (_code, signal) => {
      if (signal === 'SIGKILL') resolve(ids);
      else reject(new Error(`child exited without being killed (${signal ?? _code}): ${stderr}`));
    });
  });
}

describe('kill -9', () => {
  it('every id printed once its journal line was written is present exactly once after reopening', async () => {
    const dataDir = tempDir();
    const printed: string[] = [];
    // Two crash rounds: the second replays on top of a store that was itself recovered from a crash.
    for (const round of [1, 2]) {
      printed.push(...(await runAndKill(dataDir, 3000 * round, 1200)));
    }
    expect(printed.length).toBeGreaterThanOrEqual(6000);
    const { log, lines } = memoryLog();
    const store = await openStore({ dataDir, retentionDays: 36_500, log });
    try {
      const stored = new Map<string, number>();
      let cursor: string | null = null;
      do {
        const page: { items: RequestRecord[]; nextCursor: string | null } = await store.listRequests({
          limit: 500,
          ...(cursor ? { cursor } : {}),
        });
        for (const r of page.items) stored.set(r.id, (stored.get(r.id) ?? 0) + 1);
        cursor = page.nextCursor;
      } while (cursor);
      const missing = printed.filter((id) => stored.get(id) !== 1);
      expect(missing).toEqual([]);
      const stats = await store.stats();
      expect(stats.requests).toBe(stored.size);
      // Rollups counted each stored record exactly once, replays included.
      const sum = await store.summary({ range: 'all', tz: 'UTC', now: Date.UTC(2027, 0, 1) });
      expect(sum.totals.requests).toBe(stored.size);
      expect(sum.totals.costNanoUsd).toBe(stored.size * 1_000_000);
      expect(lines.filter((l) => l.level === 'error')).toEqual([]);
    } finally {
      await store.close();
    }
  }, 60_000);
});

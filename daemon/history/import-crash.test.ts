import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createPricer } from '../pricing/index.ts';
import { openStore } from '../store/index.ts';
import { HistoryImporter } from './importer.ts';
import { writeCorpus } from './testkit/corpus.ts';

const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const CHILD = fileURLToPath(new URL('./testkit/import-child.ts', import.meta.url));
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cco-import-crash-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('history import killed with SIGKILL', () => {
  it('loses nothing and doubles nothing when the next run finishes the job', async () => {
    const root = path.join(dir, 'projects');
    const dataDir = path.join(dir, 'data');
    const truth = writeCorpus({ root, seed: 11, projects: 3, sessionsPerProject: 4, requestsPerSession: 25 });
    const child = spawn(process.execPath, ['--import', TSX, CHILD, dataDir, root], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const killedAt = await new Promise<number>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const counts = [...out.matchAll(/imported (\d+)\n/g)].map((m) => Number(m[1]));
        const n = counts.at(-1) ?? 0;
        if (n >= 100 && !child.killed) {
          child.kill('SIGKILL');
          resolve(n);
        }
      });
      child.on('exit', (code) => {
        if (!child.killed) reject(new Error(`child exited ${code} before the kill: ${out} ${err}`));
      });
    });
    await new Promise((r) => child.once('close', r));
    expect(out).not.toContain('done');
    expect(killedAt).toBeLessThan(truth.requests.length);

    const store = await openStore({ dataDir, retentionDays: 36_500, log: () => undefined });
    try {
      const pricer = createPricer(null);
      const report = await new HistoryImporter({ dataDir, sink: store, pricer: () => pricer, roots: [root], settleMs: 0 }).run();
      expect(report.imported).toBeLessThanOrEqual(truth.requests.length - killedAt);
      const sum = await store.summary({ range: 'all', tz: 'UTC' });
      expect(sum.totals.requests).toBe(truth.requests.length);
      expect(sum.totals.tokens.output).toBe(truth.totals.output);
      expect(sum.totals.tokens.cacheWrite1h).toBe(truth.totals.cacheWrite1h);
      const ids = new Set<string>();
      let cursor: string | undefined;
      do {
        const page = await store.listRequests({ limit: 500, ...(cursor && { cursor }) });
        for (const r of page.items) ids.add(r.upstreamRequestId!);
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      expect(ids).toEqual(new Set(truth.requests.map((r) => r.requestId)));
    } finally {
      await store.close();
    }
  }, 120_000);
});

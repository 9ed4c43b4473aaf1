/**
 * `cco import` and `cco reconcile`: on the store directly (no daemon: under the data folder's lock) and
 * through a running daemon (in-process startDaemon, its PID file in a temporary HOME).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImportReport, ReconcileReport } from '../../shared/contract.ts';
import { startDaemon } from '../index.ts';
import { silentLogger } from '../log.ts';
import { writeCorpus, type CorpusTruth } from '../history/testkit/corpus.ts';
import { main } from './main.ts';
import { formatProgress, progressLine } from './progress.ts';

let home: string;
let env: NodeJS.ProcessEnv;
let dataDir: string;
let truth: CorpusTruth;
let extra: CorpusTruth;

async function cco(args: string[]) {
  let out = '';
  let err = '';
  const code = await main(args, { out: (t) => void (out += t), err: (t) => void (err += t), env });
  return { code, out, err };
}

beforeAll(() => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'cco-import-home-'));
  env = { HOME: home, XDG_CONFIG_HOME: path.join(home, '.config'), XDG_DATA_HOME: path.join(home, '.local', 'share'), NO_BROWSER: '1', TZ: 'UTC' };
  dataDir = path.join(home, '.local', 'share', 'cco');
  const now = Date.now();
  truth = writeCorpus({ root: path.join(home, '.claude', 'projects'), seed: 21, projects: 2, sessionsPerProject: 2, requestsPerSession: 5, start: now - 3 * 86_400_000, days: 2 });
  extra = writeCorpus({ root: path.join(home, 'elsewhere'), seed: 22, projects: 1, sessionsPerProject: 1, requestsPerSession: 4, start: now - 86_400_000, days: 1 });
  // Written an hour ago (the importer holds back the last response of a file written in the last 2 s).
  const past = new Date(now - 3_600_000);
  for (const f of [...truth.files, ...extra.files]) fs.utimesSync(f, past, past);
});
afterAll(() => fs.rmSync(home, { recursive: true, force: true }));

describe('cco import', () => {
  it('imports ~/.claude/projects into the store (no daemon), then reads only new lines', async () => {
    const first = await cco(['import']);
    expect(first.err).not.toMatch(/cco:/);
    expect(first.code).toBe(0);
    expect(first.out).toMatch(new RegExp(`^Imported ${truth.requests.length} requests from ${truth.files.length} transcript files .*${truth.malformedLines} malformed`));
    const again = await cco(['import', '--json']);
    const report = JSON.parse(again.out) as ImportReport;
    expect(report).toMatchObject({ imported: 0, bytesRead: 0, filesUnchanged: truth.files.length });
  });

  it('--path reads another folder; through a running daemon the daemon does the writing', async () => {
    const daemon = await startDaemon({ port: 0, upstreamUrl: 'http://127.0.0.1:9', dataDir, log: silentLogger, pidDir: path.join(dataDir, 'pids'), rateLimit: false, history: { roots: [path.join(home, '.claude', 'projects')], followIntervalMs: 0 } });
    try {
      const r = await cco(['import', '--path', path.join(home, 'elsewhere'), '--json']);
      expect(r.code).toBe(0);
      expect((JSON.parse(r.out) as ImportReport).imported).toBe(extra.requests.length);
      const rec = await cco(['reconcile', '--range', 'all', '--tz', 'UTC', '--json']);
      const report = JSON.parse(rec.out) as ReconcileReport;
      expect(report.totals.transcriptOnly.requests).toBe(truth.requests.length + extra.requests.length);
      expect(report.allThroughProxy).toBe(false);
      const text = await cco(['reconcile', '--range', 'all', '--tz', 'UTC']);
      expect(text.out).toContain(`${truth.requests.length + extra.requests.length} transcript requests`);
      // It went through the daemon: its import status holds that run.
      expect(daemon.history!.status().last?.imported).toBe(extra.requests.length);
    } finally {
      await daemon.close();
    }
  });

  it('reconcile without a daemon reads the store itself; bad flags are one plain line', async () => {
    const r = await cco(['reconcile', '--range', 'all', '--tz', 'UTC', '--json']);
    expect(r.code).toBe(0);
    expect((JSON.parse(r.out) as ReconcileReport).totals.transcriptOnly.requests).toBe(truth.requests.length + extra.requests.length);
    expect((await cco(['reconcile', '--range', 'year'])).code).toBe(2);
    expect((await cco(['import', '--since', 'soon'])).err).toMatch(/--since: "soon" is not a date/);
  });
});

describe('progress line', () => {
  const p = { filesDone: 3, filesTotal: 10, bytesDone: 50 * 1024 * 1024, bytesTotal: 200 * 1024 * 1024, startedAt: 0, imported: 1234 };
  it('shows files, MB, MB/s and ETA', () => {
    expect(formatProgress(p, 10_000)).toBe('files 3/10  50.0/200.0 MB  5.0 MB/s  ETA 30s  1,234 imported');
  });
  it('redraws in place on a terminal, prints a line every few seconds when piped', () => {
    let t = 0;
    let tty = '';
    const a = progressLine((s) => (tty += s), true, { now: () => t });
    a.update(p);
    t = 50;
    a.update(p); // throttled
    t = 200;
    a.update(p);
    a.done();
    expect(tty.split('\r').filter(Boolean)).toHaveLength(3); // two draws and the clear
    let piped = '';
    const b = progressLine((s) => (piped += s), false, { now: () => t, pipedEveryMs: 5000 });
    b.update(p);
    t = 3000;
    b.update(p);
    t = 6000;
    b.update(p);
    b.done();
    expect(piped.split('\n').filter(Boolean)).toHaveLength(2);
    expect(piped).not.toContain('\r');
  });
});

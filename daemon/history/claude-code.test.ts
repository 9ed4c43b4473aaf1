/**
 * The real Claude Code CLI (npm @anthropic-ai/claude-code, pinned devDependency; its native binary ships in
 * the package) in print mode, through a real daemon and the fake upstream, with a temporary HOME. Then the
 * transcripts it wrote are imported: each transcript request must link to its proxy record, and nothing may be
 * counted twice. Print mode makes no session-title call: that is claude-code-tui.test.ts. Skipped (with the
 * reason) only when the binary cannot run on this platform.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImportReport, ReconcileReport, RequestPage, Summary } from '../../shared/contract.ts';
import { startDaemon, type RunningDaemon } from '../index.ts';
import { silentLogger } from '../log.ts';
import { spawnFakeUpstream } from '../../test/fake-upstream/process.ts';
import { walkTranscripts } from './sources.ts';
import { parseTranscriptLine } from './transcript.ts';
import { claudeBinary, claudeEnv } from './testkit/claude-cli.ts';

const { bin, why } = claudeBinary();
if (!bin) console.log(`Claude Code transcript test skipped: ${why}`);

process.env.CCO_CONFIG_DIR = fs.mkdtempSync(path.join(os.tmpdir(), 'cco-config-'));
let fake: Awaited<ReturnType<typeof spawnFakeUpstream>>;
let daemon: RunningDaemon;
let home: string;

async function api<T>(p: string, init: RequestInit = {}): Promise<T> {
  const res = await fetch(daemon.url + p, { ...init, headers: { ...init.headers, authorization: `Bearer ${daemon.token}` } });
  expect(res.status, p).toBe(200);
  return (await res.json()) as T;
}

beforeAll(async () => {
  if (!bin) return;
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'cco-claude-home-'));
  fake = await spawnFakeUpstream({ seed: 9 });
  daemon = await startDaemon({
    port: 0, upstreamUrl: fake.url, dataDir: path.join(home, 'cco-data'), log: silentLogger, apiKey: '', retentionDays: 36_500,
    history: { roots: [path.join(home, '.claude', 'projects')], followIntervalMs: 0, firstImport: false, settleMs: 0 },
  });
});
afterAll(async () => {
  await daemon?.close();
  await fake?.close();
  if (home) fs.rmSync(home, { recursive: true, force: true });
});

describe.skipIf(!bin)('real Claude Code transcripts', () => {
  it('claude -p through CCO: every transcript request links to its proxy record, nothing is counted twice', async () => {
    const work = path.join(home, 'work');
    fs.mkdirSync(work);
    const env = claudeEnv(home, daemon.url);
    const out = await new Promise<string>((resolve, reject) => {
      execFile(bin!, ['-p', 'Say hello in one line.'], { cwd: work, env, timeout: 150_000 }, (err, stdout, stderr) =>
        err ? reject(new Error(`claude -p failed: ${err.message} ${stderr}`)) : resolve(stdout),
      );
    });
    expect(out.trim().length).toBeGreaterThan(0);
    await daemon.store.flush();

    // What Claude Code wrote: responses with usage, keyed by request id.
    const { files } = await walkTranscripts([path.join(home, '.claude', 'projects')]);
    expect(files.length).toBeGreaterThan(0);
    const transcriptIds = new Set<string>();
    for (const f of files) {
      for (const l of fs.readFileSync(f.path, 'utf8').split('\n')) {
        const v = parseTranscriptLine(Buffer.from(l));
        if (v.kind === 'entry' && v.entry.requestId) transcriptIds.add(v.entry.requestId);
      }
    }
    expect(transcriptIds.size).toBeGreaterThan(0);

    const before = await api<Summary>('/api/summary?range=all&tz=UTC&sessions=0');
    const report = await api<ImportReport>('/api/import', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(report.linked).toBe(transcriptIds.size);
    expect(report.imported).toBe(0);
    const after = await api<Summary>('/api/summary?range=all&tz=UTC&sessions=0');
    expect(after.totals).toEqual(before.totals);

    const page = await api<RequestPage>('/api/requests?limit=500');
    for (const id of transcriptIds) {
      const rs = page.items.filter((r) => r.upstreamRequestId === id);
      expect(rs, id).toHaveLength(1);
      expect(rs[0]!.source).toBe('proxy');
    }
    const rec = await api<ReconcileReport>('/api/reconcile?range=all&tz=UTC');
    expect(rec.totals.both.requests).toBe(transcriptIds.size);
    expect(rec.totals.transcriptOnly.requests).toBe(0);
    expect(rec.allThroughProxy).toBe(true);
    // Billable proxy records the transcripts do not show (title/side calls, when this version makes them).
    const billable = page.items.filter((r) => r.billable);
    expect(rec.totals.proxyOnly.requests).toBe(billable.length - transcriptIds.size);
    for (const r of rec.proxyOnlyReasons) expect(['title-or-side-call', 'subagent', 'no-transcript-line']).toContain(r.reason);
    // Side calls (title, helpers) carry no working directory: they take their session's project, never "(none)".
    const withSession = billable.filter((r) => r.sessionId !== null);
    expect(withSession.length).toBeGreaterThan(0);
    for (const r of withSession) expect(r.project, `${r.model} ${r.path}`).toBe(work);
    // The transcript's tokens agree with the wire for every pair.
    expect(rec.totals.pairsDiffering).toBe(0);
  }, 180_000);
});

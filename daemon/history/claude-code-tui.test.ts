/**
 * The real Claude Code CLI in interactive mode (in tmux), through a real daemon and the fake upstream, with a
 * temporary HOME. Print mode (`claude -p`, claude-code.test.ts) makes no session-title call; the interactive
 * CLI asks the model for a session title after the first prompt (system prompt "You are naming a coding
 * session…", JSON-schema output `{title}`, no tools, no working directory), unless
 * CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC is set, which turns it off: so it is left unset here, and a dead
 * proxy keeps every other host unreachable.
 *
 * From the fake upstream's ground truth (the requests it received and its ledger): every transcript request
 * links to its proxy record, nothing is counted twice, and each billable call the transcript does not show
 * (the title call among them) is proxy-only with reason `title-or-side-call`, in its session. The fake
 * answers the title call with JSON of its schema, and Claude Code writes the title as an `ai-title` line.
 * Skipped (with the reason) only when the binary cannot run on this platform or tmux is missing.
 */
import { execFile, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImportReport, ReconcileReport, RequestPage, Summary } from '../../shared/contract.ts';
import { startDaemon, type RunningDaemon } from '../index.ts';
import { silentLogger } from '../log.ts';
import { spawnFakeUpstream } from '../../test/fake-upstream/process.ts';
import type { LedgerEntry, RecordedRequest } from '../../test/fake-upstream/types.ts';
import { walkTranscripts } from './sources.ts';
import { parseTranscriptLine } from './transcript.ts';
import { CLAUDE_TEST_KEY, claudeBinary, claudeEnv } from './testkit/claude-cli.ts';

const run = promisify(execFile);
const SOCKET = `cco-claude-tui-${process.pid}`;
const tmux = (...args: string[]) => run('tmux', ['-L', SOCKET, ...args], { encoding: 'utf8' });
const hasTmux = spawnSync('tmux', ['-V'], { encoding: 'utf8' }).status === 0;
const { bin, why } = hasTmux ? claudeBinary() : { bin: null, why: 'tmux is not installed' };
if (!bin) console.log(`Claude Code interactive transcript test skipped: ${why}`);

const TITLE_MARKER = 'You are naming a coding session';

process.env.CCO_CONFIG_DIR = fs.mkdtempSync(path.join(os.tmpdir(), 'cco-config-'));
let fake: Awaited<ReturnType<typeof spawnFakeUpstream>>;
let daemon: RunningDaemon;
let home: string;

async function api<T>(p: string, init: RequestInit = {}): Promise<T> {
  const res = await fetch(daemon.url + p, { ...init, headers: { ...init.headers, authorization: `Bearer ${daemon.token}` } });
  expect(res.status, p).toBe(200);
  return (await res.json()) as T;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function waitFor<T>(what: string, probe: () => Promise<T | null>, ms = 150_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== null) return v;
    if (Date.now() > until) {
      const screen = await tmux('capture-pane', '-p', '-t', 'cc').then((r) => r.stdout, () => '(no pane)');
      throw new Error(`waited for ${what}; screen:\n${screen}`);
    }
    await sleep(500);
  }
}

interface Sent {
  requestId: string;
  title: boolean;
}
/** A Messages call the fake upstream received, and whether it is Claude Code's session-title call. */
function bodyOf(r: RecordedRequest): Sent | null {
  if (r.requestId === null || r.method !== 'POST' || !r.url.startsWith('/v1/messages') || r.url.startsWith('/v1/messages/')) return null;
  const b = JSON.parse(Buffer.from(r.bodyBase64, 'base64').toString('utf8')) as { system?: { text?: string }[] };
  const title = Array.isArray(b.system) && b.system.some((s) => typeof s.text === 'string' && s.text.includes(TITLE_MARKER));
  return { requestId: r.requestId, title };
}

/** Request ids of the responses a transcript shows (lines with usage), and the sessions named there. */
async function transcriptRequests(): Promise<{ ids: Set<string>; sessions: Set<string> }> {
  const { files } = await walkTranscripts([path.join(home, '.claude', 'projects')]);
  const ids = new Set<string>();
  const sessions = new Set<string>();
  for (const f of files) {
    for (const l of fs.readFileSync(f.path, 'utf8').split('\n')) {
      const v = parseTranscriptLine(Buffer.from(l));
      if (v.kind === 'entry' && v.entry.requestId) {
        ids.add(v.entry.requestId);
        if (v.entry.sessionId) sessions.add(v.entry.sessionId);
      }
    }
  }
  return { ids, sessions };
}

/** The session titles Claude Code wrote to its transcript (`{"type":"ai-title","aiTitle":…}`). */
function aiTitles(session: string): string[] {
  const dir = path.join(home, '.claude', 'projects');
  const out: string[] = [];
  for (const d of fs.readdirSync(dir)) {
    const f = path.join(dir, d, `${session}.jsonl`);
    if (!fs.existsSync(f)) continue;
    for (const l of fs.readFileSync(f, 'utf8').split('\n')) {
      if (!l.includes('"ai-title"')) continue;
      const v = JSON.parse(l) as { type?: string; aiTitle?: string; sessionId?: string };
      if (v.type === 'ai-title' && v.sessionId === session && v.aiTitle) out.push(v.aiTitle);
    }
  }
  return out;
}

beforeAll(async () => {
  if (!bin) return;
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'cco-claude-tui-'));
  fake = await spawnFakeUpstream({ seed: 15 });
  daemon = await startDaemon({
    port: 0, upstreamUrl: fake.url, dataDir: path.join(home, 'cco-data'), log: silentLogger, apiKey: '', retentionDays: 36_500,
    history: { roots: [path.join(home, '.claude', 'projects')], followIntervalMs: 0, firstImport: false, settleMs: 0 },
  });
});
afterAll(async () => {
  if (bin) await tmux('kill-server').catch(() => {});
  await daemon?.close();
  await fake?.close();
  if (home) fs.rmSync(home, { recursive: true, force: true });
});

describe.skipIf(!bin)('real Claude Code transcripts, interactive', () => {
  it('the session-title call is proxy-only (title-or-side-call) in its session; transcript requests link, nothing counted twice', async () => {
    const work = path.join(home, 'work');
    fs.mkdirSync(work);
    // What a first run would ask: onboarding done, this API key approved, the folder trusted (as the CLI writes them).
    fs.writeFileSync(path.join(home, '.claude.json'), JSON.stringify({
      hasCompletedOnboarding: true,
      customApiKeyResponses: { approved: [CLAUDE_TEST_KEY.slice(-20)], rejected: [] },
      projects: { [work]: { hasTrustDialogAccepted: true } },
    }), { mode: 0o600 });
    const env = claudeEnv(home, daemon.url, { nonessential: false });
    await tmux('new-session', '-d', '-s', 'cc', '-x', '120', '-y', '40', '-c', work, 'env', '-i', ...Object.entries(env).map(([k, v]) => `${k}=${v}`), bin!);
    await waitFor('the prompt', async () => ((await tmux('capture-pane', '-p', '-t', 'cc')).stdout.includes('❯') ? true : null));
    await sleep(1000);
    await tmux('send-keys', '-t', 'cc', '-l', 'Say hello in one line.');
    await sleep(500);
    await tmux('send-keys', '-t', 'cc', 'Enter');

    // Ground truth: the title call and the main answer both completed upstream, and the transcript shows the answer.
    const ledgerDone = (l: LedgerEntry[], ids: Set<string>) => l.some((e) => ids.has(e.requestId) && e.status === 'complete');
    await waitFor('a completed title call and a completed answer in the fake upstream ledger', async () => {
      const sent = (await fake.requests()).map(bodyOf).filter((s): s is Sent => s !== null);
      const ledger = await fake.ledger();
      const titles = new Set(sent.filter((s) => s.title).map((s) => s.requestId));
      const mains = new Set(sent.filter((s) => !s.title).map((s) => s.requestId));
      return ledgerDone(ledger, titles) && ledgerDone(ledger, mains) ? true : null;
    });
    await waitFor('the answer in the transcript', async () => ((await transcriptRequests()).ids.size > 0 ? true : null));
    await tmux('send-keys', '-t', 'cc', '-l', '/exit');
    await sleep(500);
    await tmux('send-keys', '-t', 'cc', 'Enter');
    // The CLI has exited (its pane, and so the session, is gone): no request is still in flight.
    await waitFor('claude to exit', () => tmux('has-session', '-t', 'cc').then(() => null, () => true));
    await daemon.store.flush();

    const sent = new Map((await fake.requests()).map(bodyOf).filter((s): s is Sent => s !== null).map((s) => [s.requestId, s]));
    const billable = (await fake.ledger()).filter((e) => e.usage !== null && sent.has(e.requestId));
    const { ids: transcriptIds, sessions } = await transcriptRequests();
    expect(sessions.size).toBe(1);
    const session = [...sessions][0]!;
    const sideCalls = billable.filter((e) => !transcriptIds.has(e.requestId));
    const titleCalls = sideCalls.filter((e) => sent.get(e.requestId)!.title);
    expect(titleCalls.length).toBeGreaterThan(0);
    // The transcript never shows a title call.
    for (const e of billable) if (sent.get(e.requestId)!.title) expect(transcriptIds.has(e.requestId), e.requestId).toBe(false);
    for (const id of transcriptIds) expect(billable.some((e) => e.requestId === id), id).toBe(true);
    // Claude Code took the title the fake answered (JSON of the call's schema): an `ai-title` line, no usage.
    expect(aiTitles(session).length).toBeGreaterThan(0);

    const before = await api<Summary>('/api/summary?range=all&tz=UTC&sessions=0');
    const report = await api<ImportReport>('/api/import', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(report.linked).toBe(transcriptIds.size);
    expect(report.imported).toBe(0);
    const after = await api<Summary>('/api/summary?range=all&tz=UTC&sessions=0');
    expect(after.totals).toEqual(before.totals);

    const page = await api<RequestPage>('/api/requests?limit=500');
    for (const e of billable) {
      const rs = page.items.filter((r) => r.upstreamRequestId === e.requestId);
      expect(rs, e.requestId).toHaveLength(1);
      expect(rs[0]!.source).toBe('proxy');
      expect(rs[0]!.sessionId, e.requestId).toBe(session);
      expect(rs[0]!.seenBy, e.requestId).toBe(transcriptIds.has(e.requestId) ? 'both' : 'proxy');
    }
    const rec = await api<ReconcileReport>('/api/reconcile?range=all&tz=UTC');
    expect(rec.totals.both.requests).toBe(transcriptIds.size);
    expect(rec.totals.transcriptOnly.requests).toBe(0);
    expect(rec.allThroughProxy).toBe(true);
    expect(rec.totals.proxyOnly.requests).toBe(sideCalls.length);
    const sideCost = page.items.filter((r) => sideCalls.some((e) => e.requestId === r.upstreamRequestId)).reduce((s, r) => s + (r.costNanoUsd ?? 0), 0);
    expect(rec.proxyOnlyReasons).toEqual([{ reason: 'title-or-side-call', requests: sideCalls.length, costNanoUsd: sideCost }]);
    expect(rec.totals.pairsDiffering).toBe(0);
  }, 300_000);
});

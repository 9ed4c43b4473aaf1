/**
 * The history import inside a real daemon: first-start import in the background, new lines followed within
 * seconds (announced on the live feed), a transcript line of a request the proxy recorded linked to it and
 * counted once, and /api/reconcile telling both sides apart. Real parts: the daemon on a port, the fake
 * upstream, the official SDK.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { ImportReport, ImportStatus, LiveMessage, ReconcileReport, RequestPage, RequestRecord, Summary } from '../../shared/contract.ts';
import { startDaemon, type RunningDaemon } from '../index.ts';
import { silentLogger } from '../log.ts';
import { spawnFakeUpstream } from '../../test/fake-upstream/process.ts';
import { writeCorpus, type CorpusTruth } from './testkit/corpus.ts';

process.env.CCO_CONFIG_DIR = fs.mkdtempSync(path.join(os.tmpdir(), 'cco-config-'));

let fake: Awaited<ReturnType<typeof spawnFakeUpstream>>;
let daemon: RunningDaemon;
let dir: string;
let root: string;
let truth: CorpusTruth;

async function api<T>(p: string, init: RequestInit = {}): Promise<T> {
  const res = await fetch(daemon.url + p, { ...init, headers: { ...init.headers, authorization: `Bearer ${daemon.token}` } });
  expect(res.status, `${p} → ${res.status}`).toBe(200);
  return (await res.json()) as T;
}

async function until<T>(what: string, f: () => Promise<T | null | undefined | false>, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function allRecords(): Promise<RequestRecord[]> {
  const out: RequestRecord[] = [];
  let cursor = '';
  do {
    const page = await api<RequestPage>(`/api/requests?limit=500${cursor ? `&cursor=${cursor}` : ''}`);
    out.push(...page.items);
    cursor = page.nextCursor ?? '';
  } while (cursor);
  return out;
}

const line = (o: { requestId: string; messageId: string; model: string; usage: Record<string, unknown>; sessionId: string; cwd: string; at: number; agentId?: string }): string =>
  JSON.stringify({
    parentUuid: null, isSidechain: !!o.agentId, userType: 'external', cwd: o.cwd, sessionId: o.sessionId, version: '2.0.40', gitBranch: 'main',
    ...(o.agentId && { agentId: o.agentId }), type: 'assistant', uuid: `u-${o.messageId}`, timestamp: new Date(o.at).toISOString(), requestId: o.requestId,
    message: { id: o.messageId, model: o.model, role: 'assistant', type: 'message', content: [{ type: 'text', text: 'ok' }], usage: o.usage },
  }) + '\n';

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cco-daemon-history-'));
  root = path.join(dir, 'claude', 'projects');
  truth = writeCorpus({ root, seed: 5, projects: 2, sessionsPerProject: 2, requestsPerSession: 6, start: Date.now() - 5 * 86_400_000, days: 3 });
  fake = await spawnFakeUpstream({ seed: 3 });
  daemon = await startDaemon({
    port: 0, upstreamUrl: fake.url, dataDir: path.join(dir, 'data'), log: silentLogger, apiKey: '', retentionDays: 36_500,
    history: { roots: [root], followIntervalMs: 200, settleMs: 0 },
  });
});

afterAll(async () => {
  await daemon?.close();
  await fake?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('history import in the daemon', () => {
  it('imports the transcripts on first start, in the background, and says how many', async () => {
    const status = await until('first import', async () => {
      const s = await api<ImportStatus>('/api/import');
      return s.firstImport ? s : null;
    });
    expect(status.firstImport!.imported).toBe(truth.requests.length);
    expect(status.following).toBe(true);
    const sum = await api<Summary>('/api/summary?range=all&tz=UTC&sessions=0');
    expect(sum.totals.requests).toBe(truth.requests.length);
    expect(sum.totals.tokens.output).toBe(truth.totals.output);
  });

  it('follows new lines within seconds and announces them on the live feed', async () => {
    const ws = new WebSocket(`${daemon.url.replace('http', 'ws')}/api/live?token=${daemon.token}`);
    const imports: ImportStatus[] = [];
    ws.on('message', (d: Buffer) => {
      const m = JSON.parse(d.toString()) as LiveMessage;
      if (m.type === 'import') imports.push(m.status);
    });
    await new Promise((r) => ws.once('open', r));
    const file = path.join(root, '-late-project', 'late-session.jsonl');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const t0 = Date.now();
    fs.writeFileSync(file, line({ requestId: 'req_late_1', messageId: 'msg_late_1', model: 'claude-sonnet-4-5-20250929', usage: { input_tokens: 7, output_tokens: 70 }, sessionId: 'late', cwd: '/late', at: t0 }));
    const done = await until('live import message', async () => imports.find((s) => !s.running && s.last && s.last.imported === 1));
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(done.last!.files).toBe(truth.files.length + 1);
    ws.close();
  });

  it('links a transcript line to the proxy record of the same request: counted once, shown as both', async () => {
    const sdk = new Anthropic({ apiKey: 'sk-ant-test', baseURL: daemon.url, maxRetries: 0 });
    const msgs = [];
    for (let i = 0; i < 3; i++) msgs.push(await sdk.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 32, messages: [{ role: 'user', content: `hi ${i}` }] }).withResponse());
    await daemon.store.flush();
    const before = await api<Summary>('/api/summary?range=all&tz=UTC&sessions=0');
    // Claude Code writes two of them to its transcript (the third, like a title call, it never writes).
    const file = path.join(root, '-proxied', 'proxied-session.jsonl');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const now = Date.now();
    const lines = msgs.slice(0, 2).map(({ data, request_id }, i) =>
      line({ requestId: request_id!, messageId: data.id, model: data.model, usage: { ...data.usage, output_tokens: data.usage.output_tokens - (i === 0 ? 0 : 1) }, sessionId: 'proxied', cwd: '/proxied', at: now }),
    );
    fs.writeFileSync(file, lines.join(''));
    const report = await api<ImportReport>('/api/import', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(report.linked + report.imported).toBeLessThanOrEqual(2); // the follow poll may have taken them first
    await until('links', async () => {
      const r = await api<ReconcileReport>('/api/reconcile?range=today&tz=UTC');
      return r.totals.both.requests === 2 ? r : null;
    });
    const after = await api<Summary>('/api/summary?range=all&tz=UTC&sessions=0');
    expect(after.totals.requests).toBe(before.totals.requests); // nothing counted twice
    const records = await allRecords();
    for (const { request_id } of msgs) expect(records.filter((r) => r.upstreamRequestId === request_id)).toHaveLength(1);
    // The source as the dashboard shows it: both sides for the linked pair, proxy for the third, history for imports.
    const seen = (rid: string) => records.find((r) => r.upstreamRequestId === rid)!.seenBy;
    expect(msgs.map((m) => seen(m.request_id!))).toEqual(['both', 'both', 'proxy']);
    expect(seen('req_late_1')).toBe('history');

    const rec = await api<ReconcileReport>('/api/reconcile?range=all&tz=UTC');
    expect(rec.totals.both.requests).toBe(2);
    expect(rec.totals.proxyOnly.requests).toBe(1);
    expect(rec.totals.transcriptOnly.requests).toBe(truth.requests.length + 1);
    expect(rec.allThroughProxy).toBe(false);
    expect(rec.totals.tokenDiff.output).toBe(1); // the second transcript line was one output token short
    expect(rec.totals.pairsDiffering).toBe(1);
    expect(rec.proxyOnlyReasons.reduce((s, r) => s + r.requests, 0)).toBe(1);
    expect(rec.transcriptOnlySessions.map((s) => s.sessionId)).toEqual(expect.arrayContaining(['late', ...truth.sessions.slice(0, 1)]));
    const days = rec.byDayModel.reduce((s, r) => s + r.both.requests + r.proxyOnly.requests + r.transcriptOnly.requests, 0);
    expect(days).toBe(2 + 1 + truth.requests.length + 1);
  });

  it('refuses a bad import body and a bad reconcile query with a plain 400', async () => {
    const res = await fetch(`${daemon.url}/api/import`, { method: 'POST', headers: { authorization: `Bearer ${daemon.token}`, 'content-type': 'application/json' }, body: '{"paths":"x"}' });
    expect(res.status).toBe(400);
    const rec = await fetch(`${daemon.url}/api/reconcile?tz=Mars/Olympus`, { headers: { authorization: `Bearer ${daemon.token}` } });
    expect(rec.status).toBe(400);
  });
});

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RequestRecord } from '../../shared/contract.ts';
import { createPricer } from '../pricing/index.ts';
import { openStore, type Store } from '../store/index.ts';
import { makeRecord } from '../store/test-fixtures.ts';
import { HistoryImporter } from './importer.ts';
import { readLinks } from './state.ts';
import { writeCorpus, type CorpusTruth, type TruthRequest } from './testkit/corpus.ts';

let dir: string;
let root: string;
let store: Store;
const pricer = createPricer(null);

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cco-import-'));
  root = path.join(dir, 'claude', 'projects');
  store = await openStore({ dataDir: path.join(dir, 'data'), retentionDays: 36_500, log: () => undefined });
});
afterEach(async () => {
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const importer = (over: Partial<ConstructorParameters<typeof HistoryImporter>[0]> = {}): HistoryImporter =>
  new HistoryImporter({ dataDir: path.join(dir, 'data'), sink: store, pricer: () => pricer, roots: [root], settleMs: 0, ...over });

async function allRecords(): Promise<RequestRecord[]> {
  const out: RequestRecord[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.listRequests({ limit: 500, ...(cursor && { cursor }) });
    out.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return out;
}

/** What the store must hold for these ground-truth requests (tokens after the 5m/1h split, the engine's price). */
function expected(reqs: readonly TruthRequest[]) {
  return reqs
    .map((r) => {
      const c = pricer.cost(r.usage, r.model, r.at);
      return { requestId: r.requestId, tokens: c.tokens, cost: c.priced ? c.nanoUsd : null, sessionId: r.sessionId, project: r.project, agentId: r.agentId, gitBranch: r.gitBranch, isSidechain: r.isSidechain };
    })
    .sort((a, b) => (a.requestId < b.requestId ? -1 : 1));
}
const stored = (rs: readonly RequestRecord[]) =>
  rs
    .map((r) => ({ requestId: r.upstreamRequestId!, tokens: r.tokens, cost: r.costNanoUsd, sessionId: r.sessionId, project: r.project, agentId: r.agentId, gitBranch: r.gitBranch, isSidechain: r.isSidechain }))
    .sort((a, b) => (a.requestId < b.requestId ? -1 : 1));

describe('HistoryImporter', () => {
  let truth: CorpusTruth;
  beforeEach(() => {
    truth = writeCorpus({ root, seed: 3, projects: 2, sessionsPerProject: 3, requestsPerSession: 8, hugeLineBytes: 200_000 });
  });

  it('imports every response once with its final usage, and reports what it skipped', async () => {
    const report = await importer().run();
    expect(report).toMatchObject({
      files: truth.files.length, imported: truth.requests.length, linked: 0, malformedLines: truth.malformedLines,
      syntheticLines: truth.syntheticLines, oversizedLines: 0, problems: [], filesUnchanged: 0,
    });
    const rs = await allRecords();
    expect(rs.every((r) => r.source === 'history')).toBe(true);
    expect(stored(rs)).toEqual(expected(truth.requests));
    // the corpus has both kinds of thread and several branches, so the comparison above can tell them apart
    expect(new Set(truth.requests.map((r) => r.isSidechain))).toEqual(new Set([true, false]));
    expect(new Set(truth.requests.map((r) => r.gitBranch)).size).toBeGreaterThan(1);
    const sum = await store.summary({ range: 'all', tz: 'UTC' });
    expect(sum.totals.requests).toBe(truth.totals.requests);
    expect(sum.totals.tokens).toEqual({
      input: truth.totals.input, cacheWrite5m: truth.totals.cacheWrite5m, cacheWrite1h: truth.totals.cacheWrite1h,
      cacheRead: truth.totals.cacheRead, output: truth.totals.output,
    });
  });

  it('an unchanged rescan reads nothing; appended lines, truncation and deletion are followed', async () => {
    // Folders changed an hour ago: the rescans reuse their listings (sources.ts), as on a real machine.
    const hourAgo = new Date(Date.now() - 3_600_000);
    const settle = (d: string): void => {
      for (const e of fs.readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) settle(path.join(d, e.name));
      fs.utimesSync(d, hourAgo, hourAgo);
    };
    settle(root);
    const imp = importer();
    await imp.run();
    const again = await imp.run();
    expect(again).toMatchObject({ filesUnchanged: truth.files.length, bytesRead: 0, imported: 0 });

    // Append a new session file's worth of responses to an existing file (a later corpus, other seed).
    const extraRoot = path.join(dir, 'extra');
    const extra = writeCorpus({ root: extraRoot, seed: 99, projects: 1, sessionsPerProject: 1, requestsPerSession: 5, malformedPerFile: 0 });
    const target = truth.files[0]!;
    const mainExtra = extra.files.find((f) => !f.includes('/subagents/'))!;
    fs.appendFileSync(target, fs.readFileSync(mainExtra));
    const appended = await imp.run();
    const added = extra.requests.filter((r) => r.file === mainExtra);
    expect(appended).toMatchObject({ imported: added.length, filesUnchanged: truth.files.length - 1 });
    expect(appended.bytesRead).toBe(fs.statSync(mainExtra).size);

    // Truncate a file to nothing and write other content: read from 0 again, nothing doubled.
    const victim = truth.files[1]!;
    const before = (await allRecords()).length;
    fs.truncateSync(victim, 0);
    const trunc = await imp.run();
    expect(trunc.filesRestarted).toBe(1);
    expect(trunc.imported).toBe(0);
    fs.copyFileSync(truth.files[2]!, victim); // same inode, now holding another file's (already stored) responses
    const copy = await imp.run();
    expect(copy.imported).toBe(0);
    expect(copy.alreadyStored).toBeGreaterThan(0);

    // Delete a file: what was imported from it stays.
    fs.rmSync(truth.files[3]!);
    const del = await imp.run();
    expect(del.files).toBe(truth.files.length - 1);
    expect((await allRecords()).length).toBe(before);
    expect(stored(await allRecords())).toEqual(expected([...truth.requests, ...added]));
  });

  it('a response the proxy recorded is linked to the proxy record, not stored twice', async () => {
    const seen = truth.requests.filter((_, i) => i % 3 === 0);
    for (const r of seen) store.add(makeRecord({ startedAt: r.at - 5000, upstreamRequestId: r.requestId, model: r.model, source: 'proxy' }));
    await store.flush();
    const report = await importer().run();
    expect(report.linked).toBe(seen.length);
    expect(report.imported).toBe(truth.requests.length - seen.length);
    const rs = await allRecords();
    expect(rs.length).toBe(truth.requests.length);
    const ids = rs.map((r) => r.upstreamRequestId);
    expect(new Set(ids).size).toBe(ids.length);
    const links = readLinks(path.join(dir, 'data', 'history'));
    expect(links.map((l) => l.requestId).sort()).toEqual(seen.map((r) => r.requestId).sort());
    const one = links.find((l) => l.requestId === seen[0]!.requestId)!;
    const t = pricer.cost(seen[0]!.usage, seen[0]!.model, seen[0]!.at).tokens;
    expect(one.tokens).toEqual([t.input, t.cacheWrite5m, t.cacheWrite1h, t.cacheRead, t.output]);
    // A second run finds nothing new and writes no second link.
    const again = await importer().run();
    expect(again.linked + again.imported).toBe(0);
    expect(readLinks(path.join(dir, 'data', 'history')).length).toBe(seen.length);
  });

  it('a run stopped early saves the offsets of what it stored (files.json is written at most once a second during a run)', async () => {
    const ac = new AbortController();
    const first = importer({ batchSize: 10 }).run({ signal: ac.signal, progress: (p) => p.imported >= 20 && ac.abort() });
    await expect(first).rejects.toThrow();
    const storedFirst = (await allRecords()).length;
    expect(storedFirst).toBeGreaterThanOrEqual(20);
    expect(storedFirst).toBeLessThan(truth.requests.length);
    // A fresh importer reads files.json from disk: it goes on from there, re-reading nothing that was stored.
    const total = truth.files.reduce((s, f) => s + fs.statSync(f).size, 0);
    const second = await importer().run();
    expect(second.bytesRead).toBeLessThan(total);
    expect(second.imported).toBe(truth.requests.length - storedFirst);
    expect(stored(await allRecords())).toEqual(expected(truth.requests));
  });

  it('--since keeps older responses out and saves no offsets', async () => {
    const since = [...truth.requests].sort((a, b) => a.at - b.at)[Math.floor(truth.requests.length / 2)]!.at;
    const report = await importer().run({ since });
    const newer = truth.requests.filter((r) => r.at >= since);
    expect(report.imported).toBe(newer.length);
    // Counted per file: a resumed session's copy of an older response counts again.
    expect(report.beforeSince).toBeGreaterThanOrEqual(truth.requests.length - newer.length);
    const full = await importer().run();
    expect(full.imported).toBe(truth.requests.length - newer.length);
  });
});

describe('HistoryImporter on a file still being written', () => {
  it('holds the last response back until its last repeat is there', async () => {
    const file = path.join(root, 'p', 's.jsonl');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const line = (out: number): string =>
      JSON.stringify({
        type: 'assistant', sessionId: 's', cwd: '/p', timestamp: '2026-11-01T10:00:00.000Z', requestId: 'req_A',
        message: { id: 'msg_A', model: 'claude-sonnet-4-5-20250929', usage: { input_tokens: 5, output_tokens: out } },
      }) + '\n';
    fs.writeFileSync(file, line(1));
    let now = Date.now();
    const imp = importer({ settleMs: 2000, now: () => now });
    expect((await imp.run()).imported).toBe(0); // written just now: may still grow
    fs.appendFileSync(file, line(40));
    now = Date.now() + 5000; // quiet for 5 s
    expect((await imp.run()).imported).toBe(1);
    const [r] = await allRecords();
    expect(r!.tokens.output).toBe(40);
  });
});

describe('HistoryImporter reading order', () => {
  it('reads files oldest change first, so each store batch holds one or two months, not every month', async () => {
    // 4 months of sessions whose paths (random session ids) are in no time order; each file's mtime is its
    // last line's time, as Claude Code leaves it. One session per project: no resumed copies of other months.
    const truth = writeCorpus({ root, seed: 5, projects: 24, sessionsPerProject: 1, requestsPerSession: 6, days: 120, start: Date.UTC(2026, 5, 1), malformedPerFile: 0, fileTimes: true });
    const byPath = [...truth.files].sort();
    const monthOf = (f: string): string => new Date(fs.statSync(f).mtimeMs).toISOString().slice(0, 7);
    // the corpus can tell the orders apart: path order jumps between months
    let jumps = 0;
    for (let i = 1; i < byPath.length; i++) if (monthOf(byPath[i]!) !== monthOf(byPath[i - 1]!)) jumps++;
    expect(jumps).toBeGreaterThan(8);

    const monthsPerBatch: number[] = [];
    const sink = {
      addBulk: (rs: readonly RequestRecord[]) => {
        monthsPerBatch.push(new Set(rs.map((r) => new Date(r.startedAt).toISOString().slice(0, 7))).size);
        return store.addBulk(rs);
      },
      findByUpstreamRequestIds: store.findByUpstreamRequestIds.bind(store),
    };
    const report = await importer({ sink, batchSize: 20 }).run();
    expect(report.imported).toBe(truth.requests.length);
    expect(monthsPerBatch.length).toBeGreaterThan(4);
    expect(Math.max(...monthsPerBatch)).toBeLessThanOrEqual(2);
  });

  it('looks request ids up month by month: an id is searched only in the day before its own entry', async () => {
    // Files in path order: every batch spans several months. Searched with the batch's whole span, each id
    // was checked against every sealed month in between (a Bloom filter "maybe" loads a month file).
    const truth = writeCorpus({ root, seed: 6, projects: 12, sessionsPerProject: 1, requestsPerSession: 6, days: 120, start: Date.UTC(2026, 5, 1), malformedPerFile: 0 });
    const atOf = new Map(truth.requests.map((r) => [r.requestId, r.at]));
    const calls: { ids: string[]; from: number; to: number }[] = [];
    const sink = {
      addBulk: store.addBulk.bind(store),
      findByUpstreamRequestIds: (ids: readonly string[], range: { from?: number; to?: number } = {}) => {
        calls.push({ ids: [...ids], from: range.from!, to: range.to! });
        return store.findByUpstreamRequestIds(ids, range);
      },
    };
    const report = await importer({ sink, batchSize: 20 }).run();
    expect(report.imported).toBe(truth.requests.length);
    expect(calls.length).toBeGreaterThan(4);
    for (const c of calls) {
      const months = new Set(c.ids.map((id) => new Date(atOf.get(id)!).toISOString().slice(0, 7)));
      expect(months.size).toBe(1);
      for (const id of c.ids) expect(atOf.get(id)!).toBeGreaterThanOrEqual(c.from + 86_400_000);
      expect(c.to - c.from).toBeLessThanOrEqual(32 * 86_400_000);
    }
    // Searching narrower loses nothing: a second run finds every request already stored.
    const again = await importer({ sink, dataDir: path.join(dir, 'data2'), batchSize: 20 }).run();
    expect(again.alreadyStored).toBe(truth.requests.length);
    expect(again.imported).toBe(0);
  });
});

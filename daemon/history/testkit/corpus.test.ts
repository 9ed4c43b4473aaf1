import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readLines } from '../lines.ts';
import { walkTranscripts } from '../sources.ts';
import { entryKey, parseTranscriptLine, type TranscriptEntry } from '../transcript.ts';
import { writeCorpus, type CorpusTruth } from './corpus.ts';

// The generator's ground truth against the reader and parser alone (no store): every distinct response once,
// with its last (final) usage; synthetic and malformed lines counted exactly.
let dir: string;
let truth: CorpusTruth;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cco-corpus-'));
  truth = writeCorpus({ root: path.join(dir, 'projects'), seed: 7, projects: 3, sessionsPerProject: 3, requestsPerSession: 10, hugeLineBytes: 2_000_000 });
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('corpus generator + transcript reader', () => {
  it('writes session and subagent files, streaming repeats, 1h writes and synthetic lines', () => {
    expect(truth.files.some((f) => f.includes('/subagents/agent-'))).toBe(true);
    expect(truth.assistantLines).toBeGreaterThan(truth.requests.length);
    expect(truth.totals.cacheWrite1h).toBeGreaterThan(0);
    expect(truth.syntheticLines).toBeGreaterThan(0);
    expect(truth.requests.some((r) => r.agentId !== null)).toBe(true);
    expect(new Set(truth.requests.map((r) => r.project)).size).toBe(3);
  });

  it('reads back exactly the ground truth', async () => {
    const { files } = await walkTranscripts([path.join(dir, 'projects')]);
    expect(files.map((f) => f.path).sort()).toEqual([...truth.files].sort());
    const last = new Map<string, TranscriptEntry>();
    let malformed = 0;
    let synthetic = 0;
    for (const f of files) {
      const fh = await fs.promises.open(f.path, 'r');
      await readLines(fh, 0, {
        line: (b) => {
          const v = parseTranscriptLine(b);
          if (v.kind === 'entry') last.set(entryKey(v.entry), v.entry);
          else if (v.kind === 'malformed') malformed++;
          else if (v.why === 'synthetic') synthetic++;
        },
      });
      await fh.close();
    }
    expect(malformed).toBe(truth.malformedLines);
    expect(synthetic).toBe(truth.syntheticLines);
    const got = [...last.values()].map((e) => ({ messageId: e.messageId, requestId: e.requestId, usage: e.usage, sessionId: e.sessionId, project: e.project, agentId: e.agentId, model: e.model }));
    const want = truth.requests.map((r) => ({ messageId: r.messageId, requestId: r.requestId, usage: r.usage, sessionId: r.sessionId, project: r.project, agentId: r.agentId, model: r.model }));
    const byId = (a: { messageId: string }, b: { messageId: string }) => (a.messageId < b.messageId ? -1 : 1);
    expect(got.sort(byId)).toEqual(want.sort(byId));
  });
});

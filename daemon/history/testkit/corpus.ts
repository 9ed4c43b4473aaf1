/**
 * Test helper: writes a realistic Claude Code transcript corpus and returns its ground truth.
 *
 * Layout as Claude Code writes it: `<root>/<project-slug>/<session>.jsonl`, subagents in
 * `<root>/<project-slug>/<session>/subagents/agent-<id>.jsonl` (`isSidechain: true`, `agentId`). Each
 * response is written as 1–3 `assistant` lines (one per content block) with the same message id and
 * request id and growing usage ("streaming repeats"; the last is the final usage), between user lines and
 * tool results (no usage). Also: `<synthetic>` lines, summary lines, 5m/1h cache-write splits, web search,
 * a resumed session that copies earlier lines of another one, malformed lines, and optionally huge lines.
 *
 * Ground truth = one `TruthRequest` per distinct response with its final usage; tests compute every
 * expectation from it (never from the importer).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { AnthropicUsage } from '../../../shared/contract.ts';
import { mulberry32 as prng } from '../../../test/seeded-random.ts';

export interface CorpusOptions {
  root: string; // a `projects` folder
  seed?: number;
  projects?: number;
  sessionsPerProject?: number;
  requestsPerSession?: number;
  /** Start of the corpus' time span (ms); requests spread over `days`. */
  start?: number;
  days?: number;
  /** Add huge lines (a tool result of this many bytes, and an assistant line with a text block of half of it). */
  hugeLineBytes?: number;
  /** Malformed lines per session file. */
  malformedPerFile?: number;
  /** Pad tool results to about this many bytes (file size knob for the bench). */
  toolResultBytes?: number;
  /** Keep every TruthRequest (tests); the bench sets false and reads only the totals. */
  keepRequests?: boolean;
  /** Stop once this many bytes are written (bench); default no limit. */
  targetBytes?: number;
  models?: readonly string[];
  /** Share of requests with a prompt over 200k tokens (1M-context tier), e.g. 0.02; default 0. */
  longContextShare?: number;
  /**
   * Give each file the modification time Claude Code would leave: its last line's timestamp (default false:
   * the time it was written here, in path order). A corpus in the past only: a future mtime holds a file's
   * last response back as "still being written".
   */
  fileTimes?: boolean;
}

export interface TruthRequest {
  messageId: string;
  requestId: string;
  at: number;
  model: string;
  usage: AnthropicUsage;
  sessionId: string;
  project: string;
  agentId: string | null;
  /** The transcript's `gitBranch` and `isSidechain` (a subagent file's lines are sidechains). */
  gitBranch: string;
  isSidechain: boolean;
  file: string;
}

export interface TruthTotals {
  requests: number;
  input: number;
  cacheWrite5m: number;
  cacheWrite1h: number;
  cacheRead: number;
  output: number;
  webSearch: number;
}

export interface CorpusTruth {
  requests: TruthRequest[];
  totals: TruthTotals;
  files: string[];
  bytes: number;
  /** Lines that hold `"usage"` but are not valid JSON: the importer must count exactly these. */
  malformedLines: number;
  syntheticLines: number;
  /** Assistant lines written in all (repeats included, synthetic excluded). */
  assistantLines: number;
  projects: string[];
  sessions: string[];
}

export const CORPUS_MODELS = ['claude-sonnet-4-5-20250929', 'claude-opus-4-1-20250805', 'claude-haiku-4-5-20251001'] as const;

const LOREM = 'The quick brown fox jumps over the lazy dog; const x = await readFile(path, "utf8"); // {"usage"? no}\n';

export function writeCorpus(opts: CorpusOptions): CorpusTruth {
  const rnd = prng(opts.seed ?? 1);
  const int = (lo: number, hi: number): number => lo + Math.floor(rnd() * (hi - lo + 1));
  const hex = (n: number): string => {
    let s = '';
    for (let i = 0; i < n; i++) s += Math.floor(rnd() * 16).toString(16);
    return s;
  };
  const uuid = (): string => `${hex(8)}-${hex(4)}-4${hex(3)}-a${hex(3)}-${hex(12)}`;
  const b62 = (n: number): string => {
    const cs = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz0123456789';
    let s = '';
    for (let i = 0; i < n; i++) s += cs[Math.floor(rnd() * cs.length)];
    return s;
  };
  const models = opts.models ?? CORPUS_MODELS;
  const start = opts.start ?? Date.UTC(2026, 9, 1);
  const days = opts.days ?? 20;
  const keep = opts.keepRequests ?? true;
  const target = opts.targetBytes ?? Number.POSITIVE_INFINITY;
  const padBytes = opts.toolResultBytes ?? 600;
  const truth: CorpusTruth = {
    requests: [], files: [], bytes: 0, malformedLines: 0, syntheticLines: 0, assistantLines: 0, projects: [], sessions: [],
    totals: { requests: 0, input: 0, cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: 0, output: 0, webSearch: 0 },
  };
  fs.mkdirSync(opts.root, { recursive: true });

  const count = (r: TruthRequest): void => {
    const u = r.usage;
    const t = truth.totals;
    t.requests++;
    t.input += u.input_tokens ?? 0;
    const w1h = u.cache_creation?.ephemeral_1h_input_tokens ?? 0;
    t.cacheWrite1h += w1h;
    t.cacheWrite5m += (u.cache_creation_input_tokens ?? 0) - w1h;
    t.cacheRead += u.cache_read_input_tokens ?? 0;
    t.output += u.output_tokens ?? 0;
    t.webSearch += u.server_tool_use?.web_search_requests ?? 0;
    if (keep) truth.requests.push(r);
  };

  class Writer {
    private fd: number;
    private parts: string[] = [];
    private pending = 0;
    /** The latest timestamp of a line written (the file's mtime with `fileTimes`). */
    lastAt = 0;
    constructor(readonly file: string) {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      this.fd = fs.openSync(file, 'w');
      truth.files.push(file);
    }
    line(s: string): void {
      this.parts.push(s, '\n');
      this.pending += s.length + 1;
      if (this.pending > 1 << 20) this.flush();
    }
    flush(): void {
      if (!this.parts.length) return;
      const buf = Buffer.from(this.parts.join(''), 'utf8');
      fs.writeSync(this.fd, buf);
      truth.bytes += buf.length;
      this.parts = [];
      this.pending = 0;
    }
    close(): void {
      this.flush();
      fs.closeSync(this.fd);
      if (opts.fileTimes && this.lastAt > 0) fs.utimesSync(this.file, this.lastAt / 1000, this.lastAt / 1000);
    }
  }

  const base = (o: { cwd: string; sessionId: string; agentId: string | null; at: number; branch: string; version: string }): Record<string, unknown> => ({
    parentUuid: uuid(),
    isSidechain: o.agentId !== null,
    userType: 'external',
    cwd: o.cwd,
    sessionId: o.sessionId,
    version: o.version,
    gitBranch: o.branch,
    ...(o.agentId !== null ? { agentId: o.agentId } : {}),
  });

  /** Writes one conversation (a session file or a subagent file); returns the lines of its first responses (for a resume copy). */
  const conversation = (w: Writer, o: { cwd: string; sessionId: string; agentId: string | null; t0: number; n: number; branch: string; version: string }): string[] => {
    const copied: string[] = [];
    let at = o.t0;
    for (let i = 0; i < o.n; i++) {
      at += int(2_000, 90_000);
      const ctx = { ...o, at };
      w.line(JSON.stringify({
        ...base(ctx), type: 'user', uuid: uuid(), timestamp: new Date(at).toISOString(),
        message: { role: 'user', content: [{ type: 'tool_result', tool_use_id: `toolu_${b62(24)}`, content: LOREM.repeat(Math.max(1, Math.round((padBytes * (0.5 + rnd())) / LOREM.length))) }] },
      }));
      if (opts.hugeLineBytes && i === 1) {
        // A 10 MB tool result (no usage) and a big assistant text block (with usage).
        w.line(JSON.stringify({ ...base(ctx), type: 'user', uuid: uuid(), timestamp: new Date(at).toISOString(), message: { role: 'user', content: [{ type: 'tool_result', content: 'x'.repeat(opts.hugeLineBytes) }] } }));
      }
      const model = models[int(0, models.length - 1)]!;
      const messageId = `msg_01${b62(22)}`;
      const requestId = `req_011C${b62(20)}`;
      const cacheWrite = rnd() < 0.7 ? int(0, 20_000) : 0;
      const oneHour = rnd() < 0.3 ? int(0, cacheWrite) : 0;
      const finalOut = int(1, 4_000);
      const webSearch = rnd() < 0.05 ? int(1, 3) : 0;
      const repeats = int(1, 3);
      const input = int(1, 50);
      const longContext = rnd() < (opts.longContextShare ?? 0) && model.includes('sonnet');
      const respAt = at + int(500, 30_000);
      const usageAt = (k: number): AnthropicUsage => ({
        input_tokens: input,
        cache_creation_input_tokens: cacheWrite,
        cache_read_input_tokens: longContext ? 200_000 + (i + 1) * 1_000 : (i + 1) * 1_000,
        cache_creation: { ephemeral_5m_input_tokens: cacheWrite - oneHour, ephemeral_1h_input_tokens: oneHour },
        output_tokens: k === repeats - 1 ? finalOut : Math.max(1, Math.floor((finalOut * (k + 1)) / (repeats + 1))),
        ...(webSearch && k === repeats - 1 ? { server_tool_use: { web_search_requests: webSearch, web_fetch_requests: 0 } } : {}),
        service_tier: 'standard',
      });
      let final: AnthropicUsage = usageAt(repeats - 1);
      for (let k = 0; k < repeats; k++) {
        const u = usageAt(k);
        if (k === repeats - 1) final = u;
        const text = opts.hugeLineBytes && i === 1 && k === 0 ? 'y'.repeat(opts.hugeLineBytes >> 1) : LOREM.slice(0, int(10, LOREM.length));
        const line = JSON.stringify({
          ...base(ctx), type: 'assistant', uuid: uuid(), timestamp: new Date(respAt + k * 300).toISOString(), requestId,
          message: { model, id: messageId, type: 'message', role: 'assistant', content: [k % 2 ? { type: 'tool_use', id: `toolu_${b62(24)}`, name: 'Read', input: { file_path: `${o.cwd}/src/a.ts` } } : { type: 'text', text }], stop_reason: null, stop_sequence: null, usage: u },
        });
        w.line(line);
        truth.assistantLines++;
        if (i < 2) copied.push(line);
      }
      count({ messageId, requestId, at: respAt + (repeats - 1) * 300, model, usage: final, sessionId: o.sessionId, project: o.cwd, agentId: o.agentId, gitBranch: o.branch, isSidechain: o.agentId !== null, file: w.file });
      if (rnd() < 0.04) {
        w.line(JSON.stringify({
          ...base(ctx), type: 'assistant', uuid: uuid(), timestamp: new Date(respAt + 1000).toISOString(), isApiErrorMessage: true,
          message: { id: uuid(), model: '<synthetic>', role: 'assistant', type: 'message', content: [{ type: 'text', text: 'API Error: 529 overloaded' }], usage: { input_tokens: 0, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 } },
        }));
        truth.syntheticLines++;
      }
      at = respAt + repeats * 300;
      w.lastAt = Math.max(w.lastAt, respAt + (repeats - 1) * 300);
    }
    return copied;
  };

  const nProjects = opts.projects ?? 3;
  const nSessions = opts.sessionsPerProject ?? 3;
  const nRequests = opts.requestsPerSession ?? 12;
  outer: for (let round = 0; ; round++) {
    for (let p = 0; p < nProjects; p++) {
      const cwd = `/home/dev/work/project-${p}${round ? `-r${round}` : ''}`;
      truth.projects.push(cwd);
      const slug = cwd.replace(/[^a-zA-Z0-9]/g, '-');
      let lastCopy: string[] = [];
      for (let s = 0; s < nSessions; s++) {
        const sessionId = uuid();
        truth.sessions.push(sessionId);
        const version = `2.0.${int(10, 60)}`;
        const branch = rnd() < 0.5 ? 'main' : `feature/${hex(4)}`;
        const t0 = start + Math.floor(rnd() * days * 86_400_000);
        const w = new Writer(path.join(opts.root, slug, `${sessionId}.jsonl`));
        w.line(JSON.stringify({ type: 'summary', summary: `Work on ${cwd}`, leafUuid: uuid() }));
        // A resumed session begins with a copy of the previous session's first responses (same ids).
        for (const l of lastCopy) w.line(l);
        lastCopy = conversation(w, { cwd, sessionId, agentId: null, t0, n: nRequests, branch, version });
        for (let m = 0; m < (opts.malformedPerFile ?? 1); m++) {
          w.line(`{"type":"assistant","message":{"id":"msg_broken","usage":{"input_tokens":1`); // cut mid-write
          truth.malformedLines++;
          w.line('not json at all, and no usage key');
        }
        w.close();
        // One or two subagents per session, in `<session>/subagents/`.
        for (let a = 0; a < int(1, 2); a++) {
          const agentId = hex(8);
          const sw = new Writer(path.join(opts.root, slug, sessionId, 'subagents', `agent-${agentId}.jsonl`));
          conversation(sw, { cwd, sessionId, agentId, t0: t0 + 60_000, n: Math.max(1, nRequests >> 2), branch, version });
          sw.close();
        }
        if (truth.bytes >= target) break outer;
      }
    }
    if (!Number.isFinite(target)) break;
  }
  return truth;
}

import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeCorpus } from './testkit/corpus.ts';
import { entryKey, mayHoldUsage, parseLineScanned, parseLineWhole, parseTranscriptLine } from './transcript.ts';

const line = (o: unknown): Buffer => Buffer.from(JSON.stringify(o));
const assistant = {
  parentUuid: 'p', isSidechain: true, userType: 'external', cwd: '/home/u/proj', sessionId: 'sess-1', version: '2.0.31',
  gitBranch: 'main', agentId: 'a1b2c3d4', type: 'assistant', uuid: 'u', timestamp: '2026-10-02T10:00:00.250Z', requestId: 'req_011CA',
  message: {
    model: 'claude-sonnet-4-5-20250929', id: 'msg_01A', type: 'message', role: 'assistant', content: [{ type: 'text', text: 'hi' }],
    usage: {
      input_tokens: 3, cache_creation_input_tokens: 100, cache_read_input_tokens: 2000, output_tokens: 42,
      cache_creation: { ephemeral_5m_input_tokens: 60, ephemeral_1h_input_tokens: 40 },
      server_tool_use: { web_search_requests: 2, web_fetch_requests: 1 }, service_tier: 'standard', inference_geo: 'us', speed: 'fast',
      unknown_field: 7,
    },
  },
};

describe('parseTranscriptLine', () => {
  it('takes every field of an assistant line with usage', () => {
    const v = parseTranscriptLine(line(assistant));
    expect(v).toEqual({
      kind: 'entry',
      entry: {
        messageId: 'msg_01A', requestId: 'req_011CA', at: Date.parse('2026-10-02T10:00:00.250Z'), model: 'claude-sonnet-4-5-20250929',
        usage: {
          input_tokens: 3, cache_creation_input_tokens: 100, cache_read_input_tokens: 2000, output_tokens: 42,
          cache_creation: { ephemeral_5m_input_tokens: 60, ephemeral_1h_input_tokens: 40 },
          server_tool_use: { web_search_requests: 2, web_fetch_requests: 1 }, service_tier: 'standard', inference_geo: 'us', speed: 'fast',
        },
        sessionId: 'sess-1', project: '/home/u/proj', gitBranch: 'main', agentId: 'a1b2c3d4', isSidechain: true, version: '2.0.31',
      },
    });
  });

  it('ignores lines without message.usage, without parsing those that cannot hold it', () => {
    expect(parseTranscriptLine(line({ type: 'user', message: { role: 'user', content: 'x' } }))).toEqual({ kind: 'skip', why: 'no-usage' });
    expect(parseTranscriptLine(Buffer.from('{not json'))).toEqual({ kind: 'skip', why: 'no-usage' });
    expect(parseTranscriptLine(line({ type: 'x', usage: { input_tokens: 1 } }))).toEqual({ kind: 'skip', why: 'no-usage' });
  });

  it('skips the <synthetic> model', () => {
    const synthetic = { ...assistant, message: { ...assistant.message, model: '<synthetic>' } };
    expect(parseTranscriptLine(line(synthetic))).toEqual({ kind: 'skip', why: 'synthetic' });
  });

  it('reports malformed JSON and a bad timestamp', () => {
    expect(parseTranscriptLine(Buffer.from('{"message":{"usage":{"input_tokens":1'))).toMatchObject({ kind: 'malformed' });
    expect(parseTranscriptLine(Buffer.from('["usage"]'))).toEqual({ kind: 'malformed', why: 'not a JSON object' });
    expect(parseTranscriptLine(line({ ...assistant, timestamp: 'yesterday' }))).toEqual({ kind: 'malformed', why: 'missing or invalid timestamp' });
  });

  it('keeps old transcripts without requestId (key = message id alone)', () => {
    const { requestId: _, ...old } = assistant;
    const v = parseTranscriptLine(line(old));
    expect(v.kind === 'entry' && v.entry.requestId).toBe(null);
    expect(entryKey({ messageId: 'msg_01A', requestId: null })).toBe('msg_01A:');
    expect(entryKey({ messageId: 'msg_01A', requestId: 'req_1' })).toBe('msg_01A:req_1');
  });

  it('scans long lines and parses short ones whole, and both ways agree on every line of a generated corpus', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cco-transcript-'));
    try {
      const truth = writeCorpus({ root: dir, seed: 7, projects: 2, sessionsPerProject: 3, requestsPerSession: 8, hugeLineBytes: 20_000, longContextShare: 0.2 });
      let lines = 0;
      let entries = 0;
      let long = 0;
      for (const file of truth.files) {
        for (const text of fs.readFileSync(file, 'utf8').split('\n')) {
          const line = Buffer.from(text);
          if (!mayHoldUsage(line)) continue; // never parsed either way
          const whole = parseLineWhole(line);
          const scanned = parseLineScanned(line);
          // A cut line is malformed both ways (the reasons' wording differs).
          if (whole.kind === 'malformed') expect(scanned.kind).toBe('malformed');
          else expect(scanned).toEqual(whole);
          if (whole.kind === 'entry') entries++;
          if (line.length >= 4096) long++;
          lines++;
        }
      }
      expect(entries).toBeGreaterThanOrEqual(truth.assistantLines); // + a resumed session's copied lines
      expect(lines).toBeGreaterThan(50);
      expect(long).toBeGreaterThan(0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads a long line like a short one: escapes, non-ASCII, whitespace, duplicate keys, usage before content', () => {
    const pad = 'x'.repeat(5000);
    const variants: unknown[] = [
      { ...assistant, cwd: 'C:\\Users\\Zoë\\项目 "q"', gitBranch: 'feat/\u2028', message: { ...assistant.message, content: [{ type: 'text', text: pad }] } },
      { message: { usage: assistant.message.usage, content: [{ type: 'thinking', thinking: pad, signature: 'Eq' + pad }], id: 'msg_2', model: 'claude-opus-4-1-20250805' }, timestamp: assistant.timestamp, requestId: 'req_2' },
      { ...assistant, version: 3, agentId: null, isSidechain: 'yes', message: { ...assistant.message, content: pad } },
    ];
    for (const v of variants) {
      const compact = JSON.stringify(v);
      for (const text of [compact, JSON.stringify(v, null, 2).replaceAll('\n', ' '), ` ${compact}\r`.trimEnd()]) {
        const line = Buffer.from(text);
        expect(line.length).toBeGreaterThan(4096);
        expect(parseLineScanned(line)).toEqual(parseLineWhole(line));
        expect(parseTranscriptLine(line).kind).toBe('entry');
      }
    }
    // Duplicate keys: the last one counts, as in JSON.parse (message given twice, id given twice inside).
    const dup = Buffer.from(`{"message":{"id":"msg_old","model":"m","usage":{"input_tokens":1}},"timestamp":"${assistant.timestamp}","x":"${pad}",` +
      `"message":{"id":"msg_a","content":"${pad}","id":"msg_b","model":"claude-sonnet-4-5-20250929","usage":{"input_tokens":2,"output_tokens":3}}}`);
    expect(parseLineScanned(dup)).toEqual(parseLineWhole(dup));
    expect(parseTranscriptLine(dup)).toMatchObject({ kind: 'entry', entry: { messageId: 'msg_b', usage: { input_tokens: 2, output_tokens: 3 } } });
  });

  it('counts a long line cut mid-write, or with a broken wanted value, as malformed', () => {
    const full = JSON.stringify({ ...assistant, message: { ...assistant.message, content: [{ type: 'text', text: 'y'.repeat(6000) }] } });
    for (const cut of [full.length - 1, full.length - 20, full.indexOf('"usage"') + 12]) {
      expect(parseTranscriptLine(Buffer.from(full.slice(0, cut))).kind).toBe('malformed');
    }
    expect(parseTranscriptLine(Buffer.from(full.replace('"input_tokens":3', '"input_tokens":3x'))).kind).toBe('malformed');
    expect(parseTranscriptLine(Buffer.from(full.replace('"sessionId":"sess-1"', '"sessionId":"sess-1\\q"'))).kind).toBe('malformed');
  });
});

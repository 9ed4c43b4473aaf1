import { describe, expect, it } from 'vitest';
import { entryKey, parseTranscriptLine } from './transcript.ts';

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
});

/**
 * Writes the recorded-stream fixtures of this folder (run: `npx tsx daemon/proxy/testdata/make-testdata.ts`).
 * `docs-example.sse` is the docs stream verbatim (hand-written, not generated). The others follow the real
 * 2026 wire shape of the Messages API stream: compact JSON padded with spaces before the outer `}`, pings, comments.
 * Every `.sse` also gets a `.sse.gz` copy compressed the way the API does it: one gzip stream with a
 * Z_SYNC_FLUSH after each event. The truncated stream's copy is cut mid-gzip (no trailer), like a dropped
 * connection. Expected results live in expected.json and are written by hand from the event payloads.
 */
import { writeFileSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';

const here = dirname(fileURLToPath(import.meta.url));

let seed = 7;
function pad(): string {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return ' '.repeat(1 + (seed % 16));
}

type Ev = { event: string; data: Record<string, unknown> } | { comment: string };

function serialise(events: Ev[], eol: string): string[] {
  return events.map((e) => {
    if ('comment' in e) return `: ${e.comment}${eol}${eol}`;
    const json = JSON.stringify(e.data);
    return `event: ${e.event}${eol}data: ${json.slice(0, -1)}${pad()}}${eol}${eol}`;
  });
}

const ev = (event: string, data: Record<string, unknown>): Ev => ({ event, data: { type: event, ...data } });
const text = (index: number, t: string): Ev =>
  ev('content_block_delta', { index, delta: { type: 'text_delta', text: t } });
const ping: Ev = { event: 'ping', data: { type: 'ping' } };

function start(id: string, model: string, usage: Record<string, unknown>): Ev {
  return ev('message_start', {
    message: { model, id, type: 'message', role: 'assistant', content: [], stop_reason: null, stop_sequence: null, stop_details: null, usage },
  });
}

const real: Ev[] = [
  start('msg_011CdyXaRqJ9KTpSWEt2LPL5', 'claude-sonnet-5', {
    input_tokens: 1426, cache_creation_input_tokens: 0, cache_read_input_tokens: 0,
    cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 0 },
    output_tokens: 1, service_tier: 'standard', inference_geo: 'global',
  }),
  ev('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }),
  ping,
  text(0, 'Quantum computing uses qubits — '),
  text(0, 'superposition 🧮 and entanglement; 量子计算 '),
  text(0, 'speeds up some problems: “Shor”, “Grover” ✓.\n\nDone.'),
  ev('content_block_stop', { index: 0 }),
  ev('message_delta', {
    delta: { stop_reason: 'end_turn', stop_sequence: null, stop_details: null },
    usage: { input_tokens: 1426, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 215, output_tokens_details: { thinking_tokens: 0 } },
  }),
  ev('message_stop', {}),
];

const webSearch: Ev[] = [
  start('msg_011WebSearch000000000001', 'claude-opus-4-6', {
    input_tokens: 2679, cache_creation_input_tokens: 1000, cache_read_input_tokens: 5000,
    cache_creation: { ephemeral_5m_input_tokens: 400, ephemeral_1h_input_tokens: 600 },
    output_tokens: 3, service_tier: 'standard', inference_geo: 'global',
  }),
  ev('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }),
  text(0, "I'll search for that."),
  ev('content_block_stop', { index: 0 }),
  ev('content_block_start', { index: 1, content_block: { type: 'server_tool_use', id: 'srvtoolu_01', name: 'web_search', input: {} } }),
  ev('content_block_delta', { index: 1, delta: { type: 'input_json_delta', partial_json: '' } }),
  ev('content_block_delta', { index: 1, delta: { type: 'input_json_delta', partial_json: '{"query": "météo ' } }),
  ev('content_block_delta', { index: 1, delta: { type: 'input_json_delta', partial_json: 'Zürich 🌦"}' } }),
  ev('content_block_stop', { index: 1 }),
  ping,
  ev('content_block_start', {
    index: 2,
    content_block: {
      type: 'web_search_tool_result', tool_use_id: 'srvtoolu_01',
      content: [{ type: 'web_search_result', title: 'Wetter Zürich — 7 Tage', url: 'https://example.org/zh', encrypted_content: 'Eq'.repeat(400), page_age: null }],
    },
  }),
  ev('content_block_stop', { index: 2 }),
  ev('message_delta', { delta: { stop_reason: null }, usage: { output_tokens: 200 } }),
  ev('content_block_start', { index: 3, content_block: { type: 'text', text: '' } }),
  text(3, 'Zürich: 14 °C, showers ☔.'),
  ev('content_block_delta', { index: 3, delta: { type: 'citations_delta', citation: { type: 'web_search_result_location', url: 'https://example.org/zh', title: 'Wetter', cited_text: '14 °C' } } }),
  ev('content_block_stop', { index: 3 }),
  ev('message_delta', {
    delta: { stop_reason: 'end_turn', stop_sequence: null, stop_details: null },
    usage: { input_tokens: 10682, cache_creation_input_tokens: 1500, output_tokens: 510, server_tool_use: { web_search_requests: 1 } },
  }),
  ev('message_stop', {}),
];

const thinking: Ev[] = [
  { comment: 'keep-alive' },
  start('msg_011Thinking00000000000001', 'claude-opus-4-8', {
    input_tokens: 12, cache_creation_input_tokens: 3000, cache_read_input_tokens: 45000,
    cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 3000 },
    output_tokens: 2, service_tier: 'priority', inference_geo: 'us', speed: 'fast',
  }),
  ev('content_block_start', { index: 0, content_block: { type: 'thinking', thinking: '', signature: '' } }),
  ev('content_block_delta', { index: 0, delta: { type: 'thinking_delta', thinking: 'Let me think — ' } }),
  { comment: 'still thinking' },
  ping,
  ev('content_block_delta', { index: 0, delta: { type: 'thinking_delta', thinking: 'ünïcödé ∑ 𝔘 check.\r\n' } }),
  ev('content_block_delta', { index: 0, delta: { type: 'signature_delta', signature: 'EqQBCkYIARABGAIqQL'.repeat(8) } }),
  ev('content_block_stop', { index: 0 }),
  ev('content_block_start', { index: 1, content_block: { type: 'text', text: '' } }),
  text(1, 'Answer: 42 ✔'),
  ev('content_block_stop', { index: 1 }),
  ev('message_delta', {
    delta: { stop_reason: 'end_turn', stop_sequence: null, stop_details: null },
    usage: { input_tokens: 12, cache_creation_input_tokens: 3000, cache_read_input_tokens: 45000, output_tokens: 242, output_tokens_details: { thinking_tokens: 180 } },
  }),
  ev('message_stop', {}),
];

const errorEvent: Ev[] = [
  start('msg_011ErrorEvent000000000001', 'claude-sonnet-4-6', {
    input_tokens: 300, cache_creation_input_tokens: 0, cache_read_input_tokens: 9000,
    cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 0 },
    output_tokens: 1, service_tier: 'standard', inference_geo: 'global',
  }),
  ev('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }),
  text(0, 'Partial ånswer'),
  ev('error', { error: { type: 'overloaded_error', message: 'Overloaded' } }),
];

const truncated: Ev[] = [
  start('msg_011Truncated0000000000001', 'claude-haiku-4-5', {
    input_tokens: 50, cache_creation_input_tokens: 0, cache_read_input_tokens: 0,
    cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 0 },
    output_tokens: 1, service_tier: 'standard', inference_geo: 'global',
  }),
  ev('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }),
  text(0, 'Cut off mid-'),
  ev('content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'sentence, never finished' } }),
];

function gzipPerEvent(pieces: string[]): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const gz = zlib.createGzip();
    const out: Buffer[] = [];
    gz.on('data', (d: Buffer) => out.push(d));
    gz.on('end', () => resolve(Buffer.concat(out)));
    gz.on('error', reject);
    let i = 0;
    const next = (): void => {
      if (i === pieces.length) {
        gz.end();
        return;
      }
      gz.write(pieces[i++]!);
      gz.flush(zlib.constants.Z_SYNC_FLUSH, next);
    };
    next();
  });
}

async function write(name: string, pieces: string[], cut?: number): Promise<void> {
  let raw = pieces.join('');
  if (cut !== undefined) raw = raw.slice(0, raw.length - cut);
  writeFileSync(join(here, `${name}.sse`), raw);
  if (cut === undefined) {
    writeFileSync(join(here, `${name}.sse.gz`), await gzipPerEvent(pieces));
  } else {
    // Flushed up to the last whole event, then a few bytes of the next flush: no gzip trailer.
    const whole = await gzipPerEvent(pieces.slice(0, -1));
    const withLast = await gzipPerEvent(pieces);
    const flushedPart = whole.subarray(0, whole.length - 10 - 8); // drop final empty block + trailer
    const extra = withLast.subarray(flushedPart.length, flushedPart.length + 12);
    writeFileSync(join(here, `${name}.sse.gz`), Buffer.concat([flushedPart, extra]));
  }
}

await write('real-2026-padded', serialise(real, '\n'));
await write('web-search', serialise(webSearch, '\n'));
await write('thinking-crlf', serialise(thinking, '\r\n'));
await write('error-event', serialise(errorEvent, '\n'));
await write('truncated', serialise(truncated, '\n'), 20);
writeFileSync(
  join(here, 'docs-example.sse.gz'),
  await gzipPerEvent(readFileSync(join(here, 'docs-example.sse'), 'utf8').split(/(?<=\n\n)/)),
);

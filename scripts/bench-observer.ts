/**
 * npx tsx scripts/bench-observer.ts [MB] — throughput of the response observer (daemon/proxy/observer.ts).
 *
 * Builds one long SSE stream in the real 2026 wire shape (padded compact JSON, text and thinking deltas
 * with multi-byte UTF-8, pings) of about MB megabytes (default 32), plus a gzip copy flushed after every
 * event as the API sends it. Feeds each to a fresh observer in 16 KiB chunks and in one-event chunks, and
 * prints MB/s of wire bytes and decoded bytes. Also times attributeRequest on a 2 MB Claude Code-like body,
 * against JSON.parse of that body (what attribution did before it read only the members it needs).
 * Not a test: numbers only.
 */
import zlib from 'node:zlib';
import { attributeRequest } from '../daemon/proxy/attribution.ts';
import { createObserver, type Observation } from '../daemon/proxy/observer.ts';

const targetMB = Number(process.argv[2] ?? 32);

function event(name: string, data: object, padding: number): string {
  const json = JSON.stringify(data);
  return `event: ${name}\ndata: ${json.slice(0, -1)}${' '.repeat(padding)}}\n\n`;
}

function buildStream(): { events: string[]; bytes: number } {
  const events: string[] = [];
  let bytes = 0;
  const push = (s: string): void => {
    events.push(s);
    bytes += Buffer.byteLength(s);
  };
  push(
    event('message_start', {
      type: 'message_start',
      message: {
        model: 'claude-opus-4-8', id: 'msg_bench', type: 'message', role: 'assistant', content: [], stop_reason: null,
        usage: { input_tokens: 1426, cache_creation_input_tokens: 100, cache_read_input_tokens: 9000,
          cache_creation: { ephemeral_5m_input_tokens: 100, ephemeral_1h_input_tokens: 0 }, output_tokens: 1 },
      },
    }, 3),
  );
  push(event('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }, 5));
  const words = ['the ', 'quantum ', 'qubit ', 'ünïcödé ', '量子 ', 'state ', '🧮 ', 'entangled ', 'and ', 'Zürich '];
  let i = 0;
  while (bytes < targetMB * 1024 * 1024) {
    let text = '';
    for (let w = 0; w < 3 + (i % 7); w++) text += words[(i * 7 + w) % words.length];
    push(event('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text } }, 1 + (i % 16)));
    if (i % 500 === 0) push(event('ping', { type: 'ping' }, 0));
    i++;
  }
  push(event('content_block_stop', { type: 'content_block_stop', index: 0 }, 2));
  push(event('message_delta', { type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { output_tokens: i * 4 } }, 9));
  push(event('message_stop', { type: 'message_stop' }, 12));
  return { events, bytes };
}

/** One gzip stream with a Z_SYNC_FLUSH after each event, as the API sends it; one output chunk per event. */
function gzipPerEvent(events: string[]): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    const gz = zlib.createGzip();
    const out: Buffer[] = [];
    let pending: Buffer[] = [];
    gz.on('data', (d: Buffer) => pending.push(d));
    gz.on('error', reject);
    let i = 0;
    const next = (): void => {
      if (pending.length) out.push(Buffer.concat(pending));
      pending = [];
      if (i === events.length) {
        gz.end(() => resolve(pending.length ? [...out, Buffer.concat(pending)] : out));
        return;
      }
      gz.write(events[i++]!);
      gz.flush(zlib.constants.Z_SYNC_FLUSH, next);
    };
    next();
  });
}

function run(label: string, chunks: Buffer[], encoding: string | undefined, decodedBytes: number): Observation {
  const wire = chunks.reduce((n, c) => n + c.length, 0);
  let obs: Observation | null = null;
  const times: number[] = [];
  for (let rep = 0; rep < 3; rep++) {
    const t0 = process.hrtime.bigint();
    const o = createObserver({ status: 200, contentType: 'text/event-stream; charset=utf-8', contentEncoding: encoding });
    for (const c of chunks) o.write(c);
    obs = o.end();
    times.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  const best = Math.min(...times);
  const mb = (n: number): string => (n / 1024 / 1024 / best).toFixed(0).padStart(5);
  console.log(`${label.padEnd(34)} wire ${mb(wire)} MB/s   decoded ${mb(decodedBytes)} MB/s   (${(best * 1000).toFixed(0)} ms, ${chunks.length} chunks)`);
  return obs!;
}

function rechunk(buf: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < buf.length; i += size) out.push(buf.subarray(i, i + size));
  return out;
}

const { events, bytes } = buildStream();
console.log(`stream: ${(bytes / 1024 / 1024).toFixed(1)} MB decoded, ${events.length} events`);
const plain = Buffer.from(events.join(''));
const perEventPlain = events.map((e) => Buffer.from(e));
const perEventGz = await gzipPerEvent(events);
const gz = Buffer.concat(perEventGz);

const results = [
  run('plain, 16 KiB chunks', rechunk(plain, 16 * 1024), undefined, bytes),
  run('plain, one event per chunk', perEventPlain, undefined, bytes),
  run('gzip, 16 KiB chunks', rechunk(gz, 16 * 1024), 'gzip', bytes),
  run('gzip, one event per chunk', perEventGz, 'gzip', bytes),
];
const first = JSON.stringify(results[0]);
if (results.some((r) => JSON.stringify(r) !== first) || results[0]!.usage?.output_tokens === undefined) {
  console.error('observations differ between runs:', results);
  process.exitCode = 1;
}

// Attribution reads a few members of the request body: time it on a 2 MB Claude Code-like body (tool
// results full of code, so escaped quotes and newlines), against JSON.parse of the whole body as before.
const code = 'function f(a) {\n  return "x\\"y" + a.map((z) => `${z}`);\n}\n// ünïcödé 量子 🧮\n'.repeat(40);
const body = Buffer.from(
  JSON.stringify({
    model: 'claude-opus-4-8', max_tokens: 32000, stream: true,
    metadata: { user_id: JSON.stringify({ device_id: 'd', account_uuid: 'a', session_id: 's' }) },
    system: [{ type: 'text', text: 'billing' }, { type: 'text', text: 'env\nPrimary working directory: /home/dev/repo\n' }],
    messages: Array.from({ length: 600 }, (_, k) => ({ role: k % 2 ? 'assistant' : 'user', content: [{ type: 'tool_result', tool_use_id: `toolu_${k}`, content: code }] })),
  }),
);
const time = (fn: () => unknown): number => {
  for (let k = 0; k < 3; k++) fn();
  const t0 = process.hrtime.bigint();
  const reps = 20;
  for (let k = 0; k < reps; k++) fn();
  return Number(process.hrtime.bigint() - t0) / 1e6 / reps;
};
const fullParse = time(() => JSON.parse(body.toString('utf8')));
const attribution = time(() => attributeRequest('POST', '/v1/messages?beta=true', { 'content-type': 'application/json' }, body));
console.log(
  `attributeRequest on a ${(body.length / 1024 / 1024).toFixed(1)} MB body: ${attribution.toFixed(2)} ms; ` +
    `JSON.parse of the whole body: ${fullParse.toFixed(2)} ms (${(fullParse / attribution).toFixed(1)}×)`,
);

import { describe, expect, it } from 'vitest';
import { SseParser } from './sse.ts';

type Ev = [string, string];

function parse(chunks: (string | Uint8Array)[], options?: { maxLineChars?: number }): { events: Ev[]; parser: SseParser } {
  const events: Ev[] = [];
  const parser = new SseParser((e, d) => events.push([e, d]), options);
  const enc = new TextEncoder();
  for (const c of chunks) parser.push(typeof c === 'string' ? enc.encode(c) : c);
  parser.end();
  return { events, parser };
}

/** Every way of cutting `text` into two pieces, and into single bytes. */
function allSplits(text: string): Uint8Array[][] {
  const bytes = new TextEncoder().encode(text);
  const out: Uint8Array[][] = [];
  for (let i = 0; i <= bytes.length; i++) out.push([bytes.subarray(0, i), bytes.subarray(i)]);
  out.push(Array.from(bytes, (_, i) => bytes.subarray(i, i + 1)));
  return out;
}

describe('SseParser', () => {
  it('parses event and data fields, dispatching on a blank line', () => {
    const { events } = parse(['event: a\ndata: {"x":1}\n\nevent: b\ndata: 2\n\n']);
    expect(events).toEqual([
      ['a', '{"x":1}'],
      ['b', '2'],
    ]);
  });

  it('accepts CRLF, CR and LF line endings, also mixed', () => {
    expect(parse(['event: a\r\ndata: 1\r\n\r\n']).events).toEqual([['a', '1']]);
    expect(parse(['event: a\rdata: 1\r\r']).events).toEqual([['a', '1']]);
    expect(parse(['event: a\r\ndata: 1\n\revent: b\rdata: 2\r\n\n']).events).toEqual([
      ['a', '1'],
      ['b', '2'],
    ]);
  });

  it('joins multi-line data with \\n and keeps an empty data line', () => {
    expect(parse(['data: one\ndata:two\ndata\ndata:  three\n\n']).events).toEqual([['message', 'one\ntwo\n\n three']]);
  });

  it('ignores comments, id, retry and unknown fields; defaults the type to "message"', () => {
    const { events } = parse([': keep-alive\nid: 7\nretry: 100\nfoo: bar\ndata: x\n\n:\n\n']);
    expect(events).toEqual([['message', 'x']]);
  });

  it('does not dispatch an event without data and resets the type after each event', () => {
    expect(parse(['event: a\n\ndata: 1\n\n']).events).toEqual([['message', '1']]);
  });

  it('splits at every byte give the same events (CRLF pair, UTF-8, field names)', () => {
    const text = 'event: message_start\r\ndata: {"t":"héllo 🌍 世界"}\r\n\r\n: c\r\nevent: x\rdata: é\r\r';
    const expected = parse([text]).events;
    expect(expected).toEqual([
      ['message_start', '{"t":"héllo 🌍 世界"}'],
      ['x', 'é'],
    ]);
    for (const chunks of allSplits(text)) expect(parse(chunks).events).toEqual(expected);
  });

  it('a CR ending one chunk and a LF starting the next is one line ending, not two', () => {
    const { events } = parse(['data: a\r', '\ndata: b\r', '\n\r', '\n']);
    expect(events).toEqual([['message', 'a\nb']]);
  });

  it('keeps a UTF-8 sequence split across chunks intact', () => {
    const bytes = new TextEncoder().encode('data: 🌍\n\n');
    const { events } = parse([bytes.subarray(0, 7), bytes.subarray(7, 8), bytes.subarray(8)]);
    expect(events).toEqual([['message', '🌍']]);
  });

  it('parses the padded compact JSON of the real 2026 wire format', () => {
    const line =
      'data: {"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":215}               }';
    const { events } = parse([`event: message_delta\n${line}\n\n`]);
    expect(events).toHaveLength(1);
    expect(JSON.parse(events[0]![1])).toEqual({
      type: 'message_delta',
      delta: { stop_reason: 'end_turn' },
      usage: { output_tokens: 215 },
    });
  });

  it('drops an incomplete trailing event at end()', () => {
    expect(parse(['data: 1\n\ndata: 2\n']).events).toEqual([['message', '1']]);
    expect(parse(['data: 1\n\ndata: 2']).events).toEqual([['message', '1']]);
  });

  it('strips a leading BOM and ignores pushes after end()', () => {
    const events: Ev[] = [];
    const p = new SseParser((e, d) => events.push([e, d]));
    p.push(new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode('event: a\ndata: 1\n\n')]));
    p.end();
    p.push(new TextEncoder().encode('data: late\n\n'));
    expect(events).toEqual([['a', '1']]);
  });

  it('drops oversized lines and events instead of buffering them, and keeps going', () => {
    const big = 'x'.repeat(100);
    const { events, parser } = parse(
      [`event: big\ndata: ${big.slice(0, 30)}`, `${big}\n\n`, `data: ${big}\ndata: ${big}\n\n`, 'event: ok\ndata: 1\n\n'],
      { maxLineChars: 120 },
    );
    expect(events).toEqual([['ok', '1']]);
    expect(parser.droppedEvents).toBe(2);
  });
});

describe('SseParser skip', () => {
  const types = ['', 'message_start', 'content_block_delta', 'ping', 'message_delta', 'message_stop', 'error'];
  const skip = (t: string) => t === 'content_block_delta' || t === 'ping';
  /** A random stream: events with an optional `event:` line, 1–3 data lines (UTF-8, colons, empty), comments; CRLF, CR or LF. */
  function stream(r: () => number): string {
    const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
    // one line ending per stream: a CR line end followed by a LF blank line would be one CRLF (events merge)
    const end = pick(['\n', '\r\n', '\r']);
    const eol = () => end;
    let out = r() < 0.2 ? '\ufeff' : '';
    for (let i = Math.floor(r() * 12); i > 0; i--) {
      const type = pick(types);
      if (r() < 0.2) out += `: comment${eol()}`;
      if (type) out += `event: ${type}${eol()}`;
      for (let d = 1 + Math.floor(r() * 3); d > 0; d--) out += `data:${pick([' ', ''])}${pick(['{"a":1}', '', 'héllo ✓ 日本', 'x: y', '🙂'])}${eol()}`;
      if (r() < 0.1) out += `id: 7${eol()}`;
      out += eol();
    }
    return out;
  }
  it('gives every event it does not skip exactly as without skip, at every split of random streams', () => {
    let seed = 11;
    const r = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let i = 0; i < 150; i++) {
      const text = stream(r);
      const all = parse([text]).events;
      const want = all.filter(([t]) => !skip(t));
      for (const chunks of allSplits(text)) {
        const events: Ev[] = [];
        const p = new SseParser((e, d) => events.push([e, d]), { skip });
        for (const c of chunks) p.push(c);
        p.end();
        expect(events).toEqual(want);
        expect(p.droppedEvents).toBe(0);
      }
    }
  });
  it('an event whose data was skipped and whose later event: line names a read type is dropped, not dispatched half-read', () => {
    const events: Ev[] = [];
    const p = new SseParser((e, d) => events.push([e, d]), { skip });
    p.push(new TextEncoder().encode('event: ping\ndata: 1\nevent: message_delta\ndata: 2\n\nevent: message_stop\ndata: {}\n\n'));
    p.end();
    expect(events).toEqual([['message_stop', '{}']]);
    expect(p.droppedEvents).toBe(1);
  });
});

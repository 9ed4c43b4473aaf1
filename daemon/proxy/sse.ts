/**
 * Incremental server-sent-events parser (WHATWG HTML "event stream interpretation").
 *
 * Bytes arrive in arbitrary chunks: a chunk may end mid-line, mid-UTF-8 sequence, or between the `\r` and
 * the `\n` of a CRLF. The parser keeps only the current incomplete line and the current event's fields, so
 * memory follows event size, not stream size. Lines longer than `maxLineChars` (and events whose data grows
 * past it) are dropped and counted in `droppedEvents` instead of being buffered without bound.
 */

export type SseEventHandler = (event: string, data: string) => void;

export interface SseParserOptions {
  /** Longest line / event data kept, in UTF-16 code units. Default 8 Mi. */
  maxLineChars?: number;
}

const LF = 10;
const CR = 13;
const COLON = 58;
const SPACE = 32;

export class SseParser {
  readonly #onEvent: SseEventHandler;
  readonly #max: number;
  readonly #decoder = new TextDecoder('utf-8');
  /** Text of the current line that has no terminator yet. */
  #partial = '';
  /** The current line went past the cap; drop everything up to its end. */
  #lineOverflow = false;
  /** The previous chunk ended with CR: a LF at the start of the next one belongs to it. */
  #skipLF = false;
  #eventType = '';
  #data = '';
  #eventOverflow = false;
  #ended = false;
  /** Events (or lines) dropped because they exceeded the size cap. */
  droppedEvents = 0;

  constructor(onEvent: SseEventHandler, options: SseParserOptions = {}) {
    this.#onEvent = onEvent;
    this.#max = options.maxLineChars ?? 8 * 1024 * 1024;
  }

  push(chunk: Uint8Array): void {
    if (this.#ended || chunk.byteLength === 0) return;
    this.#feed(this.#decoder.decode(chunk, { stream: true }));
  }

  /**
   * End of stream. Per spec, an incomplete trailing line and an event not yet closed by a blank line are
   * discarded; events completed earlier were already dispatched by `push`.
   */
  end(): void {
    if (this.#ended) return;
    this.#feed(this.#decoder.decode());
    this.#ended = true;
    this.#partial = '';
    this.#data = '';
    this.#eventType = '';
  }

  #feed(text: string): void {
    const n = text.length;
    if (n === 0) return;
    let start = 0;
    if (this.#skipLF) {
      this.#skipLF = false;
      if (text.charCodeAt(0) === LF) start = 1;
    }
    // Next CR / LF positions are cached so a chunk is scanned once, whatever its line count.
    let nextLF = -2;
    let nextCR = -2;
    while (start < n) {
      if (nextLF !== -1 && nextLF < start) nextLF = text.indexOf('\n', start);
      if (nextCR !== -1 && nextCR < start) nextCR = text.indexOf('\r', start);
      let eol: number;
      if (nextLF === -1) eol = nextCR;
      else if (nextCR === -1) eol = nextLF;
      else eol = nextLF < nextCR ? nextLF : nextCR;
      if (eol === -1) {
        this.#appendPartial(text, start, n);
        return;
      }
      this.#endLine(text, start, eol);
      if (text.charCodeAt(eol) === CR) {
        if (eol + 1 < n) {
          if (text.charCodeAt(eol + 1) === LF) eol++;
        } else {
          this.#skipLF = true;
        }
      }
      start = eol + 1;
    }
  }

  #appendPartial(text: string, from: number, to: number): void {
    if (this.#lineOverflow) return;
    if (this.#partial.length + (to - from) > this.#max) {
      this.#partial = '';
      this.#lineOverflow = true;
      return;
    }
    this.#partial += text.slice(from, to);
  }

  #endLine(text: string, from: number, to: number): void {
    if (this.#lineOverflow) {
      this.#lineOverflow = false;
      this.#eventOverflow = true; // the event lost a line: do not dispatch it half-read
      return;
    }
    let line: string;
    if (this.#partial.length > 0) {
      line = this.#partial + text.slice(from, to);
      this.#partial = '';
      if (line.length > this.#max) {
        this.#eventOverflow = true;
        return;
      }
    } else {
      line = text.slice(from, to);
    }
    this.#line(line);
  }

  #line(line: string): void {
    if (line.length === 0) {
      this.#dispatch();
      return;
    }
    if (line.charCodeAt(0) === COLON) return; // comment
    const colon = line.indexOf(':');
    let field: string;
    let value: string;
    if (colon === -1) {
      field = line;
      value = '';
    } else {
      field = line.slice(0, colon);
      const v = colon + 1;
      value = line.charCodeAt(v) === SPACE ? line.slice(v + 1) : line.slice(v);
    }
    if (field === 'event') {
      this.#eventType = value;
    } else if (field === 'data') {
      if (this.#eventOverflow) return;
      if (this.#data.length + value.length + 1 > this.#max) {
        this.#eventOverflow = true;
        this.#data = '';
        return;
      }
      this.#data += value + '\n';
    }
    // `id`, `retry` and unknown fields do not matter for usage.
  }

  #dispatch(): void {
    const data = this.#data;
    const type = this.#eventType;
    const overflow = this.#eventOverflow;
    this.#data = '';
    this.#eventType = '';
    this.#eventOverflow = false;
    if (overflow) {
      this.droppedEvents++;
      return;
    }
    if (data.length === 0) return;
    this.#onEvent(type === '' ? 'message' : type, data.slice(0, -1));
  }
}

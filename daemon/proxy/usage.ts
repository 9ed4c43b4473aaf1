/**
 * Usage from Anthropic responses (the Messages API's `usage` object, its streaming events and error shapes).
 *
 * Streams: usage starts from `message_start.message.usage`; each `message_delta.usage` field that is present
 * and non-null OVERWRITES the running value (counts are cumulative, never add) — the rule of the official
 * SDK's MessageStream. The 5m/1h cache-write split is taken from `message_start` only; when the final
 * `cache_creation_input_tokens` differs from that split's sum, `reconcileCacheSplit` rescales it (see there).
 * Only `message_start`, `message_delta`, `message_stop` and `error` are JSON-parsed: content deltas and
 * pings, the bulk of a stream, are skipped by event name.
 */
import type { AnthropicUsage } from '../../shared/contract.ts';

export interface UsageObservation {
  messageId: string | null;
  model: string | null;
  /** Merged final usage object (as the API spells it), or null when none was seen. */
  usage: AnthropicUsage | null;
  /** SSE only: `message_start` / `message_stop` events seen. Always false for JSON bodies. */
  sawMessageStart: boolean;
  sawMessageStop: boolean;
  /** `error.type` of an SSE `error` event or of a JSON error envelope. */
  errorType: string | null;
  stopReason: string | null;
  /** First problem met while reading (bad JSON in a usage-bearing event, …); null when none. */
  parseError: string | null;
}

export type StreamObservation = UsageObservation;
export type JsonObservation = UsageObservation;

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(v: unknown): string | null {
  return typeof v === 'string' ? v : null;
}

function errorTypeOf(v: unknown): string {
  const e = isObj(v) ? v.error : undefined;
  return (isObj(e) && str(e.type)) || 'unknown_error';
}

/**
 * Make the 5m/1h split agree with the final `cache_creation_input_tokens` (mutates `usage`).
 * The API sends the split only in `message_start`; with server tools later iterations can write more.
 * Choice: scale the split proportionally (1h share rounded, 5m gets the rest) so the categories sum to the
 * final total; if `message_start` had a zero split, attribute everything to 5m (the API default TTL, and
 * the convention for data without a split). No split object at all is left absent.
 */
export function reconcileCacheSplit(usage: AnthropicUsage): void {
  const total = usage.cache_creation_input_tokens;
  const split = usage.cache_creation;
  if (typeof total !== 'number' || !isObj(split)) return;
  const m5 = typeof split.ephemeral_5m_input_tokens === 'number' ? split.ephemeral_5m_input_tokens : 0;
  const h1 = typeof split.ephemeral_1h_input_tokens === 'number' ? split.ephemeral_1h_input_tokens : 0;
  if (m5 + h1 === total) return;
  const newH1 = m5 + h1 > 0 ? Math.round((total * h1) / (m5 + h1)) : 0;
  usage.cache_creation = { ...split, ephemeral_5m_input_tokens: total - newH1, ephemeral_1h_input_tokens: newH1 };
}

/** Event types whose data StreamUsageAccumulator reads ('' and 'message': a data-only event, read by its `type`). */
const READ_EVENTS: ReadonlySet<string> = new Set(['', 'message', 'message_start', 'message_delta', 'message_stop', 'error']);

export class StreamUsageAccumulator {
  /** Whether `onEvent` looks at an event of this type at all (the SSE parser skips the data of the others). */
  static reads(eventType: string): boolean {
    return READ_EVENTS.has(eventType);
  }

  #messageId: string | null = null;
  #model: string | null = null;
  #usage: Obj | null = null;
  #sawStart = false;
  #sawStop = false;
  #errorType: string | null = null;
  #stopReason: string | null = null;
  #parseError: string | null = null;

  /** Never throws: malformed data is recorded in `parseError`. */
  onEvent(event: string, data: string): void {
    try {
      this.#onEvent(event, data);
    } catch (err) {
      this.#problem(`${event}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  #onEvent(event: string, data: string): void {
    switch (event) {
      case 'message_start':
      case 'message_delta':
      case 'message_stop':
      case 'error':
        break;
      case 'message': {
        // A data-only event (no `event:` line): fall back to the payload's own `type`.
        if (!data.includes('"type"')) return;
        const parsed: unknown = JSON.parse(data);
        const type = isObj(parsed) ? str(parsed.type) : null;
        if (type && type !== 'message') this.#apply(type, parsed as Obj);
        return;
      }
      default:
        return; // ping, content blocks, unknown future events
    }
    const parsed: unknown = JSON.parse(data);
    if (!isObj(parsed)) throw new Error('event data is not a JSON object');
    this.#apply(event, parsed);
  }

  #apply(event: string, payload: Obj): void {
    if (event === 'message_start') {
      if (this.#sawStart) return; // one message per stream; ignore repeats
      this.#sawStart = true;
      const message = isObj(payload.message) ? payload.message : {};
      this.#messageId = str(message.id);
      this.#model = str(message.model);
      // Keep every field (unknown ones too); nested objects are fresh from JSON.parse.
      this.#usage = isObj(message.usage) ? { ...message.usage } : null;
    } else if (event === 'message_delta') {
      const delta = payload.delta;
      if (isObj(delta) && typeof delta.stop_reason === 'string') this.#stopReason = delta.stop_reason;
      const u = payload.usage;
      if (!isObj(u)) return;
      const usage = (this.#usage ??= {});
      for (const key of Object.keys(u)) {
        const value = u[key];
        if (value === null || value === undefined || key === 'cache_creation') continue;
        usage[key] = value;
      }
    } else if (event === 'message_stop') {
      this.#sawStop = true;
    } else if (event === 'error') {
      this.#errorType ??= errorTypeOf(payload);
    }
  }

  #problem(message: string): void {
    this.#parseError ??= message.slice(0, 200);
  }

  result(): StreamObservation {
    let usage: AnthropicUsage | null = null;
    if (this.#usage) {
      usage = { ...this.#usage } as AnthropicUsage;
      reconcileCacheSplit(usage);
    }
    return {
      messageId: this.#messageId,
      model: this.#model,
      usage,
      sawMessageStart: this.#sawStart,
      sawMessageStop: this.#sawStop,
      errorType: this.#errorType,
      stopReason: this.#stopReason,
      parseError: this.#parseError,
    };
  }
}

/** A complete non-streaming JSON body: a `message` (usage at its end) or an error envelope. */
export function readJsonResponse(body: string): JsonObservation {
  const out: JsonObservation = {
    messageId: null,
    model: null,
    usage: null,
    sawMessageStart: false,
    sawMessageStop: false,
    errorType: null,
    stopReason: null,
    parseError: null,
  };
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (err) {
    out.parseError = `invalid JSON body: ${err instanceof Error ? err.message : String(err)}`.slice(0, 200);
    return out;
  }
  if (!isObj(parsed)) return out;
  if (parsed.type === 'error') {
    out.errorType = errorTypeOf(parsed);
    return out;
  }
  out.messageId = str(parsed.id);
  out.model = str(parsed.model);
  out.stopReason = str(parsed.stop_reason);
  if (isObj(parsed.usage)) out.usage = parsed.usage as AnthropicUsage;
  return out;
}

const NON_ASCII = /[\u0080-\uffff]/;

/**
 * readJsonResponse of a body's UTF-8 bytes (a leading BOM skipped, as TextDecoder would). JSON's structure is
 * ASCII, and UTF-8 never puts an ASCII byte inside a multi-byte character, so the body parses to the same shape
 * decoded as latin1 (one char a byte: ~5 µs for 48 KB where UTF-8 decoding of text with non-ASCII characters
 * takes ~500 µs on Node 20, the largest part of a response-cache hit). Only strings holding non-ASCII differ:
 * when a field read holds any, or the body does not parse, the bytes are decoded as UTF-8 and read again.
 */
export function readJsonResponseBytes(bytes: Uint8Array): JsonObservation {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const start = buf.length >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf ? 3 : 0;
  const fast = readJsonResponse(buf.toString('latin1', start));
  if (fast.parseError === null && !NON_ASCII.test(JSON.stringify([fast.messageId, fast.model, fast.stopReason, fast.errorType, fast.usage]))) return fast;
  return readJsonResponse(buf.toString('utf8', start));
}

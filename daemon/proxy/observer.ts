/**
 * The response observer forward.ts feeds in passing: it sees each upstream chunk after (or while) the
 * bytes go to the client, decodes a copy when the body is compressed, and reads usage from it.
 *
 * Synchronous by design: `write` does all its work before returning (decoding included, see decode.ts), so
 * `end()` can return the final observation at once and it covers every byte written. Cheap on the hot path:
 * SSE is parsed incrementally (memory = the current event), only usage-bearing events are JSON-parsed;
 * JSON bodies are kept as decoded bytes up to `MAX_JSON_BYTES` and read once at the end (usage sits at
 * the end of the body);
 * other content types are not looked at. Nothing here throws into the caller: problems end up in
 * `parseError` and the observer stops reading that body.
 */
import type { AnthropicUsage, RequestState } from '../../shared/contract.ts';
import { createDecoder, type Decoder } from './decode.ts';
import { SseParser } from './sse.ts';
import { StreamUsageAccumulator, readJsonResponseBytes, type UsageObservation } from './usage.ts';

export interface ObserverInput {
  status: number;
  contentType: string | undefined;
  contentEncoding: string | undefined;
}

export interface Observation {
  kind: 'sse' | 'json' | 'other';
  messageId: string | null;
  model: string | null;
  usage: AnthropicUsage | null;
  sawMessageStop: boolean;
  sawMessageStart: boolean;
  errorType: string | null;
  parseError: string | null;
  /** `stop_reason` of the message (last `message_delta` for SSE), if any. */
  stopReason: string | null;
}

export interface Observer {
  /** Observes a chunk; it may be kept until `end()`, so the caller must not reuse its memory. */
  write(chunk: Buffer): void;
  /** Final observation; idempotent (later calls return the same object), later writes are ignored. */
  end(): Observation;
}

/** Decoded JSON bodies beyond this are not buffered (and not read). */
export const MAX_JSON_BYTES = 4 * 1024 * 1024;

export function contentKind(contentType: string | undefined): Observation['kind'] {
  const ct = (contentType ?? '').trimStart().toLowerCase();
  if (ct.startsWith('text/event-stream')) return 'sse';
  if (ct.startsWith('application/json')) return 'json';
  return 'other';
}

function message(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).slice(0, 200);
}

const EMPTY: Omit<Observation, 'kind'> = {
  messageId: null,
  model: null,
  usage: null,
  sawMessageStop: false,
  sawMessageStart: false,
  errorType: null,
  parseError: null,
  stopReason: null,
};

export interface ObserverOptions {
  /** Compressed bytes gathered per inflate call (see decode.ts). Tests lower it to cover every boundary. */
  decodeBatchBytes?: number;
}

/** Content deltas, pings and block starts/stops: the bulk of a stream, never read for usage. */
const skipUnread = (eventType: string): boolean => !StreamUsageAccumulator.reads(eventType);

export function createObserver(input: ObserverInput, options: ObserverOptions = {}): Observer {
  const kind = contentKind(input.contentType);
  if (kind === 'other') {
    const result: Observation = { kind, ...EMPTY };
    return { write() {}, end: () => result };
  }

  let problem: string | null = null;
  let decoder: Decoder | null = null;
  let result: Observation | null = null;

  // SSE: decoded bytes → parser → accumulator. JSON: decoded bytes → bounded text.
  const acc = kind === 'sse' ? new StreamUsageAccumulator() : null;
  const parser = acc ? new SseParser((event, data) => acc.onEvent(event, data), { skip: skipUnread }) : null;
  // JSON: the decoded chunks as they came (decoders never reuse what they hand to the sink), turned into
  // text once at the end — cheaper than a streaming TextDecoder per request.
  const jsonParts: Uint8Array[] = [];
  let jsonBytes = 0;
  let jsonOverflow = false;

  const sink = (bytes: Uint8Array): void => {
    if (parser) {
      parser.push(bytes);
      return;
    }
    if (jsonOverflow) return;
    jsonBytes += bytes.byteLength;
    if (jsonBytes > MAX_JSON_BYTES) {
      jsonOverflow = true;
      jsonParts.length = 0;
      return;
    }
    jsonParts.push(bytes);
  };

  const fail = (err: unknown): void => {
    problem ??= message(err);
    decoder = null; // stop reading this body
  };

  try {
    decoder = createDecoder(input.contentEncoding, sink, { batchBytes: options.decodeBatchBytes });
  } catch (err) {
    fail(err);
  }

  const finish = (): Observation => {
    try {
      decoder?.end();
    } catch (err) {
      fail(err);
    }
    let read: UsageObservation;
    if (parser && acc) {
      parser.end();
      read = acc.result();
      if (parser.droppedEvents > 0) read.parseError ??= `${parser.droppedEvents} SSE event(s) over the size cap dropped`;
    } else if (jsonOverflow) {
      read = { ...EMPTY, parseError: `JSON body over ${MAX_JSON_BYTES} bytes; usage not read` };
    } else if (jsonBytes === 0) {
      read = { ...EMPTY };
    } else {
      const body = jsonParts.length === 1 ? jsonParts[0]! : Buffer.concat(jsonParts, jsonBytes);
      jsonParts.length = 0;
      read = readJsonResponseBytes(body);
    }
    return {
      kind,
      messageId: read.messageId,
      model: read.model,
      usage: read.usage,
      sawMessageStop: read.sawMessageStop,
      sawMessageStart: read.sawMessageStart,
      errorType: read.errorType,
      parseError: problem ?? read.parseError,
      stopReason: read.stopReason,
    };
  };

  return {
    write(chunk) {
      if (result || !decoder) return;
      try {
        decoder.push(chunk);
      } catch (err) {
        fail(err);
      }
    },
    end() {
      if (result) return result;
      try {
        result = finish();
      } catch (err) {
        result = { kind, ...EMPTY, parseError: message(err) };
      }
      return result;
    },
  };
}

export interface StateFacts {
  observation: Observation | null;
  /** The upstream body ended cleanly (terminating chunk / content-length reached). */
  upstreamEnded: boolean;
  clientAborted: boolean;
  /** Upstream socket error / reset after the response headers. */
  upstreamErrored: boolean;
}

/**
 * Terminal state of a request from the observation and the transport facts, first rule that applies:
 * SSE with an `error` event → `error_event`; SSE through `message_stop` → `complete` (the stream already
 * said its last word, so a client or socket that goes away afterwards — the SDK closes the connection as
 * soon as it reads an `error` event — changes nothing); client aborted → `client_aborted`; upstream error
 * → `upstream_error`; SSE otherwise → `truncated`; JSON/other that ended → `complete` (an HTTP error status
 * with a whole body is complete at transport level; `errorType` carries the API error); JSON/other that did
 * not end → `upstream_error`.
 */
export function decideState(facts: StateFacts): RequestState {
  const { observation, upstreamEnded, clientAborted, upstreamErrored } = facts;
  if (observation?.kind === 'sse') {
    if (observation.errorType !== null) return 'error_event';
    if (observation.sawMessageStop) return 'complete';
  }
  if (clientAborted) return 'client_aborted';
  if (upstreamErrored) return 'upstream_error';
  if (observation?.kind === 'sse') return 'truncated';
  return upstreamEnded ? 'complete' : 'upstream_error';
}

/**
 * Synchronous content-encoding decoders for the observer's copy of a response body.
 *
 * Why synchronous: the observer's `end()` returns the observation at once, and must include every byte
 * written. Node's zlib streams decode on the thread pool (output arrives later, asynchronously), and its
 * `*Sync` functions only take a whole body. So:
 * - gzip / deflate (the encodings the API actually uses): fflate's streaming inflaters, pure JS and
 *   synchronous. fflate's per-push cost is high for tiny inputs (it copies its 32 KiB window on every
 *   push: ~50 µs per push, measured), and the API sends gzip SSE as one small flush per event, so small
 *   chunks are gathered until `batchBytes` (default 16 KiB compressed) before inflating; `end()` inflates
 *   the rest. Memory: the window plus at most one batch.
 *   `deflate` accepts both the zlib-wrapped form (RFC 9110) and raw deflate (some servers send that).
 * - br and zstd (zstd only where this Node has it): no synchronous streaming decoder exists, so the
 *   compressed bytes are kept (bounded by `maxBufferedBytes`) and decoded with Node's `*DecompressSync` at
 *   `end()` (br with a flush, not finish, so a cut stream still yields what it holds), with
 *   `maxOutputLength` against decompression bombs.
 * A truncated gzip/deflate stream is not an error: whatever decoded is delivered.
 */
import zlib from 'node:zlib';
import { Gunzip, Inflate, Unzlib } from 'fflate';

/** Receives decoded bytes; it may keep them (no decoder reuses an array it has handed over). */
export type Sink = (bytes: Uint8Array) => void;

export interface Decoder {
  /** Decode a chunk and pass the output to the sink. Throws on corrupt data. */
  push(chunk: Uint8Array): void;
  /** No more input: deliver anything still held. Throws on corrupt data. */
  end(): void;
}

export interface DecoderOptions {
  /** gzip/deflate: gather compressed input up to this many bytes per inflate call. Default 16 KiB; ≤ 1 = none. */
  batchBytes?: number;
  /** br/zstd only: compressed bytes kept until `end()`. Default 8 MiB. */
  maxBufferedBytes?: number;
  /** br/zstd only: largest decoded output. Default 64 MiB. */
  maxOutputBytes?: number;
}

export class UnsupportedEncodingError extends Error {}

type SyncDecompress = (buf: Buffer, options: zlib.ZlibOptions & zlib.BrotliOptions) => Buffer;

function bufferedDecoder(
  name: string,
  decompress: SyncDecompress,
  flush: number | undefined,
  sink: Sink, options: DecoderOptions): Decoder {
  const cap = options.maxBufferedBytes ?? 8 * 1024 * 1024;
  const parts: Buffer[] = [];
  let size = 0;
  return {
    push(chunk) {
      size += chunk.byteLength;
      if (size > cap) {
        parts.length = 0;
        throw new Error(`${name} body over ${cap} bytes; not decoded`);
      }
      parts.push(Buffer.from(chunk)); // own copy: the caller may reuse its buffer
    },
    end() {
      if (size === 0) return;
      const opts: zlib.ZlibOptions = { maxOutputLength: options.maxOutputBytes ?? 64 * 1024 * 1024 };
      if (flush !== undefined) opts.finishFlush = flush;
      const out = decompress(Buffer.concat(parts, size), opts);
      parts.length = 0;
      sink(out);
    },
  };
}

/** Gather small chunks (copied: the caller may reuse its buffers) into batches of about `minBytes`. */
function batched(inner: (chunk: Uint8Array) => void, minBytes: number, done?: () => void): Decoder {
  if (minBytes <= 1) return { push: inner, end: () => done?.() };
  let pending: Uint8Array[] = [];
  let size = 0;
  const flush = (): void => {
    if (size === 0) return;
    const batch = pending.length === 1 ? pending[0]! : Buffer.concat(pending, size);
    pending = [];
    size = 0;
    inner(batch);
  };
  return {
    push(chunk) {
      if (chunk.byteLength === 0) return;
      if (size === 0 && chunk.byteLength >= minBytes) {
        inner(chunk);
        return;
      }
      pending.push(Buffer.from(chunk));
      size += chunk.byteLength;
      if (size >= minBytes) flush();
    },
    end() {
      flush();
      done?.();
    },
  };
}

/** RFC 1950 header: CM = 8 and the first two bytes, big-endian, a multiple of 31. */
function isZlibHeader(b0: number, b1: number): boolean {
  return (b0 & 0x0f) === 8 && ((b0 << 8) | b1) % 31 === 0;
}

/** `deflate` is zlib-wrapped by the spec but raw in some servers: pick by the first two bytes. */
function deflateDecoder(sink: Sink): Decoder {
  let inner: Inflate | Unzlib | null = null;
  let first: number | null = null;
  return {
    push(chunk) {
      if (!inner && chunk.byteLength > 0) {
        if (first === null && chunk.byteLength === 1) {
          first = chunk[0]!;
          return;
        }
        const b0 = first ?? chunk[0]!;
        const b1 = first === null ? chunk[1]! : chunk[0]!;
        inner = isZlibHeader(b0, b1) ? new Unzlib((data) => sink(data)) : new Inflate((data) => sink(data));
        if (first !== null) inner.push(Uint8Array.of(first));
      }
      inner?.push(chunk);
    },
    end() {
      if (!inner && first !== null) throw new Error('deflate body of one byte');
    },
  };
}

/** Names the codings of a `content-encoding` value; `identity` entries drop out. */
export function parseContentEncoding(value: string | undefined): string[] {
  if (!value) return [];
  return value
    .split(',')
    .map((c) => c.trim().toLowerCase())
    .filter((c) => c !== '' && c !== 'identity');
}

export function createDecoder(contentEncoding: string | undefined, sink: Sink, options: DecoderOptions = {}): Decoder {
  const codings = parseContentEncoding(contentEncoding);
  if (codings.length === 0) return { push: sink, end() {} };
  if (codings.length > 1) throw new UnsupportedEncodingError(`unsupported content-encoding: ${codings.join(', ')}`);
  const coding = codings[0]!;
  switch (coding) {
    case 'gzip':
    case 'x-gzip': {
      const g = new Gunzip((data) => sink(data));
      return batched((chunk) => g.push(chunk), options.batchBytes ?? 16 * 1024);
    }
    case 'deflate': {
      const d = deflateDecoder(sink);
      return batched((chunk) => d.push(chunk), options.batchBytes ?? 16 * 1024, () => d.end());
    }
    case 'br':
      return bufferedDecoder('br', zlib.brotliDecompressSync, zlib.constants.BROTLI_OPERATION_FLUSH, sink, options);
    case 'zstd': {
      // Node ≥ 22.15 / 23.8 (Electron's utility process); absent on Node 20.
      const z = zlib as unknown as { zstdDecompressSync?: SyncDecompress };
      if (z.zstdDecompressSync) return bufferedDecoder('zstd', z.zstdDecompressSync, undefined, sink, options);
      break;
    }
  }
  throw new UnsupportedEncodingError(`unsupported content-encoding: ${coding}`);
}

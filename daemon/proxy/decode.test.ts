import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { UnsupportedEncodingError, createDecoder, parseContentEncoding } from './decode.ts';

const text = Buffer.from('event: ping\ndata: {"type": "ping", "note": "héllo 🌍"}\n\n'.repeat(200));

function run(encoding: string | undefined, body: Buffer, step: number, options: { batchBytes?: number; maxBufferedBytes?: number; maxOutputBytes?: number } = { batchBytes: 1 }): Buffer {
  const out: Uint8Array[] = [];
  const d = createDecoder(encoding, (b) => out.push(Buffer.from(b)), options);
  for (let i = 0; i < body.length; i += step) d.push(body.subarray(i, i + step));
  d.end();
  return Buffer.concat(out);
}

describe('createDecoder', () => {
  const cases: [string, Buffer][] = [
    ['gzip', zlib.gzipSync(text)],
    ['x-gzip', zlib.gzipSync(text)],
    ['deflate', zlib.deflateSync(text)],
    ['deflate', zlib.deflateRawSync(text)],
    ['br', zlib.brotliCompressSync(text)],
    ['identity', text],
  ];
  for (const [encoding, body] of cases) {
    for (const step of [1, 3, 64, 1 << 20]) {
      it(`${encoding} (${body.length} bytes) in ${step}-byte chunks decodes exactly`, () => {
        expect(run(encoding, body, step).equals(text)).toBe(true);
        expect(run(encoding, body, step, { batchBytes: 100 }).equals(text)).toBe(true);
      });
    }
  }

  it('decodes gzip chunk by chunk when not batching', () => {
    let seen = 0;
    const d = createDecoder('gzip', (b) => (seen += b.byteLength), { batchBytes: 1 });
    const gz = zlib.gzipSync(text);
    d.push(gz.subarray(0, gz.length - 8)); // everything but the trailer
    expect(seen).toBe(text.length);
  });

  it('gathers small compressed chunks into batches, and end() inflates the rest', () => {
    // The API's shape: one gzip stream, a sync flush after each event.
    const body = readFileSync(join(import.meta.dirname, 'testdata', 'docs-example.sse.gz'));
    const plainLength = readFileSync(join(import.meta.dirname, 'testdata', 'docs-example.sse')).length;
    let seen = 0;
    const d = createDecoder('gzip', (b) => (seen += b.byteLength), { batchBytes: 150 });
    d.push(body.subarray(0, 100));
    expect(seen).toBe(0); // 100 < 150: held
    d.push(body.subarray(100, 250));
    expect(seen).toBeGreaterThan(0); // 250 ≥ 150: inflated
    d.push(body.subarray(250, body.length - 1));
    d.push(body.subarray(body.length - 1));
    d.end();
    expect(seen).toBe(plainLength);
    // default batch (16 KiB): this small body waits for end()
    seen = 0;
    const e = createDecoder('gzip', (b) => (seen += b.byteLength));
    e.push(body);
    expect(seen).toBe(0);
    e.end();
    expect(seen).toBe(plainLength);
  });

  it('delivers what a cut stream holds without an error (gzip and br)', () => {
    const gz = zlib.gzipSync(text);
    const partial = run('gzip', gz.subarray(0, Math.floor(gz.length / 2)), 10);
    expect(partial.length).toBeGreaterThan(0);
    expect(text.subarray(0, partial.length).equals(partial)).toBe(true);
    // A brotli stream flushed mid-way, then cut: the flushed part decodes.
    const enc = zlib.createBrotliCompress();
    const chunks: Buffer[] = [];
    enc.on('data', (c: Buffer) => chunks.push(c));
    return new Promise<void>((resolve) => {
      enc.write(text.subarray(0, 1000));
      enc.flush(zlib.constants.BROTLI_OPERATION_FLUSH, () => {
        const cut = Buffer.concat(chunks);
        expect(run('br', cut, 7).equals(text.subarray(0, 1000))).toBe(true);
        enc.destroy();
        resolve();
      });
    });
  });

  it('throws on corrupt input', () => {
    const bad = Buffer.from('definitely not gzip, just text');
    expect(() => run('gzip', bad, 5)).toThrow();
    expect(() => run('br', bad, 5)).toThrow();
  });

  it('refuses buffering br beyond the cap', () => {
    const body = zlib.brotliCompressSync(text);
    expect(() => run('br', body, 16, { maxBufferedBytes: 32 })).toThrow(/over 32 bytes/);
    expect(() => run('br', zlib.brotliCompressSync(Buffer.alloc(1 << 20)), 1 << 20, { maxOutputBytes: 1000 })).toThrow();
  });

  it('rejects unknown and stacked encodings', () => {
    expect(() => createDecoder('compress', () => {})).toThrow(UnsupportedEncodingError);
    expect(() => createDecoder('gzip, br', () => {})).toThrow(/gzip, br/);
  });

  it('parses content-encoding lists', () => {
    expect(parseContentEncoding(undefined)).toEqual([]);
    expect(parseContentEncoding(' GZIP ')).toEqual(['gzip']);
    expect(parseContentEncoding('identity, br')).toEqual(['br']);
  });
});

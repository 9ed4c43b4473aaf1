import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { crc32, encodeIco, encodePng, glyphCovers, iconPng, renderGlyph } from './icon-render.ts';

/** Minimal PNG reader used to check the encoder independently (CRC via node:zlib). */
function readPng(buf: Buffer) {
  expect(buf.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  let off = 8;
  const chunks: Array<{ type: string; data: Buffer }> = [];
  while (off < buf.length) {
    const len = buf.readUInt32BE(off);
    const type = buf.toString('ascii', off + 4, off + 8);
    const data = buf.subarray(off + 8, off + 8 + len);
    expect(buf.readUInt32BE(off + 8 + len)).toBe(zlib.crc32(buf.subarray(off + 4, off + 8 + len)));
    chunks.push({ type, data });
    off += 12 + len;
  }
  const ihdr = chunks[0]!.data;
  const width = ihdr.readUInt32BE(0);
  const height = ihdr.readUInt32BE(4);
  const raw = zlib.inflateSync(Buffer.concat(chunks.filter((c) => c.type === 'IDAT').map((c) => c.data)));
  const pixels = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y++) {
    expect(raw[y * (width * 4 + 1)]).toBe(0);
    raw.copy(pixels, y * width * 4, y * (width * 4 + 1) + 1, (y + 1) * (width * 4 + 1));
  }
  return { types: chunks.map((c) => c.type), width, height, colorType: ihdr[9], pixels };
}

describe('icon-render', () => {
  it('crc32 matches zlib', () => {
    const data = Buffer.from('CCO tray icon 123');
    expect(crc32(data)).toBe(zlib.crc32(data));
  });

  it('PNG round-trips pixels', () => {
    const px = new Uint8Array(3 * 2 * 4).map((_, i) => (i * 37) % 256);
    const png = readPng(encodePng(3, 2, px));
    expect(png).toMatchObject({ types: ['IHDR', 'IDAT', 'IEND'], width: 3, height: 2, colorType: 6 });
    expect([...png.pixels]).toEqual([...px]);
    expect(() => encodePng(3, 3, px)).toThrow();
  });

  it('ICO directory points at each PNG', () => {
    const a = iconPng({ size: 16, variant: 'normal', color: [0, 0, 0] });
    const b = iconPng({ size: 256, variant: 'normal', color: [0, 0, 0] });
    const ico = encodeIco([{ size: 16, png: a }, { size: 256, png: b }]);
    expect(ico.readUInt16LE(2)).toBe(1);
    expect(ico.readUInt16LE(4)).toBe(2);
    expect(ico[6]).toBe(16);
    expect(ico[6 + 16]).toBe(0); // 256 is stored as 0
    const off2 = ico.readUInt32LE(6 + 16 + 12);
    const len2 = ico.readUInt32LE(6 + 16 + 8);
    expect(readPng(ico.subarray(off2, off2 + len2)).width).toBe(256);
  });

  it('variants differ in the centre, share the ring, and the C opens to the right', () => {
    expect(glyphCovers(0.5, 0.5, 'normal')).toBe(true);
    expect(glyphCovers(0.5, 0.5, 'paused')).toBe(false);
    expect(glyphCovers(0.42, 0.5, 'paused')).toBe(true);
    expect(glyphCovers(0.5, 0.4, 'error')).toBe(true);
    for (const v of ['normal', 'paused', 'error'] as const) {
      expect(glyphCovers(0.1, 0.5, v)).toBe(true); // ring, left side
      expect(glyphCovers(0.9, 0.5, v)).toBe(false); // the gap of the "C"
    }
  });

  it('template rendering is black with partial alpha at the edges', () => {
    const px = renderGlyph({ size: 16, variant: 'normal', color: [0, 0, 0] });
    const alphas = new Set<number>();
    for (let i = 0; i < px.length; i += 4) {
      expect([px[i], px[i + 1], px[i + 2]]).toEqual([0, 0, 0]);
      alphas.add(px[i + 3]!);
    }
    expect(alphas.has(0) && alphas.has(255)).toBe(true);
    expect(alphas.size).toBeGreaterThan(4); // anti-aliased
  });
});

/**
 * Tiny image toolkit for CCO's icons: a PNG encoder (RGBA, zlib), an ICO writer (PNG entries), and the
 * glyph renderer (anti-aliased by supersampling). Used by assets/generate-icons.ts to produce the committed
 * icon files; no Electron import and no dependency beyond node:zlib.
 */
import zlib from 'node:zlib';

export type IconVariant = 'normal' | 'paused' | 'error' | 'warning';
export type Rgb = readonly [number, number, number];

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32(buf: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}

/** Encodes 8-bit RGBA pixels (row-major, width*height*4 bytes) as a PNG. */
export function encodePng(width: number, height: number, rgba: Uint8Array): Buffer {
  if (rgba.length !== width * height * 4) throw new Error('pixel buffer size mismatch');
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // RGBA
  const raw = Buffer.alloc((width * 4 + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (width * 4 + 1)] = 0; // filter: none
    Buffer.from(rgba.buffer, rgba.byteOffset + y * width * 4, width * 4).copy(raw, y * (width * 4 + 1) + 1);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', zlib.deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** Writes an .ico whose entries are PNG images (supported since Windows Vista). */
export function encodeIco(images: ReadonlyArray<{ size: number; png: Buffer }>): Buffer {
  const header = Buffer.alloc(6);
  header.writeUInt16LE(0, 0);
  header.writeUInt16LE(1, 2); // type: icon
  header.writeUInt16LE(images.length, 4);
  const dir = Buffer.alloc(16 * images.length);
  let offset = 6 + dir.length;
  images.forEach((img, i) => {
    const o = i * 16;
    dir[o] = img.size >= 256 ? 0 : img.size;
    dir[o + 1] = img.size >= 256 ? 0 : img.size;
    dir[o + 2] = 0; // palette
    dir[o + 3] = 0;
    dir.writeUInt16LE(1, o + 4); // planes
    dir.writeUInt16LE(32, o + 6); // bpp
    dir.writeUInt32LE(img.png.length, o + 8);
    dir.writeUInt32LE(offset, o + 12);
    offset += img.png.length;
  });
  return Buffer.concat([header, dir, ...images.map((i) => i.png)]);
}

/** Coverage of the CCO glyph at a point in the unit square: a "C" ring plus a variant mark. */
export function glyphCovers(x: number, y: number, variant: IconVariant): boolean {
  const dx = x - 0.5;
  const dy = y - 0.5;
  const r = Math.hypot(dx, dy);
  const angle = Math.abs(Math.atan2(dy, dx)); // 0 = pointing right
  const ring = r >= 0.33 && r <= 0.48 && angle > (40 * Math.PI) / 180;
  if (ring) return true;
  if (variant === 'normal') return r <= 0.13;
  // warning (a plan limit or budget close to full): a larger dot
  if (variant === 'warning') return r <= 0.22;
  if (variant === 'paused') return y >= 0.36 && y <= 0.64 && ((x >= 0.38 && x <= 0.46) || (x >= 0.54 && x <= 0.62));
  // error: an exclamation mark
  return (x >= 0.445 && x <= 0.555 && y >= 0.27 && y <= 0.55) || Math.hypot(x - 0.5, y - 0.67) <= 0.065;
}

export interface RenderOptions {
  size: number;
  variant: IconVariant;
  /** Glyph colour; template icons are black with alpha. */
  color: Rgb;
  /** Optional rounded-square background (app icon); the glyph is then drawn inset. */
  background?: Rgb;
  samples?: number;
}

/** Renders the glyph into RGBA pixels with s×s supersampling. */
export function renderGlyph(opts: RenderOptions): Uint8Array {
  const { size, color, background } = opts;
  const s = opts.samples ?? 4;
  const out = new Uint8Array(size * size * 4);
  const inset = background ? 0.2 : 0;
  const corner = 0.22;
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      let glyph = 0;
      let bg = 0;
      for (let sy = 0; sy < s; sy++) {
        for (let sx = 0; sx < s; sx++) {
          const x = (px + (sx + 0.5) / s) / size;
          const y = (py + (sy + 0.5) / s) / size;
          if (background) {
            const qx = Math.max(Math.abs(x - 0.5) - (0.5 - corner), 0);
            const qy = Math.max(Math.abs(y - 0.5) - (0.5 - corner), 0);
            if (Math.hypot(qx, qy) <= corner) bg++;
          }
          const gx = (x - inset) / (1 - 2 * inset);
          const gy = (y - inset) / (1 - 2 * inset);
          if (gx >= 0 && gx <= 1 && gy >= 0 && gy <= 1 && glyphCovers(gx, gy, opts.variant)) glyph++;
        }
      }
      const n = s * s;
      const ga = glyph / n;
      const ba = background ? bg / n : 0;
      const a = ga + ba * (1 - ga);
      const i = (py * size + px) * 4;
      for (let c = 0; c < 3; c++) {
        const v = a === 0 ? 0 : (color[c]! * ga + (background ? background[c]! : 0) * ba * (1 - ga)) / a;
        out[i + c] = Math.round(v);
      }
      out[i + 3] = Math.round(a * 255);
    }
  }
  return out;
}

export function iconPng(opts: RenderOptions): Buffer {
  return encodePng(opts.size, opts.size, renderGlyph(opts));
}

/**
 * Regenerates the committed icons in assets/ (run: `npm run icons`).
 * Tray: macOS template PNGs (black + alpha, 16 and 32 px as @2x) per state; Windows .ico (16/20/24/32) per
 * state; Linux PNGs (24 px + 48 px @2x) per state. App icon: icon.png (1024) and icon.ico (16–256).
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { IconVariant, Rgb } from '../main/icon-render.ts';
import { encodeIco, iconPng } from '../main/icon-render.ts';

const dir = path.dirname(fileURLToPath(import.meta.url));
const BLACK: Rgb = [0, 0, 0];
const WHITE: Rgb = [255, 255, 255];
const COLORS: Record<IconVariant, Rgb> = { normal: [217, 119, 87], paused: [142, 142, 147], error: [229, 72, 77], warning: [232, 163, 23] };
const VARIANTS: IconVariant[] = ['normal', 'paused', 'error', 'warning'];

function write(name: string, data: Buffer): void {
  fs.writeFileSync(path.join(dir, name), data);
  console.log(`${name.padEnd(28)} ${data.length} bytes`);
}

for (const v of VARIANTS) {
  const mac = v === 'normal' ? 'trayTemplate' : `tray${v[0]!.toUpperCase()}${v.slice(1)}Template`;
  write(`${mac}.png`, iconPng({ size: 16, variant: v, color: BLACK }));
  write(`${mac}@2x.png`, iconPng({ size: 32, variant: v, color: BLACK }));
  const suffix = v === 'normal' ? '' : `-${v}`;
  write(`tray${suffix}.ico`, encodeIco([16, 20, 24, 32].map((size) => ({ size, png: iconPng({ size, variant: v, color: COLORS[v] }) }))));
  write(`tray${suffix}.png`, iconPng({ size: 24, variant: v, color: COLORS[v] }));
  write(`tray${suffix}@2x.png`, iconPng({ size: 48, variant: v, color: COLORS[v] }));
}

write('icon.png', iconPng({ size: 1024, variant: 'normal', color: WHITE, background: COLORS.normal, samples: 3 }));
write('icon.ico', encodeIco([16, 24, 32, 48, 64, 128, 256].map((size) => ({
  size,
  png: iconPng({ size, variant: 'normal', color: WHITE, background: COLORS.normal }),
}))));

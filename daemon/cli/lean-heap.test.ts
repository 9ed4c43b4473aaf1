import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const LEAN = pathToFileURL(new URL('./lean-heap.ts', import.meta.url).pathname).href;

/**
 * A fresh process allocates like an import (batches of objects that live across a few event-loop turns), then
 * reports its new space and old space; with `lean` it runs under keepHeapLean. Its own process: V8 flags are
 * per process, and the test runner's heap has grown already.
 */
function run(lean: boolean): { newSpace: number; oldSpace: number; grownAfterStop: boolean } {
  const code = `
    import v8 from 'node:v8';
    import { keepHeapLean } from ${JSON.stringify(LEAN)};
    const space = (n) => v8.getHeapSpaceStatistics().find((s) => s.space_name === n).space_size;
    const stop = ${lean} ? keepHeapLean(20) : () => undefined;
    let keep = [];
    for (let i = 0; i < 1_500_000; i++) {
      keep.push({ i, s: 'line ' + i, a: [i, i + 1] });
      if (keep.length >= 20_000) { keep = []; await new Promise((r) => setImmediate(r)); }
    }
    const newSpace = space('new_space');
    const oldSpace = space('old_space');
    await new Promise((r) => setTimeout(r, 50));
    stop();
    for (let i = 0; i < 1_500_000; i++) {
      keep.push({ i, s: 'line ' + i, a: [i, i + 1] });
      if (keep.length >= 20_000) { keep = []; await new Promise((r) => setImmediate(r)); }
    }
    process.stdout.write(JSON.stringify({ newSpace, oldSpace, grownAfterStop: space('new_space') > newSpace }));
  `;
  const r = spawnSync(process.execPath, ['--import', TSX, '--input-type=module', '-e', code], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout) as { newSpace: number; oldSpace: number; grownAfterStop: boolean };
}

describe('keepHeapLean', () => {
  it('keeps the new space at its size and the old space collected; stopping lets the new space grow again', () => {
    const plain = run(false);
    const lean = run(true);
    const MB = 1024 * 1024;
    expect(plain.newSpace).toBeGreaterThanOrEqual(16 * MB); // V8 grew it (to 32 MB here)
    expect(lean.newSpace).toBeLessThanOrEqual(plain.newSpace / 4);
    expect(lean.oldSpace).toBeLessThan(plain.oldSpace); // collected, although more is promoted
    expect(lean.grownAfterStop).toBe(true);
  }, 60_000);
});

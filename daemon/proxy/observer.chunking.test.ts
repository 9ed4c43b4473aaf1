/**
 * Chunk-boundary robustness: every recorded stream is cut into chunks at random 10,000 times (its gzip copy
 * 2,000 times: each gzip cutting inflates byte by byte, ~10 ms, and 10,000 of them took 10 minutes of the
 * suite on a loaded 2-core runner); each cutting must give exactly the observation of expected.json. Both
 * cut every byte once first. `CCO_CHUNKING_RUNS=N` runs N of each for a deep check. The PRNG is seeded per
 * run; a failure names the seed, the cut offsets and the inflate batch size so it can be replayed.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createObserver, type Observation } from './observer.ts';
import { makeRng } from '../../test/fake-upstream/rng.ts';

const dir = join(import.meta.dirname, 'testdata');
const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as Record<string, Omit<Observation, 'kind'>>;

const BASE_SEED = 20261122;
const deep = Number(process.env.CCO_CHUNKING_RUNS) || 0;
const RUNS = deep || 10_000;
const GZIP_RUNS = deep || 2_000;


function observe(body: Buffer, cuts: number[], contentEncoding: string | undefined, decodeBatchBytes?: number): Observation {
  const obs = createObserver({ status: 200, contentType: 'text/event-stream; charset=utf-8', contentEncoding }, { decodeBatchBytes });
  let at = 0;
  for (const cut of [...cuts, body.length]) {
    obs.write(body.subarray(at, cut));
    at = cut;
  }
  return obs.end();
}

/**
 * Offsets worth cutting at. Plain text: right after a CR or LF, or inside/after a UTF-8 multi-byte
 * sequence. Gzip: around the end of each Z_SYNC_FLUSH marker (00 00 ff ff), where one event's data ends.
 */
function hotSpots(body: Buffer, gzip: boolean): number[] {
  const spots: number[] = [];
  if (gzip) {
    for (let i = body.indexOf('0000ffff', 0, 'hex'); i !== -1; i = body.indexOf('0000ffff', i + 1, 'hex')) {
      for (let d = -2; d <= 6; d++) if (i + d > 0 && i + d < body.length) spots.push(i + d);
    }
  } else {
    for (let i = 1; i < body.length; i++) {
      const b = body[i - 1]!;
      if (b === 13 || b === 10 || b >= 0x80) spots.push(i);
    }
  }
  return spots;
}

function randomCuts(body: Buffer, spots: number[], rand: () => number): number[] {
  const len = body.length;
  const cuts = new Set<number>();
  const mode = rand();
  const n = 1 + Math.floor(rand() * 40);
  if (mode < 0.5) {
    for (let i = 0; i < n; i++) cuts.add(1 + Math.floor(rand() * (len - 1)));
  } else if (mode < 0.75) {
    for (let i = 0; i < n; i++) cuts.add(spots[Math.floor(rand() * spots.length)]!);
  } else {
    // a run of 1–3 byte chunks somewhere in the body
    for (let at = 1 + Math.floor(rand() * (len - 1)), i = 0; i < n && at < len; i++, at += 1 + Math.floor(rand() * 3)) cuts.add(at);
  }
  return [...cuts].sort((x, y) => x - y);
}

function checkChunkings(label: string, body: Buffer, encoding: string | undefined, want: Observation, runs: number): void {
  const everyByte = Array.from({ length: body.length - 1 }, (_, i) => i + 1);
  expect(observe(body, everyByte, encoding, 1), `${label}: one byte per chunk`).toEqual(want);
  expect(observe(body, everyByte, encoding), `${label}: one byte per chunk, default batching`).toEqual(want);
  const spots = hotSpots(body, encoding === 'gzip');
  expect(spots.length).toBeGreaterThan(5);
  for (let i = 0; i < runs; i++) {
    const seed = BASE_SEED + i;
    const rand = makeRng(seed);
    const cuts = randomCuts(body, spots, rand);
    // gzip: mostly unbatched (every chunk boundary reaches the inflater), some with small batches
    const batch = rand() < 0.8 ? 1 : 1 + Math.floor(rand() * 200);
    const got = observe(body, cuts, encoding, batch);
    try {
      expect(got).toEqual(want);
    } catch (err) {
      throw new Error(`${label}: chunking with seed ${seed} differs; batch ${batch}, cuts ${JSON.stringify(cuts)}\n${String(err)}`, { cause: err });
    }
  }
}

describe(`observer: ${RUNS} random chunkings per recorded stream (${GZIP_RUNS} of its gzip copy)`, () => {
  for (const name of Object.keys(expected)) {
    const want: Observation = { kind: 'sse', ...expected[name]! };
    it(`${name}.sse`, () => {
      checkChunkings(`${name}.sse`, readFileSync(join(dir, `${name}.sse`)), undefined, want, RUNS);
    });
    it(`${name}.sse.gz`, { timeout: 300_000 }, () => {
      checkChunkings(`${name}.sse.gz`, readFileSync(join(dir, `${name}.sse.gz`)), 'gzip', want, GZIP_RUNS);
    });
  }
});

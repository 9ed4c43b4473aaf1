import { describe, expect, it } from 'vitest';
import vm from 'node:vm';
import { ArrivalCollector, BufferWatch, collectGarbage } from './gc.ts';

/** ArrayBuffer bytes once V8's (concurrent) array-buffer sweeping has caught up, or after 1 s. */
async function settledArrayBuffers(below: number): Promise<number> {
  const until = Date.now() + 1000;
  let now = process.memoryUsage().arrayBuffers;
  while (now >= below && Date.now() < until) {
    await new Promise((res) => setTimeout(res, 5));
    now = process.memoryUsage().arrayBuffers;
  }
  return now;
}

describe('collectGarbage', () => {
  it('frees an unreachable large ArrayBuffer at once', async () => {
    const size = 64 * 1024 * 1024;
    const holder: { big: Uint8Array | null } = { big: new Uint8Array(size) };
    holder.big?.fill(7);
    const held = process.memoryUsage().arrayBuffers;
    expect(held).toBeGreaterThanOrEqual(size);
    expect(holder.big?.[size - 1]).toBe(7);
    holder.big = null;
    expect(collectGarbage()).toBe(true);
    expect(await settledArrayBuffers(held - size / 2)).toBeLessThan(held - size / 2);
  });

  it('does not leave gc exposed to new contexts', () => {
    collectGarbage();
    expect(vm.runInNewContext('typeof gc')).toBe('undefined');
  });
});

describe('BufferWatch', () => {
  it('collects when ArrayBuffer bytes jump, not on small changes', async () => {
    const watch = new BufferWatch(8 * 1024 * 1024);
    watch.collect();
    const small = new Uint8Array(1024 * 1024);
    let t = 1_000_000;
    expect(watch.check(t)).toBe(false);
    // A database file moving to a larger buffer: the old one becomes garbage.
    const file: { contents: Uint8Array } = { contents: new Uint8Array(32 * 1024 * 1024) };
    const grown = new Uint8Array(36 * 1024 * 1024);
    grown.set(file.contents);
    file.contents = grown;
    const before = process.memoryUsage().arrayBuffers;
    expect(watch.check(t + 500)).toBe(false); // looks at most once a second
    t += 1000;
    expect(watch.check(t)).toBe(true);
    expect(await settledArrayBuffers(before - 16 * 1024 * 1024)).toBeLessThan(before - 16 * 1024 * 1024);
    expect(watch.check(t + 1000)).toBe(false); // measured again after collecting
    expect(small.length + file.contents.length).toBeGreaterThan(0);
  });
});

describe('ArrivalCollector', () => {
  it('collects once every `every` bytes received', () => {
    let runs = 0;
    const arrivals = new ArrivalCollector(1000, () => (runs++, true));
    arrivals.add(400);
    arrivals.add(400);
    expect(runs).toBe(0);
    arrivals.add(400); // 1200 since the start
    expect(runs).toBe(1);
    arrivals.add(999);
    expect(runs).toBe(1);
    arrivals.add(1);
    arrivals.add(5000);
    expect(runs).toBe(3);
    expect(arrivals.collections).toBe(3);
  });
});

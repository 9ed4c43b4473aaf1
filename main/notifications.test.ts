import { describe, expect, it } from 'vitest';
import { createNotifier } from './notifications.ts';

function setup(opts: { perKeyCooldownMs?: number; maxPerWindow?: number; windowMs?: number } = {}) {
  let t = 0;
  const shown: string[] = [];
  const n = createNotifier({ ...opts, show: (title) => shown.push(title), now: () => t });
  return { n, shown, advance: (ms: number) => (t += ms) };
}

describe('notifications', () => {
  it('shows once per key within the cooldown', () => {
    const { n, shown, advance } = setup({ perKeyCooldownMs: 60_000 });
    expect(n.notify({ key: 'crash', title: 'A', body: '' })).toBe(true);
    expect(n.notify({ key: 'crash', title: 'B', body: '' })).toBe(false);
    advance(59_999);
    expect(n.notify({ key: 'crash', title: 'C', body: '' })).toBe(false);
    advance(1);
    expect(n.notify({ key: 'crash', title: 'D', body: '' })).toBe(true);
    expect(shown).toEqual(['A', 'D']);
  });

  it('caps the total across keys per window', () => {
    const { n, shown, advance } = setup({ maxPerWindow: 2, windowMs: 1000 });
    expect([1, 2, 3].map((i) => n.notify({ key: `k${i}`, title: `t${i}`, body: '' }))).toEqual([true, true, false]);
    advance(1000);
    expect(n.notify({ key: 'k4', title: 't4', body: '' })).toBe(true);
    expect(shown).toEqual(['t1', 't2', 't4']);
  });

  it('a failing display reports false instead of throwing', () => {
    const n = createNotifier({ show: () => { throw new Error('no notification server'); } });
    expect(n.notify({ key: 'x', title: 'x', body: '' })).toBe(false);
  });
});

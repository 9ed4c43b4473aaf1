import { describe, expect, it } from 'vitest';
import { runSmoke, type SmokeSteps } from './smoke.ts';

function steps(over: Partial<SmokeSteps> = {}) {
  const lines: string[] = [];
  const exits: number[] = [];
  const calls: string[] = [];
  const s: SmokeSteps = {
    daemonReady: async () => 'http://127.0.0.1:3000',
    health: async () => true,
    openPopover: async () => void calls.push('open'),
    closePopover: () => void calls.push('close'),
    log: (l) => lines.push(l),
    exit: (c) => exits.push(c),
    timeoutMs: 1_000,
    ...over,
  };
  return { s, lines, exits, calls };
}

describe('--smoke', () => {
  it('ready → /health → popover open and closed → exit 0', async () => {
    const { s, exits, calls, lines } = steps();
    expect(await runSmoke(s)).toBe(0);
    expect(calls).toEqual(['open', 'close']);
    expect(exits).toEqual([0]);
    expect(lines.at(-1)).toBe('smoke: popover closed; all good');
  });

  it('exits 1 naming the failed step', async () => {
    const unhealthy = steps({ health: async () => false });
    expect(await runSmoke(unhealthy.s)).toBe(1);
    expect(unhealthy.lines.at(-1)).toBe('smoke: FAILED: /health did not answer ok');
    const never = steps({ daemonReady: () => new Promise(() => {}), timeoutMs: 20 });
    expect(await runSmoke(never.s)).toBe(1);
    expect(never.lines.at(-1)).toBe('smoke: FAILED: daemon ready: no answer within 0 s');
    expect(never.calls).toEqual([]);
  });
});

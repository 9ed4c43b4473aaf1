import { describe, expect, it } from 'vitest';
import { isDecimal, mulRatio, nanoToUsd, parseRatio, roundHalfUp, tokenCost, usdToNano } from './decimal.ts';

describe('decimal', () => {
  it.each([
    ['3.75', 3_750_000_000n],
    ['0.125', 125_000_000n],
    ['0.01', 10_000_000n],
    ['22.5', 22_500_000_000n],
    ['0.000000001', 1n],
    ['0', 0n],
  ])('usdToNano(%s)', (usd, nano) => {
    expect(usdToNano(usd)).toBe(nano);
    expect(usdToNano(nanoToUsd(nano))).toBe(nano);
  });

  it('nanoToUsd gives the shortest exact decimal', () => {
    expect(nanoToUsd(3_750_000_000n)).toBe('3.75');
    expect(nanoToUsd(15_000_000_000n)).toBe('15');
    expect(nanoToUsd(1n)).toBe('0.000000001');
  });

  it.each(['-1', '1e-7', '1.', '.5', 'abc', '', ' 1'])('rejects %j', (s) => {
    expect(isDecimal(s)).toBe(false);
    expect(() => usdToNano(s)).toThrow();
  });

  it('rejects more than 9 decimals', () => {
    expect(() => usdToNano('0.0000000001')).toThrow(/9 decimals/);
  });

  it('multiplies ratios exactly', () => {
    const r = mulRatio(parseRatio('1.1'), parseRatio('0.5')); // 11/10 × 1/2 = 11/20
    expect(r).toEqual({ num: 11n, den: 20n });
  });

  it('rounds halves up', () => {
    expect(roundHalfUp(1n, 2n)).toBe(1n); // 0.5
    expect(roundHalfUp(3n, 2n)).toBe(2n); // 1.5
    expect(roundHalfUp(2n, 5n)).toBe(0n); // 0.4
    expect(roundHalfUp(3n, 5n)).toBe(1n); // 0.6
  });

  it('tokenCost stays exact beyond 2^53 intermediates', () => {
    // 10,000,000 tokens × $150/MTok × 1.1: 1e7×150e9×11/(1e6×10) = 1,650,000,000,000 nano ($1650)
    expect(tokenCost(10_000_000, 150_000_000_000n, { num: 11n, den: 10n })).toBe(1_650_000_000_000n);
  });
});

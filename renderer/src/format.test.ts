import { describe, expect, it } from 'vitest';
import { formatCost, formatDuration, formatTokens, formatUsd, formatUsdPrecise, shortModel, shortProject } from './format.ts';

const usd = (x: number) => Math.round(x * 1e9);

describe('formatUsd', () => {
  it('keeps two significant digits below a cent', () => {
    expect(formatUsd(usd(0.0042), 'en-US')).toBe('$0.0042');
    expect(formatUsd(usd(0.004215), 'en-US')).toBe('$0.0042');
    expect(formatUsd(usd(0.00012), 'en-US')).toBe('$0.00012');
    expect(formatUsd(usd(0.002), 'en-US')).toBe('$0.0020');
  });
  it('shows two decimals for ordinary amounts', () => {
    expect(formatUsd(usd(12.31), 'en-US')).toBe('$12.31');
    expect(formatUsd(usd(0.57), 'en-US')).toBe('$0.57');
    expect(formatUsd(usd(999.994), 'en-US')).toBe('$999.99');
  });
  it('is compact from a thousand up, with a lower-case k', () => {
    expect(formatUsd(usd(1234), 'en-US')).toBe('$1.2k');
    expect(formatUsd(usd(1_500_000), 'en-US')).toBe('$1.5M');
  });
  it('shows zero as $0.00', () => {
    expect(formatUsd(0, 'en-US')).toBe('$0.00');
  });
  it('follows the locale', () => {
    const de = formatUsd(usd(12.31), 'de-DE');
    expect(de).toContain('12,31');
    expect(de).toContain('$');
  });
  it('gives full precision for details', () => {
    expect(formatUsdPrecise(usd(0.004215), 'en-US')).toBe('$0.004215');
  });
});

describe('other formats', () => {
  it('marks null cost as unpriced, never $0', () => {
    expect(formatCost(null, 'en-US')).toBe('unpriced');
    expect(formatCost(0, 'en-US')).toBe('$0.00');
  });
  it('formats tokens compactly', () => {
    expect(formatTokens(950, 'en-US')).toBe('950');
    expect(formatTokens(12_345, 'en-US')).toBe('12.3k');
    expect(formatTokens(4_500_000, 'en-US')).toBe('4.5M');
  });
  it('formats durations', () => {
    expect(formatDuration(850, 'en-US')).toBe('850 ms');
    expect(formatDuration(12_400, 'en-US')).toBe('12.4 s');
    expect(formatDuration(null)).toBe('—');
  });
  it('shortens model and project names', () => {
    expect(shortModel('claude-sonnet-4-5-20250929')).toBe('sonnet-4-5');
    expect(shortModel(null)).toBe('(unknown)');
    expect(shortProject('/home/u/code/cco')).toBe('cco');
    expect(shortProject('C:\\work\\app')).toBe('app');
  });
});

describe('time formats', () => {
  it('formats clock and short date-times in the given zone', async () => {
    const { formatClock, formatShortDateTime } = await import('./format.ts');
    const t = Date.parse('2026-11-22T21:47:38Z');
    expect(formatClock(t, 'en-GB', 'UTC')).toBe('21:47');
    expect(formatShortDateTime(t, 'en-GB', 'UTC')).toBe('22 Nov, 21:47:38');
  });
});

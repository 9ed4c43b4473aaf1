import { describe, expect, it } from 'vitest';
import { formatCost, formatUsd, formatUsdAxis, formatUsdPrecise } from './format.ts';
import { formatUsd as cliFormatUsd } from '../cli/common.ts';
import { formatUsd as rendererFormatUsd } from '../../renderer/src/format.ts';

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
  it('is exact with thousands separators in headlines and totals, never compact', () => {
    expect(formatUsd(usd(1702.47), 'en-US')).toBe('$1,702.47');
    expect(formatUsd(usd(1_500_000), 'en-US')).toBe('$1,500,000.00');
  });
  it('is compact only on chart axes, with a lower-case k', () => {
    expect(formatUsdAxis(usd(1234), 'en-US')).toBe('$1.2k');
    expect(formatUsdAxis(usd(1_500_000), 'en-US')).toBe('$1.5M');
    expect(formatUsdAxis(usd(12.31), 'en-US')).toBe('$12.31');
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

describe('one module for every surface', () => {
  it('the CLI and the renderer use the same money format', () => {
    expect(cliFormatUsd).toBe(formatUsd);
    expect(rendererFormatUsd).toBe(formatUsd);
  });
  it('unpriced is never $0.00', () => {
    expect(formatCost(null, 'en-US')).toBe('unpriced');
  });
});

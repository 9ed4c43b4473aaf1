import { describe, expect, it } from 'vitest';
import { formatCost, formatDuration, formatTokens, shortModel, shortProject } from './format.ts';

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

describe('formatSpan', () => {
  it('reads as seconds, minutes, hours and days', async () => {
    const { formatSpan } = await import('./format.ts');
    expect(formatSpan(42_400)).toBe('42 s');
    expect(formatSpan(12 * 60_000 + 5_000)).toBe('12 min');
    expect(formatSpan(2 * 3_600_000 + 5 * 60_000)).toBe('2 h 05 min');
    expect(formatSpan(3 * 86_400_000 + 4 * 3_600_000)).toBe('3 d 4 h');
    expect(formatSpan(-5)).toBe('0 s');
  });
});

import { describe, expect, it } from 'vitest';
import { parseRateLimitHeaders } from './parse.ts';

const S = 1_795_000_000; // a plausible unix-seconds reset
const raw = (pairs: [string, string][]): string[] => pairs.flat();

describe('parseRateLimitHeaders: unified family', () => {
  it('reads status, reset, claim, fallback and every window', () => {
    const p = parseRateLimitHeaders(
      raw([
        ['content-type', 'application/json'],
        ['Anthropic-Ratelimit-Unified-Status', 'allowed_warning'],
        ['anthropic-ratelimit-unified-reset', String(S)],
        ['anthropic-ratelimit-unified-representative-claim', 'five_hour'],
        ['anthropic-ratelimit-unified-fallback', 'available'],
        ['anthropic-ratelimit-unified-fallback-percentage', '0.5'],
        ['anthropic-ratelimit-unified-5h-utilization', '0.63'],
        ['anthropic-ratelimit-unified-5h-reset', String(S)],
        ['anthropic-ratelimit-unified-5h-status', 'allowed_warning'],
        ['anthropic-ratelimit-unified-7d-utilization', '0.2'],
        ['anthropic-ratelimit-unified-7d-reset', String(S + 86400)],
        ['anthropic-ratelimit-unified-7d-status', 'allowed'],
        ['anthropic-ratelimit-unified-7d_sonnet-utilization', '0.41'],
        ['anthropic-ratelimit-unified-7d_oi-utilization', '0'],
        ['anthropic-ratelimit-unified-7d-sonnet-utilization', '0.4'],
        ['anthropic-ratelimit-unified-30d_new-utilization', '1.02'],
        ['anthropic-ratelimit-unified-overage-status', 'rejected'],
        ['anthropic-ratelimit-unified-overage-reset', String(S + 10)],
        ['anthropic-ratelimit-unified-overage-in-use', 'false'],
        ['anthropic-ratelimit-unified-overage-disabled-reason', 'org_level_disabled'],
        ['anthropic-ratelimit-unified-overage-credits', 'some'],
      ]),
    );
    const u = p!.unified!;
    expect(u.status).toBe('allowed_warning');
    expect(u.resetsAt).toBe(S * 1000);
    expect(u.representativeClaim).toBe('five_hour');
    expect(u.fallback).toBe('available');
    expect(u.fallbackPercentage).toBe(0.5);
    expect(u.windows['5h']).toEqual({ name: '5h', utilization: 0.63, resetsAt: S * 1000, status: 'allowed_warning' });
    expect(u.windows['7d']).toEqual({ name: '7d', utilization: 0.2, resetsAt: (S + 86400) * 1000, status: 'allowed' });
    expect(u.windows['7d_sonnet']!.utilization).toBe(0.41);
    expect(u.windows['7d_oi']!.utilization).toBe(0);
    expect(u.windows['7d-sonnet']!.utilization).toBe(0.4);
    expect(u.windows['30d_new']!.utilization).toBe(1.02);
    expect(u.overage).toEqual({ status: 'rejected', resetsAt: (S + 10) * 1000, inUse: false, disabledReason: 'org_level_disabled', other: { credits: 'some' } });
    expect(p!.standard).toBeNull();
  });

  it('returns null without any rate-limit header', () => {
    expect(parseRateLimitHeaders(raw([['content-type', 'text/event-stream'], ['request-id', 'req_1']]))).toBeNull();
    expect(parseRateLimitHeaders([])).toBeNull();
  });

  it('takes the first of a repeated header', () => {
    const p = parseRateLimitHeaders(raw([['anthropic-ratelimit-unified-5h-utilization', '0.1'], ['anthropic-ratelimit-unified-5h-utilization', '0.9']]));
    expect(p!.unified!.windows['5h']!.utilization).toBe(0.1);
  });

  // Each garbled value is dropped on its own; the good neighbour in the same response is kept.
  const garbage: [string, string][] = [
    ['anthropic-ratelimit-unified-5h-utilization', 'NaN'],
    ['anthropic-ratelimit-unified-5h-utilization', 'Infinity'],
    ['anthropic-ratelimit-unified-5h-utilization', '-0.2'],
    ['anthropic-ratelimit-unified-5h-utilization', '0x10'],
    ['anthropic-ratelimit-unified-5h-utilization', '63%'],
    ['anthropic-ratelimit-unified-5h-utilization', '1e9'],
    ['anthropic-ratelimit-unified-5h-utilization', ''],
    ['anthropic-ratelimit-unified-5h-reset', '2026-11-22T00:00:00Z'],
    ['anthropic-ratelimit-unified-5h-reset', '12'],
    ['anthropic-ratelimit-unified-5h-reset', '99999999999999'],
    ['anthropic-ratelimit-unified-status', 'allowed; rm -rf'],
    ['anthropic-ratelimit-unified-status', 'x'.repeat(300)],
    ['anthropic-ratelimit-unified-fallback-percentage', 'half'],
    ['anthropic-ratelimit-unified-overage-in-use', 'maybe'],
    ['anthropic-ratelimit-unified-../../etc-utilization', '0.5'],
    ['anthropic-ratelimit-unified-5h-bogus', '1'],
    ['anthropic-ratelimit-unified-', '1'],
    ['anthropic-ratelimit-unified-Ü-utilization', '0.5'],
    ['anthropic-ratelimit-tokens-limit', '-5'],
    ['anthropic-ratelimit-tokens-limit', '1.5'],
    ['anthropic-ratelimit-tokens-remaining', 'lots'],
    ['anthropic-ratelimit-tokens-reset', 'tomorrow'],
    ['anthropic-ratelimit-tokens-reset', '1795000000'],
    ['anthropic-ratelimit-bogus-limit', '5'],
  ];
  it.each(garbage)('ignores %s: %j', (name, value) => {
    const good: [string, string] = name.includes('-7d-') ? ['anthropic-ratelimit-unified-5h-utilization', '0.3'] : ['anthropic-ratelimit-unified-7d-utilization', '0.3'];
    const p = parseRateLimitHeaders(raw([[name, value], good]));
    expect(p).not.toBeNull();
    expect(p!.unified!.windows['7d']!.utilization).toBe(0.3);
    const u = p!.unified!;
    expect(u.status).toBeNull();
    expect(u.fallbackPercentage).toBeNull();
    expect(u.overage.inUse).toBeNull();
    expect(Object.keys(u.windows)).toEqual(['7d']);
    expect(p!.standard).toBeNull();
  });

  it('bounds the number of windows', () => {
    const pairs: [string, string][] = [];
    for (let i = 0; i < 40; i++) pairs.push([`anthropic-ratelimit-unified-w${i}-utilization`, '0.1']);
    expect(Object.keys(parseRateLimitHeaders(raw(pairs))!.unified!.windows)).toHaveLength(16);
  });
});

describe('parseRateLimitHeaders: standard family', () => {
  it('reads limit, remaining and RFC 3339 reset per bucket', () => {
    const p = parseRateLimitHeaders(
      raw([
        ['anthropic-ratelimit-requests-limit', '4000'],
        ['anthropic-ratelimit-requests-remaining', '3999'],
        ['anthropic-ratelimit-requests-reset', '2026-11-22T00:01:00Z'],
        ['anthropic-ratelimit-tokens-limit', '2000000'],
        ['anthropic-ratelimit-tokens-remaining', '1980000'],
        ['anthropic-ratelimit-input-tokens-limit', '1600000'],
        ['anthropic-ratelimit-input-tokens-reset', '2026-11-22T00:01:00.5+01:00'],
        ['anthropic-ratelimit-output-tokens-remaining', '0'],
      ]),
    );
    expect(p!.unified).toBeNull();
    expect(p!.standard).toEqual({
      requests: { limit: 4000, remaining: 3999, resetsAt: Date.parse('2026-11-22T00:01:00Z') },
      tokens: { limit: 2_000_000, remaining: 1_980_000, resetsAt: null },
      'input-tokens': { limit: 1_600_000, remaining: null, resetsAt: Date.parse('2026-11-21T23:01:00.500Z') },
      'output-tokens': { limit: null, remaining: 0, resetsAt: null },
    });
  });
});

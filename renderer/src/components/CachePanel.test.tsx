import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, render, screen } from '@testing-library/react';
import type { CacheCoachReport, CoachFigures, ResponseCacheStatus } from '../../../shared/contract.ts';
import { CoachView, ResponseCacheLine } from './CachePanel.tsx';

const figures = (over: Partial<CoachFigures> = {}): CoachFigures => ({
  requests: 12, tokens: { input: 300, cacheWrite5m: 11_000, cacheWrite1h: 0, cacheRead: 21_000 }, hitRatio: 21_000 / 32_300, costNanoUsd: 2_500_000_000,
  savedNanoUsd: 56_700_000, writeNanoUsd: 41_250_000, wastedNanoUsd: 45_000_000, wasted5mNanoUsd: 45_000_000, wasted1hNanoUsd: 0, unreadWriteTokens: 60_000,
  wastedRequestIds: ['01JA0000000000000000000001', '01JA0000000000000000000002'], ...over,
});
const report = (over: Partial<CacheCoachReport> = {}): CacheCoachReport => ({
  range: '7d', tz: 'UTC', from: '2026-11-27T00:00:00.000Z', to: '2026-12-04T00:00:00.000Z', totals: figures(),
  bySession: [{ key: 'session-a', ...figures() }], byProject: [{ key: '/p', ...figures() }], byModel: [{ key: 'claude-sonnet-4-6', ...figures() }],
  busters: [], ttl: [], ttlSavingNanoUsd: 93_000_000,
  advice: [{ text: '1-hour cache writes instead of 5-minute ones would have saved $0.093 over this range in 1 session(s).', nanoUsd: 93_000_000, requestIds: ['01JA0000000000000000000003'] }],
  ...over,
});
const cacheStatus = (over: Partial<ResponseCacheStatus> = {}): ResponseCacheStatus => ({
  enabled: true, dir: '/c', maxBytes: 1 << 30, ttlSeconds: 3600, entries: 3, bytes: 2 * 1024 * 1024, since: 0, lookups: 8, hits: 6, misses: 2, stores: 2, hitRate: 0.75, savedNanoUsd: 1_250_000_000, ...over,
});

describe('CachePanel parts', () => {
  afterEach(cleanup);

  it('shows the hit ratio, what reads saved and what unread writes wasted, with links to the requests', () => {
    render(<CoachView report={report()} />);
    expect(screen.getByTestId('coach-hit-ratio').textContent).toContain('65.0 %');
    expect(screen.getByTestId('coach-saved').textContent).toContain('$0.06');
    expect(screen.getByTestId('coach-wasted').textContent).toContain('$0.05');
    const links = screen.getByTestId('coach-wasted').querySelectorAll('a');
    expect([...links].map((a) => a.getAttribute('href'))).toEqual(['#/requests/01JA0000000000000000000001', '#/requests/01JA0000000000000000000002']);
    expect(screen.getByTestId('coach-advice').textContent).toContain('would have saved $0.093');
    expect(screen.getByTestId('coach-advice').querySelector('a')!.getAttribute('href')).toBe('#/requests/01JA0000000000000000000003');
    expect(screen.getByRole('link', { name: 'session-a' }).getAttribute('href')).toBe('#/sessions/session-a');
  });

  it('says so when the range has nothing to coach', () => {
    render(<CoachView report={report({ totals: figures({ requests: 0 }), advice: [] })} />);
    expect(screen.getByText('No priced requests in this range.')).toBeTruthy();
  });

  it('shows the response cache hit rate and $ saved, and nothing while it is off and unused', () => {
    render(<ResponseCacheLine status={cacheStatus()} />);
    expect(screen.getByTestId('response-cache').textContent).toBe('Response cache: hit rate 75.0 % (6 of 8), $1.25 saved, 3 entries (2.0 MiB)');
    cleanup();
    render(<ResponseCacheLine status={cacheStatus({ enabled: false, lookups: 0, hits: 0 })} />);
    expect(screen.queryByTestId('response-cache')).toBeNull();
  });
});

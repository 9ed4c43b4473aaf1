import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import type { RequestRecord, Summary } from '../../shared/contract.ts';
import { renderTui, runTui, stripAnsi, type TuiState } from './tui.ts';

const tokens = { input: 1000, cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: 500, output: 200 };
const totals = (cost: number, requests: number, unpriced = 0) => ({ requests, costNanoUsd: cost, unpricedRequests: unpriced, cacheSavingsNanoUsd: 0, responseCacheHits: 0, responseCacheSavedNanoUsd: 0, tokens });
const summary = (cost: number, requests: number, byModel: Summary['byModel'] = [], unpriced = 0): Summary =>
  ({ range: 'today', tz: 'UTC', from: '', to: '', bucket: 'hour', totals: totals(cost, requests, unpriced), byModel, byProject: [], errors: { requests: 0, byKind: [] }, series: [] }) as Summary;
const record = (over: Partial<RequestRecord>): RequestRecord =>
  ({ id: 'r1', startedAt: Date.UTC(2026, 0, 1, 12, 0, 0), model: 'claude-sonnet-4-5', modelRequested: null, path: '/v1/messages', tokens, costNanoUsd: 12_345_678, billable: true, state: 'complete', ...over }) as RequestRecord;

describe('renderTui', () => {
  it('shows totals, models and recent requests', () => {
    const s: TuiState = {
      url: 'http://127.0.0.1:3000',
      today: summary(1_500_000_000, 3),
      month: summary(42_000_000_000, 90, [{ key: 'claude-opus-4-1', ...totals(40_000_000_000, 10) }], 2),
      recent: [record({}), record({ id: 'r2', costNanoUsd: null, state: 'client_aborted', model: null, modelRequested: 'mystery-model' })],
      connection: 'live',
      error: null,
    };
    const text = stripAnsi(renderTui(s, 100, 30));
    expect(text).toContain('CCO 127.0.0.1:3000  [live]  q quits');
    expect(text).toMatch(/Today\s+\$1\.50\s+3 req/);
    expect(text).toMatch(/This month\s+\$42\.00\s+90 req\s+2 unpriced/);
    expect(text).toMatch(/claude-opus-4-1\s+\$40\.00\s+10 req/);
    expect(text).toMatch(/claude-sonnet-4-5\s+1\.5k in\s+200 out\s+\$0\.01/);
    expect(text).toMatch(/mystery-model .* unpriced client aborted/);
  });
  it('fits the terminal and shows the empty and error states', () => {
    const s: TuiState = { url: 'http://x', today: null, month: null, recent: Array.from({ length: 40 }, (_, i) => record({ id: String(i) })), connection: 'reconnecting', error: 'boom' };
    const lines = stripAnsi(renderTui(s, 60, 15)).split('\n');
    expect(lines.length).toBeLessThanOrEqual(15);
    expect(lines.every((l) => l.length <= 60)).toBe(true);
    expect(lines[0]).toContain('[reconnecting]');
    expect(lines[1]).toBe('! boom');
    const empty = stripAnsi(renderTui({ ...s, recent: [], error: null }, 80, 24));
    expect(empty).toContain('no requests yet');
    expect(empty).toContain('none yet: point Claude Code at http://x');
  });
  it('shows the plan limits with bars, resets and the forecast', () => {
    const now = Date.now();
    const reset = now + 42 * 60_000;
    const s: TuiState = {
      url: 'http://x',
      today: null,
      month: null,
      recent: [],
      connection: 'live',
      error: null,
      limits: {
        now,
        binding: null,
        credentials: [
          {
            credentialId: 'abc123def456',
            updatedAt: now,
            standard: null,
            history: {},
            unified: {
              status: 'allowed_warning',
              resetsAt: reset,
              representativeClaim: 'five_hour',
              fallback: null,
              fallbackPercentage: null,
              windows: { '5h': { name: '5h', utilization: 0.63, resetsAt: reset, status: 'allowed_warning' }, '7d': { name: '7d', utilization: 0.2, resetsAt: now + 3 * 86_400_000, status: 'allowed' } },
              overage: { status: null, resetsAt: null, inUse: null, disabledReason: null, other: {} },
            },
            forecasts: [{ window: '5h', ratePerHour: 0.1, reachesAt: null, resetsAt: reset, spendNanoUsd: 0, confidence: 'high', note: null }],
          },
        ],
      },
    };
    const text = stripAnsi(renderTui(s, 100, 40));
    expect(text).toContain('Plan limits');
    // After 23:18 the reset falls on the next day, and its clock is shown with the date (clockTime).
    expect(text).toMatch(/5h +█{13}░{7} +63% +resets (?:\w{3} \d{1,2} \w{3} )?\d\d:\d\d \(in 42 min\) +\[allowed_warning\]/);
    expect(text).toMatch(/7d +█{4}░{16} +20%/);
    expect(text).toMatch(/5-hour: not reached before it resets at (?:\w{3} \d{1,2} \w{3} )?\d\d:\d\d/);
  });
});

describe('renderTui views', () => {
  const now = Date.UTC(2026, 11, 7, 10, 30);
  const block = {
    start: Date.UTC(2026, 11, 7, 9),
    end: Date.UTC(2026, 11, 7, 14),
    firstAt: Date.UTC(2026, 11, 7, 9, 10),
    lastAt: Date.UTC(2026, 11, 7, 10, 10),
    active: true,
    requests: 2,
    costNanoUsd: 2_000_000_000,
    unpricedRequests: 0,
    tokens,
    totalTokens: 3400,
    models: ['claude-sonnet-4-5'],
    burn: { tokensPerMinute: 56.7, costNanoUsdPerHour: 2_000_000_000 },
    projection: { costNanoUsd: 9_000_000_000, totalTokens: 15_300 },
  };
  const month: Summary = {
    ...summary(1_702_470_000_000, 1000, [
      { key: 'claude-sonnet-4-5', ...totals(1_702_470_000_000, 990) },
      { key: 'claude-test-unknown', ...totals(0, 10, 10) },
    ]),
    byProject: [
      { key: '/home/me/a/my-app', ...totals(1_000_000_000, 600) },
      { key: '/home/me/clients/very/long/path/b/my-app', ...totals(702_470_000_000, 400) },
    ],
    bySession: [{ key: '0f1e2d3c-aaaa-bbbb-cccc-1234567890ab', ...totals(5_000_000_000, 12), project: '/home/me/a/my-app', firstAt: null, lastAt: null }],
  };
  const base: TuiState = { url: 'http://127.0.0.1:3000', today: summary(0, 3, [], 3), month, recent: [record({})], connection: 'live', error: null, block, now, sessionProjects: new Map([['0f1e2d3c-aaaa-bbbb-cccc-1234567890ab', '/home/me/a/my-app']]) };

  it('keys on screen; models, projects, sessions and requests views', () => {
    const models = stripAnsi(renderTui({ ...base, view: 'models' }, 120, 40));
    expect(models).toContain('[M] MODELS  [p] projects  [s] sessions  [r] requests');
    expect(models).toMatch(/claude-sonnet-4-5\s+\$1,702\.47\s+990 req/);
    // Unpriced is unpriced: never $0.00.
    expect(models).toMatch(/claude-test-unknown\s+unpriced\s+10 req/);
    expect(models).toMatch(/Today\s+unpriced\s+3 req/);
    expect(models).not.toContain('$0.00');
    // Failed requests are counted beside the totals.
    expect(stripAnsi(renderTui({ ...base, month: { ...month, errors: { requests: 4, byKind: [{ kind: '429', requests: 4 }] } } }, 80, 30))).toMatch(/This month\s+\$1,702\.47\s+1,000 req\s+4 errors/);
    const projects = stripAnsi(renderTui({ ...base, view: 'projects' }, 60, 40));
    expect(projects).toContain('By project (this month)');
    // Same-named projects by their shortest unique suffix.
    expect(projects).toMatch(/ b\/my-app\s+\$702\.47/);
    expect(projects).toMatch(/ a\/my-app\s+\$1\.00/);
    const sessions = stripAnsi(renderTui({ ...base, view: 'sessions' }, 80, 40));
    expect(sessions).toMatch(/0f1e2d3c a\/my-app\s+\$5\.00\s+12 req/);
    const requests = stripAnsi(renderTui({ ...base, view: 'requests' }, 80, 40));
    expect(requests).toContain('Last requests');
    expect(requests).not.toContain('By model');
  });

  it('the active 5-hour block with burn rate and projection; none running', () => {
    const text = stripAnsi(renderTui(base, 80, 30));
    expect(text).toMatch(/5h block\s+\d\d:00-\d\d:00 {2}\$2\.00 {2}3\.4k tok {2}3h 30m left/);
    expect(text).toMatch(/burn\s+\$2\.00\/h, 57 tok\/min → \$9\.00 by \d\d:00/);
    expect(stripAnsi(renderTui({ ...base, block: null }, 80, 30))).toContain('5h block    none running');
  });

  it('every line fits 60 columns in every view', () => {
    for (const view of ['models', 'projects', 'sessions', 'requests'] as const) {
      const lines = stripAnsi(renderTui({ ...base, view, recent: Array.from({ length: 30 }, (_, i) => record({ id: String(i), state: i % 2 ? 'client_aborted' : 'complete' })) }, 60, 24)).split('\n');
      expect(lines.length).toBeLessThanOrEqual(24);
      expect(lines.filter((l) => l.length > 60)).toEqual([]);
    }
  });
});

describe('runTui against a busy daemon', () => {
  it('honours Retry-After: after a 429 it waits that long, then loads once', async () => {
    const seen: { path: string; at: number }[] = [];
    let busy = 3; // the first load's three reads are refused
    const server = http.createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      seen.push({ path: url.pathname, at: performance.now() });
      if (busy > 0) {
        busy--;
        res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '1' });
        return void res.end('{"error":{"type":"rate_limit_error","message":"slow down"}}');
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(url.pathname === '/api/requests' ? { items: [], nextCursor: null } : summary(4_200_000_000, 7)));
    });
    const wss = new WebSocketServer({ server, path: '/api/live' });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const input = new PassThrough();
    const output = new PassThrough();
    let screen = '';
    output.on('data', (d: Buffer) => (screen += d));
    const run = runTui(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, 'tok', { input, output });
    try {
      const deadline = performance.now() + 10_000;
      while (!stripAnsi(screen).includes('$4.20') && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(stripAnsi(screen)).toContain('retrying in 1 s');
      expect(stripAnsi(screen)).toContain('$4.20');
      const reads = seen.filter((s) => s.path.startsWith('/api/') && s.path !== '/api/limits' && s.path !== '/api/blocks'); // (block and plan limits are read after the spend)
      expect(reads).toHaveLength(6); // three refused, then three after the wait: no retry storm
      expect(reads[3]!.at - reads[2]!.at).toBeGreaterThanOrEqual(950);
    } finally {
      input.end('q');
      await run;
      wss.close();
      server.close();
    }
  });
});

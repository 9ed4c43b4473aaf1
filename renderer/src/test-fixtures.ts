/** Builders for contract-shaped test data (tests only). */
import type { RequestRecord, Summary } from '../../shared/contract.ts';

let seq = 0;
export function makeRecord(over: Partial<RequestRecord> = {}): RequestRecord {
  seq += 1;
  const startedAt = over.startedAt ?? Date.parse('2026-01-10T10:15:00Z');
  return {
    id: `01TEST${String(seq).padStart(20, '0')}`,
    startedAt,
    endedAt: startedAt + 1200,
    method: 'POST',
    path: '/v1/messages?beta=true',
    status: 200,
    state: 'complete',
    upstreamRequestId: 'req_1',
    messageId: 'msg_1',
    modelRequested: 'claude-sonnet-4-5',
    model: 'claude-sonnet-4-5-20250929',
    stream: true,
    ttfbMs: 300,
    durationMs: 1200,
    tokens: { input: 100, cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: 0, output: 50 },
    thinkingTokens: 0,
    webSearchRequests: 0,
    serviceTier: 'standard',
    speed: null,
    inferenceGeo: null,
    billable: true,
    costNanoUsd: 1_050_000,
    priceVersion: '2026-01-01',
    unpricedReason: null,
    cacheSavingsNanoUsd: 0,
    sessionId: 'sess-1',
    agentId: null,
    parentAgentId: null,
    project: '/home/u/code/app',
    client: 'claude-cli/2.1.197',
    credentialId: 'abc123',
    source: 'proxy',
    cacheHit: false,
    errorType: null,
    gitBranch: 'main',
    isSidechain: false,
    bytesIn: 1000,
    bytesOut: 2000,
    ...over,
  };
}

export function makeSummary(over: Partial<Summary> = {}): Summary {
  return {
    range: 'today',
    tz: 'UTC',
    from: '2026-01-10T00:00:00.000Z',
    to: '2026-01-11T00:00:00.000Z',
    bucket: 'hour',
    totals: {
      requests: 0,
      costNanoUsd: 0,
      unpricedRequests: 0,
      cacheSavingsNanoUsd: 0,
      responseCacheHits: 0,
      responseCacheSavedNanoUsd: 0,
      tokens: { input: 0, cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: 0, output: 0 },
    },
    byModel: [],
    byProject: [],
    errors: { requests: 0, byKind: [] },
    series: Array.from({ length: 24 }, (_, h) => ({
      t: new Date(Date.parse('2026-01-10T00:00:00Z') + h * 3_600_000).toISOString(),
      costNanoUsd: 0,
      requests: 0,
      byModel: {},
      byProject: {},
    })),
    ...over,
  };
}

/**
 * The request records the store benchmarks load: `rows` records spread over the `spanMs` before `now` (12
 * months by default, current month included), in time order, 3 models, 20 projects, a session every 60 requests.
 */
import { ulid } from 'ulid';
import type { RequestRecord } from '../shared/contract.ts';

const MONTH_MS = 30.4 * 86_400_000;
const models = ['claude-sonnet-4-5-20250929', 'claude-opus-4-1-20250805', 'claude-haiku-4-5-20251001'];
export const BENCH_PROJECTS = Array.from({ length: 20 }, (_, i) => `/Users/someone/code/project-number-${i}`);

export function benchRecord(i: number, rows: number, now: number, spanMs = 12 * MONTH_MS): RequestRecord {
  const startedAt = now - Math.floor(((rows - i) / rows) * spanMs);
  const model = models[i % models.length] ?? null;
  return {
    id: ulid(startedAt), // ulid() costs ~0.5 ms a call under load: once per record only
    startedAt,
    endedAt: startedAt + 4000,
    method: 'POST',
    path: '/v1/messages?beta=true',
    status: 200,
    state: i % 50 === 0 ? 'client_aborted' : 'complete',
    upstreamRequestId: `req_011CV${String(i).padStart(20, '0')}`,
    messageId: `msg_01${String(i).padStart(22, '0')}`,
    modelRequested: model,
    model,
    stream: true,
    ttfbMs: 800,
    durationMs: 4000 + (i % 997),
    tokens: { input: 12, cacheWrite5m: 2400, cacheWrite1h: 0, cacheRead: 48_000, output: 650 },
    thinkingTokens: 120,
    webSearchRequests: 0,
    serviceTier: 'standard',
    speed: null,
    inferenceGeo: null,
    billable: true,
    costNanoUsd: 30_000_000 + i,
    priceVersion: '2026-01-15',
    unpricedReason: null,
    cacheSavingsNanoUsd: 120_000_000,
    sessionId: `0b9f${Math.floor(i / 60).toString(16).padStart(8, '0')}-1c2d-4e5f-8a9b-0c1d2e3f4a5b`,
    agentId: null,
    parentAgentId: null,
    project: BENCH_PROJECTS[Math.floor(i / 200) % BENCH_PROJECTS.length] ?? null,
    client: 'claude-cli/2.1.197',
    credentialId: 'k_3f9a2c',
    source: 'proxy',
    cacheHit: true,
    errorType: null,
    gitBranch: null,
    isSidechain: null,
    bytesIn: 180_000,
    bytesOut: 9_000,
  };
}

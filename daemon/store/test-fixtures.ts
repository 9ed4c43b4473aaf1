/**
 * Test helpers shared by the store's tests (not used by production code): records and temp data dirs.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ulid } from 'ulid';
import type { RequestRecord } from '../../shared/contract.ts';
import type { LogLevel } from './messages.ts';

/** A complete, valid record with a fresh ULID. */
export function makeRecord(over: Partial<RequestRecord> = {}): RequestRecord {
  const startedAt = over.startedAt ?? Date.UTC(2026, 0, 15, 12);
  return {
    id: ulid(),
    startedAt,
    endedAt: startedAt + 1500,
    method: 'POST',
    path: '/v1/messages?beta=true',
    status: 200,
    state: 'complete',
    upstreamRequestId: 'req_011',
    messageId: 'msg_01',
    modelRequested: 'claude-sonnet-4-5',
    model: 'claude-sonnet-4-5',
    stream: true,
    ttfbMs: 300,
    durationMs: 1500,
    tokens: { input: 10, cacheWrite5m: 20, cacheWrite1h: 30, cacheRead: 40, output: 50 },
    thinkingTokens: 5,
    webSearchRequests: 0,
    serviceTier: 'standard',
    speed: null,
    inferenceGeo: null,
    billable: true,
    costNanoUsd: 1_000_000,
    priceVersion: '2026-01-01',
    unpricedReason: null,
    cacheSavingsNanoUsd: 100,
    sessionId: 'sess-1',
    agentId: null,
    parentAgentId: null,
    project: '/home/u/proj',
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

export function tempDir(prefix = 'cco-store-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** A log sink that remembers lines. */
export function memoryLog(): { log: (level: LogLevel, msg: string) => void; lines: { level: LogLevel; msg: string }[] } {
  const lines: { level: LogLevel; msg: string }[] = [];
  return { log: (level, msg) => lines.push({ level, msg }), lines };
}

/**
 * A transcript entry → the stored RequestRecord (`source: 'history'`), priced by the same engine as the
 * proxy's records. What a transcript does not tell is null where the contract allows it (status, ttfb,
 * requested model, credential) and a stated default where it does not: method POST, path /v1/messages
 * (Claude Code's only billable call), stream false (unknown), duration 0, bytes 0.
 *
 * The id is deterministic: a ULID whose time is the line's timestamp and whose 80 "random" bits are the
 * first bits of sha256(message id + request id). Importing the same response twice (a restart after a
 * kill -9, a resumed session's copy of earlier lines) gives the same id, and the store keeps one.
 */
import { hash } from 'node:crypto';
import { encodeTime } from 'ulid';
import type { RequestRecord } from '../../shared/contract.ts';
import type { Pricer } from '../pricing/index.ts';
import { entryKey, type TranscriptEntry } from './transcript.ts';

/** The API accepts prompts over 200k tokens only with the 1M-context beta, so such a prompt had it. */
const BASE_CONTEXT_TOKENS = 200_000;

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/**
 * `ulid(e.at, prng)` with the prng returning digest[0], digest[1], … / 256, as the ids were first made (and
 * must stay: a re-import after an upgrade must give the same ids), written out: ulid draws a character per
 * prng call, floor(byte / 256 × 32) = byte >> 3, and prepends it, so the 16 characters are the first 16
 * digest bytes' top 5 bits in reverse order. ~4× faster than the ulid call with a createHash per record.
 */
export function historyRecordId(e: TranscriptEntry): string {
  const digest = hash('sha256', entryKey(e), 'buffer');
  let random = '';
  for (let i = 0; i < 16; i++) random = CROCKFORD[digest[i]! >> 3]! + random;
  return encodeTime(e.at, 10) + random;
}

export function historyRecord(e: TranscriptEntry, pricer: Pricer): RequestRecord {
  const u = e.usage;
  const prompt = (u.input_tokens ?? 0) + (u.cache_creation_input_tokens ?? 0) + (u.cache_read_input_tokens ?? 0);
  const result = pricer.cost(u, e.model, e.at, { context1m: prompt > BASE_CONTEXT_TOKENS });
  return {
    id: historyRecordId(e),
    startedAt: e.at,
    endedAt: e.at,
    method: 'POST',
    path: '/v1/messages',
    status: null,
    state: 'complete',
    upstreamRequestId: e.requestId,
    messageId: e.messageId,
    modelRequested: null,
    model: e.model,
    stream: false,
    ttfbMs: null,
    durationMs: 0,
    tokens: result.tokens,
    thinkingTokens: u.output_tokens_details?.thinking_tokens ?? 0,
    webSearchRequests: u.server_tool_use?.web_search_requests ?? 0,
    serviceTier: u.service_tier ?? null,
    speed: u.speed ?? null,
    inferenceGeo: u.inference_geo ?? null,
    billable: true,
    costNanoUsd: result.priced ? result.nanoUsd : null,
    priceVersion: result.priceVersion,
    unpricedReason: result.priced ? null : result.reason,
    cacheSavingsNanoUsd: result.priced ? result.cacheSavingsNanoUsd : 0,
    sessionId: e.sessionId,
    agentId: e.agentId,
    parentAgentId: null,
    project: e.project,
    client: e.version ? `claude-cli/${e.version}` : null,
    credentialId: null,
    source: 'history',
    cacheHit: false,
    errorType: null,
    gitBranch: e.gitBranch,
    isSidechain: e.isSidechain,
    bytesIn: 0,
    bytesOut: 0,
  };
}

/**
 * A faithful fake of api.anthropic.com for offline tests (headers, errors, streaming, usage and plan limits as the real API sends them). Start one per test file:
 *
 *   const up = await startFakeUpstream({ seed: 1 });
 *   const client = new Anthropic({ apiKey: 'sk-ant-test', baseURL: up.url });
 *   …; up.ledger(); await up.close();
 *
 * See README.md in this folder for routes, scenarios and the ledger.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { DEFAULT_BETAS } from './catalog.ts';
import { PromptCache } from './cache.ts';
import { planApplies, type Exchange, type ServerState } from './context.ts';
import { handleAdmin } from './admin.ts';
import { baseHeaders, flat } from './headers.ts';
import { failBillable, handleMessages } from './messages.ts';
import { sendError } from './respond.ts';
import { IdSource, makeRng, uuid } from './rng.ts';
import { complete, countTokens, getModel, listModels, scriptedFailure } from './routes.ts';
import { RetryCounter, ScriptQueue } from './scenario.ts';
import { PlanLimits } from './plan-limits.ts';
import type { FakeUpstreamOptions, LedgerEntry, RecordedRequest, Scenario } from './types.ts';
import { isApiErr, MAX_BODY_BYTES, parseBody, validateHeaders } from './validate.ts';

export type { FakeUpstreamOptions, LedgerEntry, RecordedRequest, Scenario, WireUsage, Completion, Chunking } from './types.ts';

export interface FakeUpstream {
  /** Base URL, e.g. http://127.0.0.1:41234 (no trailing slash). */
  url: string;
  port: number;
  /** Stop listening, end in-flight responses, close every connection. */
  close(): Promise<void>;
  /** Every non-admin request received, in arrival order (copies). */
  requests(): RecordedRequest[];
  /** Ground truth for every billable response that has ended, in end order (copies). */
  ledger(): LedgerEntry[];
  /** Forget requests, ledger, scripts, cache and retry counters; the clock offset returns to 0. */
  reset(): void;
  /** Queue one-shot scenarios (FIFO). */
  script(s: Scenario | Scenario[]): void;
  /** Advance the fake clock used for cache TTLs and plan-limit windows. */
  advanceClock(ms: number): void;
  /** Subscription plan limits per credential (set utilization, read it). */
  plan: PlanLimits;
  /** Resolve once the ledger holds at least `count` entries (rejects after timeoutMs, default 5000). */
  waitForLedger(count: number, timeoutMs?: number): Promise<LedgerEntry[]>;
}

interface BodyRead {
  body: Buffer;
  bytes: number;
  sha256: string;
}

function readBody(req: IncomingMessage): Promise<BodyRead> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const hash = createHash('sha256');
    let bytes = 0;
    req.on('data', (c: Buffer) => {
      hash.update(c);
      bytes += c.length;
      if (bytes <= MAX_BODY_BYTES) chunks.push(c);
    });
    req.on('end', () => resolve({ body: bytes <= MAX_BODY_BYTES ? Buffer.concat(chunks) : Buffer.alloc(0), bytes, sha256: hash.digest('hex') }));
    req.on('error', reject);
  });
}

function pairs(raw: string[]): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) out.push([raw[i]!, raw[i + 1]!]);
  return out;
}

export async function startFakeUpstream(opts: FakeUpstreamOptions = {}): Promise<FakeUpstream> {
  const seed = opts.seed ?? 1;
  const startClock = Date.UTC(2026, 10, 22);
  const state: ServerState = {
    seed,
    gzip: opts.gzip ?? true,
    pingIntervalMs: opts.pingIntervalMs ?? 5000,
    ids: new IdSource(seed),
    organizationId: uuid(makeRng('org', seed)),
    cache: new PromptCache(opts.minCacheTokens ?? 1024, startClock),
    script: new ScriptQueue(),
    retries: new RetryCounter(),
    betas: new Set([...DEFAULT_BETAS, ...(opts.extraBetas ?? [])]),
    requests: [],
    ledger: [],
    onLedger: new Set(),
    active: new Set(),
    plan: new PlanLimits(opts.planLimits),
    credentialOf: new Map(),
  };
  const advanceClock = (ms: number): number => {
    state.plan.advance(ms);
    return state.cache.advance(ms);
  };
  const reset = (): void => {
    state.requests.length = 0;
    state.ledger.length = 0;
    state.script.clear();
    state.retries.clear();
    state.plan.clear();
    state.credentialOf.clear();
    state.cache = new PromptCache(opts.minCacheTokens ?? 1024, startClock);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const receivedAt = Date.now();
    const url = req.url ?? '/';
    const path = url.split('?')[0] ?? '/';
    const { body, bytes, sha256 } = await readBody(req);
    if (path.startsWith('/__mock/')) {
      if (!handleAdmin(state, { reset, advanceClock }, req, res, path, body)) {
        res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"unknown admin route"}');
      }
      return;
    }
    const requestId = state.ids.requestId();
    state.requests.push({
      requestId,
      method: req.method ?? 'GET',
      url,
      rawHeaders: pairs(req.rawHeaders),
      bodyBase64: body.toString('base64'),
      bodySha256: sha256,
      bodyBytes: bytes,
      bodyTooLarge: bytes > MAX_BODY_BYTES,
      receivedAt,
    });
    const ex: Exchange = { req, res, requestId, path, body, bodyBytes: bytes, startedAt: receivedAt, auth: 'none' };
    const method = req.method ?? 'GET';
    if ((method === 'HEAD' || method === 'GET') && path === '/') {
      const h = baseHeaders({ requestId, organizationId: state.organizationId, cfRay: state.ids.cfRay(), auth: 'none', now: Date.now() });
      h.push(['content-length', '0']);
      res.writeHead(200, flat(h)).end();
      return;
    }
    const modelMatch = /^\/v1\/models\/([^/]+)$/.exec(path);
    const known =
      (method === 'GET' && (path === '/v1/models' || modelMatch !== null)) ||
      (method === 'POST' && ['/v1/messages', '/v1/messages/count_tokens', '/v1/complete'].includes(path));
    if (!known) return sendError(state, ex, 404, 'not_found_error', 'Not Found');
    const billable = path === '/v1/messages' || path === '/v1/complete';
    const authed = validateHeaders(req.headers, state.betas);
    if (isApiErr(authed)) {
      return billable ? failBillable(state, ex, authed, null, false) : sendError(state, ex, authed.status, authed.type, authed.message);
    }
    ex.auth = authed.kind;
    ex.credential = authed.credential;
    if (billable && planApplies(state, ex)) {
      state.credentialOf.set(requestId, authed.credential);
      const refused = state.plan.rejection(authed.credential);
      if (refused) {
        const err = { status: 429, type: 'rate_limit_error', message: 'This request would exceed your account\'s rate limit. Please try again later.' };
        const m = parseBody(bytes, body);
        const model = !isApiErr(m) && typeof m.model === 'string' ? m.model : null;
        return failBillable(state, ex, err, model, !isApiErr(m) && m.stream === true, refused.retryAfter);
      }
    }
    if (method === 'GET') {
      if (scriptedFailure(state, ex)) return;
      if (modelMatch) return getModel(state, ex, decodeURIComponent(modelMatch[1]!));
      return listModels(state, ex, new URLSearchParams(url.slice(path.length + 1)));
    }
    const parsed = parseBody(bytes, body);
    if (isApiErr(parsed)) {
      return billable ? failBillable(state, ex, parsed, null, false) : sendError(state, ex, parsed.status, parsed.type, parsed.message);
    }
    if (path === '/v1/messages') return handleMessages(state, ex, parsed, authed.betas, authed.credential, sha256);
    if (path === '/v1/complete') return complete(state, ex, parsed, sha256);
    return countTokens(state, ex, parsed, authed.betas);
  };

  const server = createServer({ keepAlive: true, requestTimeout: 0, noDelay: true }, (req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent && !res.destroyed) {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ type: 'error', error: { type: 'api_error', message: `fake upstream bug: ${String(err)}` } }));
      } else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const host = opts.host ?? '127.0.0.1';
  const hostForUrl = host.includes(':') ? `[${host}]` : host;

  return {
    url: `http://${hostForUrl}:${port}`,
    port,
    close: async () => {
      for (const stop of [...state.active]) stop();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
    requests: () => structuredClone(state.requests),
    ledger: () => structuredClone(state.ledger),
    reset,
    script: (s) => state.script.push(s),
    advanceClock: (ms) => void advanceClock(ms),
    plan: state.plan,
    waitForLedger: (count, timeoutMs = 5000) =>
      new Promise((resolve, reject) => {
        const check = (): boolean => {
          if (state.ledger.length < count) return false;
          cleanup();
          resolve(structuredClone(state.ledger));
          return true;
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`fake upstream: ledger has ${state.ledger.length} entries, wanted ${count}`));
        }, timeoutMs);
        const cleanup = (): void => {
          clearTimeout(timer);
          state.onLedger.delete(onEntry);
        };
        const onEntry = (): void => void check();
        state.onLedger.add(onEntry);
        check();
      }),
  };
}

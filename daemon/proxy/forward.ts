/**
 * The forwarding path: client request → upstream → client, byte for byte.
 *
 * Only this module touches the sockets of a proxied call. It streams the request body to the upstream as it
 * arrives (keeping a bounded copy for attribution), writes each upstream chunk to the client as soon as it
 * arrives (honouring back-pressure in both directions, so memory tracks chunk size, not body size), and hands
 * the same chunks to the observer. Accounting happens once, in `onFinished`, which never throws into here.
 */
import http from 'node:http';
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestState } from '../../shared/contract.ts';
import type { Logger } from '../log.ts';
import { attributeRequest, type Attribution } from './attribution.ts';
import { clientResponseHeaders, rawHeader as rawValue, responseHeadFacts, upstreamRequestHeaders } from './headers.ts';
import { createObserver, decideState, type Observation, type Observer } from './observer.ts';
import type { CachedResponse, ResponseCachePlan } from '../cache/response-cache.ts';

/** Request bodies larger than this are forwarded but not kept for attribution (the API caps at 32 MB). */
const MAX_BODY_COPY = 32 * 1024 * 1024;
/** A pooled socket that fails this soon after reuse was stale (closed by the upstream while idle). */
const STALE_SOCKET_WINDOW_MS = 500;

export interface FinishedRequest {
  startedAt: number;
  endedAt: number;
  method: string;
  path: string;
  status: number | null;
  ttfbMs: number | null;
  state: RequestState;
  /** Transport-level failure text (proxy side), when there was one. */
  failure: string | null;
  upstreamRequestId: string | null;
  attribution: Attribution;
  observation: Observation | null;
  bytesIn: number;
  bytesOut: number;
  /** CCO's own time from the client's request to issuing it upstream (null: never issued). */
  proxyAddedMs: number | null;
  /** The team user the request belongs to (central gateway: from its proxy token; see ProxyOptions.userOf). */
  user: string | null;
  /** The upstream's response headers as received (Node rawHeaders), null when none arrived (or a cache hit). */
  responseHeaders: readonly string[] | null;
  /** Answered from the response cache: nothing reached the upstream. */
  cacheHit?: boolean;
  /** CCO refused it itself (state 'refused'): the answer it sent; nothing reached the upstream. */
  refusal?: ProxyRefusal;
}

/** A request CCO answers itself instead of forwarding (budget hard cap, paused session). */
export interface ProxyRefusal {
  status: number;
  /** Anthropic error envelope (anthropicError). */
  body: string;
}

export interface ProxyOptions {
  upstream: URL;
  /** Keep-alive pool to the upstream. */
  agent: http.Agent;
  /**
   * The stored credential to add when the client sends none, or undefined when this request may not have it
   * (see stored-key.ts: only provably local, non-browser callers get it). Read per request.
   */
  storedKey?: (req: IncomingMessage) => string | undefined;
  /** Upstream socket idle timeout; there is no total timeout. Default 10 minutes. */
  idleTimeoutMs?: number;
  /** Called exactly once per request, synchronously, before the client sees the end of a completed response. */
  onFinished(finished: FinishedRequest): void;
  /**
   * Runs `done` once what onFinished recorded is durable (the store's grouped journal write); a completed
   * response is ended only then, so a client never sees the end of a response CCO could still lose.
   * Default: at once.
   */
  whenRecorded?(done: () => void): void;
  /**
   * Admission (budgets): called when a request arrives, before anything reaches the upstream. A refusal is
   * answered at once (with `x-should-retry: false`) and not forwarded; 'after-body' waits for the whole body
   * and asks `admitAttributed` with the request's attribution (project, session) before forwarding. `user` is the
   * request's team user (`userOf`), null when none.
   */
  admit?(method: string, path: string, headers: IncomingMessage['headers'], user: string | null): ProxyRefusal | 'after-body' | null;
  admitAttributed?(attribution: Attribution, user: string | null): ProxyRefusal | null;
  /**
   * Completes a request's attribution once, when it is computed (before admission and recording): e.g. a
   * Claude Code side call without a working directory takes its session's project (session-projects.ts).
   */
  completeAttribution?(attribution: Attribution): Attribution;
  log: Logger;
  /** The user a request is attributed to (the central gateway's token check), if any. */
  userOf?: (req: IncomingMessage) => string | null;
  /**
   * The response cache (daemon/cache), asked once per request before its headers are prepared (so it can take
   * `x-cco-cache` off them). null = this request does not use it: the path below is then exactly the one
   * without a cache. With a plan, the body is held until it is whole, the cache is consulted, and only a miss
   * is forwarded; a complete 200 answer is handed to `plan.store`.
   */
  cachePlan?: (req: IncomingMessage) => ResponseCachePlan | null;
}

export function createUpstreamAgent(upstream: URL): http.Agent {
  const options = { keepAlive: true, keepAliveMsecs: 30_000, maxFreeSockets: 64, scheduling: 'lifo' as const };
  return upstream.protocol === 'https:' ? new https.Agent(options) : new http.Agent(options);
}

/** Anthropic error envelope for failures CCO itself produces. */
export function anthropicError(type: string, message: string): string {
  return JSON.stringify({ type: 'error', error: { type, message } });
}

export function createProxyHandler(opts: ProxyOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const { upstream, agent, log } = opts;
  const transport = upstream.protocol === 'https:' ? https : http;
  const basePath = upstream.pathname.replace(/\/+$/, '');
  const port = upstream.port ? Number(upstream.port) : upstream.protocol === 'https:' ? 443 : 80;
  const idleTimeoutMs = opts.idleTimeoutMs ?? 10 * 60_000;
  const whenRecorded = opts.whenRecorded ?? ((done: () => void) => done());

  return function proxy(req, res) {
    const startedAt = Date.now();
    const t0 = performance.now();
    const method = req.method ?? 'GET';
    const path = req.url ?? '/';
    let bodyCopy: Buffer[] | null = [];
    let bytesIn = 0;
    let bytesOut = 0;
    let status: number | null = null;
    let ttfbMs: number | null = null;
    let upstreamRequestId: string | null = null;
    let responseHeaders: readonly string[] | null = null;
    let observer: Observer | null = null;
    let attribution: Attribution | null = null;
    let finished = false;
    let cacheHit = false;
    let refusal: ProxyRefusal | undefined;
    /** The whole request body, kept for the cache's key while a plan may store the answer. */
    let requestBody: Buffer | null = null;

    const attribute = (): Attribution => {
      if (!attribution) {
        // Normally runs when the request body has ended, while the upstream works on the answer (so parsing
        // a large body never delays the response's first byte); an upstream that answers early (e.g. 413)
        // leaves attribution with the part received so far. The body is kept, as one buffer, until the
        // upstream answers: a stale keep-alive socket replays it.
        const body = bodyCopy && bodyCopy.length > 1 ? Buffer.concat(bodyCopy) : (bodyCopy?.[0] ?? Buffer.alloc(0));
        if (bodyCopy && bodyCopy.length > 1) bodyCopy = [body];
        attribution = attributeRequest(method, path, req.headers, body);
        if (opts.completeAttribution) attribution = opts.completeAttribution(attribution);
      }
      return attribution;
    };

    const finish = (state: RequestState, observation: Observation | null, failure: string | null) => {
      if (finished) return;
      finished = true;
      try {
        opts.onFinished({
          startedAt,
          // the duration from the monotonic clock: a wall-clock step during a call must not change it
          endedAt: startedAt + Math.round(performance.now() - t0),
          method,
          path,
          status,
          ttfbMs,
          state,
          failure,
          upstreamRequestId,
          attribution: attribute(),
          observation,
          bytesIn,
          bytesOut,
          proxyAddedMs: firstOpenedAt === null ? null : Math.round((firstOpenedAt - t0) * 1000) / 1000,
          user: opts.userOf?.(req) ?? null,
          responseHeaders,
          ...(cacheHit && { cacheHit }),
          ...(refusal && { refusal }),
        });
      } catch (err) {
        log.error('recording a finished request failed', { error: String(err) });
      }
    };

    /** Answered by CCO itself (nothing reaches the upstream) and recorded as 'refused', $0, never billable. */
    const refuse = (r: ProxyRefusal) => {
      req.resume();
      status = r.status;
      refusal = r;
      const body = Buffer.from(r.body);
      bytesOut = body.length;
      res.writeHead(r.status, { 'content-type': 'application/json', 'content-length': body.length, 'x-should-retry': 'false' });
      res.end(body);
      finish('refused', null, null);
    };
    const admission = opts.admit?.(method, path, req.headers, opts.userOf?.(req) ?? null) ?? null;
    // Refused on arrival: the body is still read (held, never forwarded) so the record names its model and
    // project; the answer goes out once it has arrived.
    const early = admission !== null && admission !== 'after-body' ? admission : null;

    let plan = opts.cachePlan?.(req) ?? null;
    // The stored key only for provably local, non-browser callers (decided by opts.storedKey).
    const apiKey = opts.storedKey?.(req);
    const headers = upstreamRequestHeaders(req.rawHeaders, { upstreamHost: upstream.host, apiKey });
    let requestEnded = false;
    let retried = false;
    let openedAt = 0;
    let firstOpenedAt: number | null = null;

    const open = () => {
      openedAt = performance.now();
      firstOpenedAt ??= openedAt;
      const r = transport.request({ agent, host: upstream.hostname, port, method, path: basePath + path, headers, setHost: false });
      r.setNoDelay(true);
      r.setTimeout(idleTimeoutMs, () => {
        r.destroy(new Error(`no data from upstream for ${Math.round(idleTimeoutMs / 1000)} s`));
      });
      r.on('drain', () => req.resume());
      r.on('response', (up) => onResponse(up));
      r.on('error', (err) => onUpstreamError(r, err));
      return r;
    };
    // Normally the upstream call opens at once and the body streams through; when admission needs the
    // attribution, the body is held (bodyCopy) and the call opens only once it is admitted.
    let upReq: http.ClientRequest | null = early || admission === 'after-body' || plan ? null : open();

    // Client → upstream body, with back-pressure. The copy serves attribution and a replay on a stale
    // keep-alive socket; it is dropped once the upstream answers (or when it exceeds the cap).
    req.on('data', (chunk: Buffer) => {
      bytesIn += chunk.length;
      if (bodyCopy) {
        if (bytesIn <= MAX_BODY_COPY) bodyCopy.push(chunk);
        else {
          if (plan && !upReq && !early && admission !== 'after-body') {
            // too large to key (the API refuses it anyway): forward it as it comes, without the cache
            plan = null;
            upReq = open();
            for (const held of bodyCopy) upReq.write(held);
          }
          bodyCopy = null;
        }
      }
      if (upReq && !upReq.write(chunk)) req.pause();
    });
    req.on('end', () => {
      requestEnded = true;
      if (!upReq) {
        if (!bodyCopy) return refuse(early ?? { status: 413, body: anthropicError('request_too_large', 'Request exceeds the maximum size CCO holds while checking a budget') });
        const late = early ?? (admission === 'after-body' ? (opts.admitAttributed?.(attribute(), opts.userOf?.(req) ?? null) ?? null) : null);
        if (late) return refuse(late);
        if (plan) return consult(plan);
        upReq = open();
        for (const chunk of bodyCopy) upReq.write(chunk);
      }
      upReq.end();
      attribute();
    });

    // The client went away before the response completed: stop the upstream call (it may be burning quota).
    res.on('close', () => {
      if (res.writableFinished || finished) return;
      upReq?.destroy();
      const observation = observer?.end() ?? null;
      finish(decideState({ observation, upstreamEnded: false, clientAborted: true, upstreamErrored: false }), observation, null);
    });

    /** With the whole body: asks the cache (a hit is replayed), else forwards it (refresh: at once). */
    function consult(p: ResponseCachePlan) {
      const body = bodyCopy!.length === 1 ? bodyCopy![0]! : Buffer.concat(bodyCopy!);
      bodyCopy = [body];
      requestBody = body;
      const forward = () => {
        upReq = open();
        upReq.end(body);
        attribute();
      };
      if (!p.lookup) return forward();
      void p.lookup(body, headers).then((hit) => {
        if (finished) return; // the client went away meanwhile
        if (hit) replay(hit);
        else forward();
      });
    }

    /** A cache hit: the stored status, headers and body bytes, recorded like a response (never forwarded). */
    function replay(hit: CachedResponse) {
      attribute();
      bodyCopy = null;
      cacheHit = true;
      status = hit.status;
      ttfbMs = Math.round(performance.now() - t0);
      const obs = createObserver({ status, contentType: rawValue(hit.rawHeaders, 'content-type'), contentEncoding: rawValue(hit.rawHeaders, 'content-encoding') });
      obs.write(hit.body);
      bytesOut = hit.body.length;
      res.writeHead(hit.status, hit.statusMessage, hit.rawHeaders);
      const observation = obs.end();
      finish(decideState({ observation, upstreamEnded: true, clientAborted: false, upstreamErrored: false }), observation, null);
      whenRecorded(() => res.end(hit.body));
    }

    function onResponse(up: IncomingMessage) {
      attribute();
      bodyCopy = null;
      status = up.statusCode ?? 502;
      ttfbMs = Math.round(performance.now() - t0);
      const head = responseHeadFacts(up.rawHeaders);
      upstreamRequestId = head.requestId ?? null;
      responseHeaders = up.rawHeaders;
      observer = createObserver({ status, contentType: head.contentType, contentEncoding: head.contentEncoding });
      const obs = observer;
      // rawHeaders hold each header byte as one char (latin1) and Node writes a head as latin1: the values,
      // octets 0x80-0xFF included, reach the client byte for byte (header-bytes.e2e.test.ts). Never decode
      // or re-encode them here.
      const sentHeaders = clientResponseHeaders(up.rawHeaders);
      res.writeHead(status, up.statusMessage, sentHeaders);
      // A copy for the response cache: only when this request uses it and the answer is a 200.
      const storing = plan && status === 200 && !/no-store/i.test(head.cacheControl ?? '') ? plan : null;
      let copy: Buffer[] | null = storing ? [] : null;
      let copyBytes = 0;
      // Headers normally leave with the first body chunk (one write, not two); if the upstream sent its head
      // alone and the body is not already waiting in this I/O turn, send the head on its own right away.
      let bodyStarted = false;
      setImmediate(() => {
        if (!bodyStarted && !res.headersSent && !res.destroyed) res.flushHeaders();
      });

      // With a Content-Length the client knows the response is whole once the last byte arrives, whatever
      // res.end() does: so the chunk that completes the length is held back and sent only once the record
      // is durable, as the terminating chunk of a chunked response is (same guarantee, no extra write).
      const declared = Number(head.contentLength ?? NaN);
      const lastAt = Number.isSafeInteger(declared) && declared > 0 ? declared : Infinity;
      let held: Buffer | undefined;
      up.on('data', (chunk: Buffer) => {
        bodyStarted = true;
        bytesOut += chunk.length;
        if (copy) {
          copyBytes += chunk.length;
          if (copyBytes <= storing!.maxEntryBytes) copy.push(chunk);
          else copy = null;
        }
        if (bytesOut >= lastAt) held = chunk;
        else if (!res.write(chunk)) up.pause();
        obs.write(chunk);
      });
      res.on('drain', () => up.resume());
      up.on('end', () => {
        if (finished) return;
        const observation = obs.end();
        const state = decideState({ observation, upstreamEnded: true, clientAborted: false, upstreamErrored: false });
        finish(state, observation, null);
        whenRecorded(() => res.end(held));
        // Only a whole answer whose usage was read (a JSON body, or a stream through message_stop) is kept.
        if (copy && requestBody && state === 'complete' && observation.kind !== 'other' && observation.parseError === null) {
          storing!.store(requestBody, headers, { status: 200, statusMessage: up.statusMessage ?? '', rawHeaders: sentHeaders, body: Buffer.concat(copy, copyBytes) });
        }
      });
      // Upstream reset after headers: cut the client too (a clean end would disguise the failure).
      up.on('error', (err) => upstreamCut(err));
      up.on('close', () => {
        if (!up.complete) upstreamCut(new Error('upstream closed the connection mid-response'));
      });
      function upstreamCut(err: Error) {
        if (finished) return;
        const observation = obs.end();
        finish(decideState({ observation, upstreamEnded: false, clientAborted: false, upstreamErrored: true }), observation, err.message);
        res.destroy();
      }
    }

    function onUpstreamError(failed: http.ClientRequest, err: NodeJS.ErrnoException) {
      if (finished || failed !== upReq) return;
      // The pool handed us a keep-alive connection the upstream had just closed (it fails at once, with no
      // response byte): send the request once more on a fresh connection (Node's documented `reusedSocket`
      // pattern). A reset that comes later may follow real work upstream, so it is never replayed.
      const stale = failed.reusedSocket && performance.now() - openedAt < STALE_SOCKET_WINDOW_MS && (err.code === 'ECONNRESET' || err.code === 'EPIPE');
      if (stale && !retried && !res.headersSent && bodyCopy) {
        retried = true;
        upReq = open();
        for (const chunk of bodyCopy) upReq.write(chunk);
        if (requestEnded) upReq.end();
        return;
      }
      if (res.headersSent) {
        finish('upstream_error', observer?.end() ?? null, err.message);
        res.destroy();
        return;
      }
      if (res.destroyed) {
        finish('client_aborted', null, null);
        return;
      }
      const reason = err.code ? `${err.code}${err.message && !err.message.includes(err.code) ? ` (${err.message})` : ''}` : err.message;
      const body = anthropicError('api_error', `CCO could not reach ${upstream.origin}: ${reason}`);
      finish('upstream_error', null, reason);
      res.writeHead(502, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'x-should-retry': 'true' });
      res.end(body);
    }
  };
}

/** Writing JSON and error responses: §1.5 envelope, §9.3 headers, optional gzip. */
import { gzipSync } from 'node:zlib';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { baseHeaders, errorHeaders, flat, type HeaderList } from './headers.ts';
import { headerContext, type Exchange, type ServerState } from './context.ts';
import type { Completion } from './types.ts';

/** True when the client accepts gzip (and it is not refused with q=0). */
export function acceptsGzip(req: IncomingMessage): boolean {
  const v = req.headers['accept-encoding'];
  if (!v) return false;
  return v.split(',').some((part) => {
    const [name, ...params] = part.trim().toLowerCase().split(';');
    if (name !== 'gzip' && name !== '*') return false;
    return !params.some((p) => /^\s*q=0(\.0*)?\s*$/.test(p));
  });
}

/** Send a complete body with content-length, gzipped when allowed. */
export function sendBody(res: ServerResponse, status: number, headers: HeaderList, body: Buffer, gzip: boolean): void {
  if (res.destroyed) return;
  const h = [...headers];
  let payload = body;
  if (gzip) {
    payload = gzipSync(body);
    h.push(['content-encoding', 'gzip'], ['vary', 'Accept-Encoding']);
  }
  h.push(['content-length', String(payload.length)]);
  res.writeHead(status, flat(h));
  res.end(payload);
}

export function useGzip(state: ServerState, ex: Exchange, override?: boolean): boolean {
  return (override ?? state.gzip) && acceptsGzip(ex.req);
}

export function sendJson(state: ServerState, ex: Exchange, status: number, value: unknown, gzipOverride?: boolean): void {
  const h = baseHeaders(headerContext(state, ex));
  h.push(['content-type', 'application/json']);
  sendBody(ex.res, status, h, Buffer.from(JSON.stringify(value), 'utf8'), useGzip(state, ex, gzipOverride));
}

export function errorBody(type: string, message: string, requestId: string): Buffer {
  return Buffer.from(JSON.stringify({ type: 'error', error: { type, message }, request_id: requestId }), 'utf8');
}

export interface ErrorOpts {
  retryAfter?: number;
  gzip?: boolean;
}

export function sendError(state: ServerState, ex: Exchange, status: number, type: string, message: string, opts: ErrorOpts = {}): void {
  const h = errorHeaders(headerContext(state, ex), status, opts.retryAfter);
  sendBody(ex.res, status, h, errorBody(type, message, ex.requestId), useGzip(state, ex, opts.gzip));
}

/** Sleep that ends early when the response closes; resolves true if still connected. */
export function sleepUnlessClosed(res: ServerResponse, ms: number): Promise<boolean> {
  if (res.destroyed) return Promise.resolve(false);
  if (ms <= 0) return Promise.resolve(true);
  return new Promise((resolve) => {
    const onClose = (): void => {
      clearTimeout(t);
      resolve(false);
    };
    const t = setTimeout(() => {
      res.off('close', onClose);
      resolve(!res.destroyed);
    }, ms);
    res.once('close', onClose);
  });
}

/** Hold the response open until the client leaves ('client_aborted') or the server closes ('cut'). */
export function waitForClose(state: ServerState, ex: Exchange): Promise<Completion> {
  return new Promise((resolve) => {
    const stop = (): void => {
      state.active.delete(stop);
      ex.res.off('close', onClose);
      ex.res.destroy();
      resolve('cut');
    };
    const onClose = (): void => {
      state.active.delete(stop);
      resolve('client_aborted');
    };
    state.active.add(stop);
    ex.res.once('close', onClose);
  });
}

/**
 * GET /api/export.csv and /api/export.json: every stored request matching the /api/requests filters, streamed.
 *
 * The export pages through the store (keyset cursor, newest first, one page in memory at a time) and
 * writes each page as one chunk, waiting for 'drain' whenever the socket's buffer is full — so a 250 k
 * row export holds one page in memory, however slow the client. A client that goes away stops the paging.
 * Rows stored while an export runs are not included (the cursor only moves back in time), so the file is a
 * consistent picture of the window. `range`/`tz` resolve to the same [from, to) window as /api/summary
 * (the store computes it), so an export's totals equal that summary's.
 */
import type { ServerResponse } from 'node:http';
import type { Request, Response } from 'express';
import type { ApiError, RequestQuery } from '../../shared/contract.ts';
import { ENCODERS, type ExportFormat } from './export-format.ts';
import type { ExportQuery } from './query.ts';
import { parseInput } from './parse-query.ts';
import { isStoreUnavailable } from './unavailable.ts';
import type { Store } from '../store/index.ts';
import { localDate } from '../store/tz.ts';
import type { Logger } from '../log.ts';

export type { ExportFormat } from './export-format.ts';

/** Rows per store round trip (the store's own page maximum). */
export const EXPORT_PAGE = 500;

export interface ExportWindow {
  from?: number; // epoch ms inclusive
  to?: number; // epoch ms exclusive
}

/** [from, to) of an export: the summary window of `range` (if any) intersected with explicit from/to. */
export async function exportWindow(store: Pick<Store, 'summary'>, q: ExportQuery): Promise<ExportWindow> {
  if (q.range === undefined || q.range === 'custom') return { from: q.from, to: q.to };
  const s = await store.summary({ range: q.range, tz: q.tz });
  const from = Math.max(Date.parse(s.from), q.from ?? -Infinity);
  const to = Math.min(Date.parse(s.to), q.to ?? Infinity);
  return { from, to: Math.max(from, to) };
}

const ymd = (t: number, tz: string): string => {
  const d = localDate(t, tz);
  return `${String(d.year).padStart(4, '0')}-${String(d.month).padStart(2, '0')}-${String(d.day).padStart(2, '0')}`;
};

/**
 * `cco-requests-<from>-<to>.<ext>` with local dates in `tz`; `to` names the last day included. An open
 * start is "start"; an open end is the current day.
 */
export function exportFilename(format: ExportFormat, w: ExportWindow, tz: string, now = Date.now()): string {
  const from = w.from === undefined ? 'start' : ymd(w.from, tz);
  const to = ymd(w.to === undefined ? now : Math.max(w.from ?? -Infinity, w.to - 1), tz);
  return `cco-requests-${from}-${to}.${format}`;
}

/** Resolves true once `res` can take more, false if it closed first. */
function drained(res: ServerResponse): Promise<boolean> {
  if (res.destroyed) return Promise.resolve(false);
  return new Promise((resolve) => {
    const done = (ok: boolean) => () => {
      res.off('drain', onDrain);
      res.off('close', onClose);
      resolve(ok);
    };
    const onDrain = done(true);
    const onClose = done(false);
    res.on('drain', onDrain);
    res.on('close', onClose);
  });
}

/**
 * Writes the export to `res` (headers included). Errors before the first byte reject (the caller answers
 * 4xx/5xx); a failure later destroys the response so the client sees a truncated transfer, never a file
 * that looks complete. Resolves with the number of rows written.
 */
export async function streamExport(
  res: ServerResponse,
  store: Pick<Store, 'summary' | 'listRequests' | 'exportPage'>,
  q: ExportQuery,
  format: ExportFormat,
  opts: { head?: boolean; pageSize?: number; log?: Logger } = {},
): Promise<number> {
  const window = await exportWindow(store, q);
  const enc = ENCODERS[format];
  const pageSize = opts.pageSize ?? EXPORT_PAGE;
  let remaining = q.limit ?? Infinity;
  const base: RequestQuery = {
    ...(q.model !== undefined && { model: q.model }),
    ...(q.project !== undefined && { project: q.project }),
    ...(q.session !== undefined && { session: q.session }),
    ...(q.state !== undefined && { state: q.state }),
    ...(q.user !== undefined && { user: q.user }),
    ...(window.from !== undefined && { from: window.from }),
    ...(window.to !== undefined && { to: window.to }),
  };
  // A store that encodes pages itself (the embedded store: in its worker, handing over bytes) keeps the
  // records off this thread; otherwise pages of records are encoded here.
  const page = async (cursor: string | null, first: boolean): Promise<Page> => {
    const query: RequestQuery = { ...base, ...(cursor !== null && { cursor }), limit: Math.min(pageSize, remaining) };
    if (store.exportPage) {
      const c = await store.exportPage(query, format, first);
      return { chunk: c.bytes, rows: c.rows, nextCursor: c.nextCursor };
    }
    const p = await store.listRequests(query);
    return { chunk: p.items.length > 0 ? enc.rows(p.items, first) : '', rows: p.items.length, nextCursor: p.nextCursor };
  };

  // The first page is read before any header goes out, so a store failure is still a clean error answer.
  let current: Page | null = opts.head ? null : await page(null, true);
  res.statusCode = 200;
  res.setHeader('content-type', enc.contentType);
  res.setHeader('content-disposition', `attachment; filename="${exportFilename(format, window, q.tz)}"`);
  res.setHeader('cache-control', 'no-store');
  res.setHeader('x-content-type-options', 'nosniff');
  if (current === null) {
    res.end();
    return 0;
  }
  let written = 0;
  try {
    if (!res.write(enc.open) && !(await drained(res))) return written;
    while (current) {
      if (current.rows > 0) {
        written += current.rows;
        remaining -= current.rows;
        if (!res.write(current.chunk) && !(await drained(res))) return written; // client gone: stop paging
      }
      if (res.destroyed) return written;
      current = current.nextCursor !== null && remaining > 0 ? await page(current.nextCursor, written === 0) : null;
    }
    res.end(written === 0 && format === 'json' ? ']\n' : enc.close);
  } catch (err) {
    opts.log?.error('export failed mid-stream', { error: err instanceof Error ? err.message : String(err), rows: written });
    res.destroy(err instanceof Error ? err : new Error(String(err)));
  }
  return written;
}

/** One page, encoded, and where the next one starts. */
interface Page {
  chunk: string | Uint8Array;
  rows: number;
  nextCursor: string | null;
}

/**
 * Express handler for one format (mounted behind the /api guard). `scope`: the user a request's rows are
 * narrowed to (a user token's), else undefined.
 */
export function exportHandler(store: Store, format: ExportFormat, log: Logger, scope: (res: Response) => string | undefined = () => undefined) {
  return async (req: Request, res: Response): Promise<void> => {
    const q = await parseInput('exportQuery', req.query);
    if (!q.ok) {
      res.status(400).json({ error: { type: 'invalid_request_error', message: q.message } } satisfies ApiError);
      return;
    }
    const self = scope(res);
    try {
      await streamExport(res, store, { ...q.data, ...(self !== undefined && { user: self }) }, format, { head: req.method === 'HEAD', log });
    } catch (err) {
      if (res.headersSent) return;
      if (isStoreUnavailable(err)) throw err; // 503 with its reason (app.ts), like every other read
      const bad = err instanceof RangeError;
      res.status(bad ? 400 : 500).json({
        error: bad ? { type: 'invalid_request_error', message: err.message } : { type: 'api_error', message: 'Export failed in the CCO daemon' },
      } satisfies ApiError);
      if (!bad) log.error('export failed', { error: err instanceof Error ? err.message : String(err) });
    }
  };
}

/**
 * The history import and reconciliation routes (daemon/history):
 * - GET /api/import: the import's status (progress, last report, the first-start import's count);
 * - POST /api/import {paths?: string[], since?: number}: one import now, answered with its ImportReport
 *   (`cco import` uses it when a daemon runs, so the daemon's store is written by the daemon only);
 * - GET /api/reconcile?range=…&tz=…[&from&to]: proxy against transcripts (ReconcileReport).
 */
import path from 'node:path';
import express, { type Request, type Response } from 'express';
import type { ApiError, ImportStatus, ReconcileReport } from '../../shared/contract.ts';
import { parseInput } from './parse-query.ts';
import type { Store } from '../store/index.ts';
import type { HistoryService } from '../history/service.ts';
import { reconcile } from '../history/reconcile.ts';

function apiError(res: Response, status: number, type: string, message: string) {
  res.status(status).json({ error: { type, message } } satisfies ApiError);
}

export function historyRoutes(store: Store, history: HistoryService): express.Router {
  const r = express.Router();
  r.get('/import', (_req, res) => {
    res.json(history.status() satisfies ImportStatus);
  });
  r.post('/import', express.json({ limit: '64kb' }), async (req: Request, res: Response) => {
    const body = await parseInput('importBody', req.body ?? {});
    if (!body.ok) return apiError(res, 400, 'invalid_request_error', body.message);
    const paths = body.data.paths?.map((p) => path.resolve(p));
    res.json(await history.importNow({ ...(paths && { roots: paths }), ...(body.data.since !== undefined && { since: body.data.since }) }));
  });
  r.get('/reconcile', async (req, res) => {
    const q = await parseInput('summaryQuery', req.query);
    if (!q.ok) return apiError(res, 400, 'invalid_request_error', q.message);
    const report: ReconcileReport = await reconcile(store, history.links(), q.data);
    res.json(report);
  });
  return r;
}

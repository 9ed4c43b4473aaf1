/**
 * The history import and reconciliation routes (daemon/history):
 * - GET /api/import: the import's status (progress, last report, the first-start import's count);
 * - POST /api/import {paths?: string[], since?: number}: one import now, answered with its ImportReport
 *   (`cco import` uses it when a daemon runs, so the daemon's store is written by the daemon only);
 * - GET /api/reconcile?range=…&tz=…[&from&to]: proxy against transcripts (ReconcileReport).
 */
import path from 'node:path';
import express, { type Request, type Response } from 'express';
import { z } from 'zod';
import type { ApiError, ImportStatus, ReconcileReport } from '../../shared/contract.ts';
import { describeZodError, summaryQuery } from './query.ts';
import type { Store } from '../store/index.ts';
import type { HistoryService } from '../history/service.ts';
import { reconcile } from '../history/reconcile.ts';

function apiError(res: Response, status: number, type: string, message: string) {
  res.status(status).json({ error: { type, message } } satisfies ApiError);
}

const importBody = z
  .object({
    paths: z.array(z.string().min(1)).max(64).optional(),
    since: z.number().int().nonnegative().optional(),
  })
  .strict();

export function historyRoutes(store: Store, history: HistoryService): express.Router {
  const r = express.Router();
  r.get('/import', (_req, res) => {
    res.json(history.status() satisfies ImportStatus);
  });
  r.post('/import', express.json({ limit: '64kb' }), async (req: Request, res: Response) => {
    const body = importBody.safeParse(req.body ?? {});
    if (!body.success) return apiError(res, 400, 'invalid_request_error', describeZodError(body.error));
    const paths = body.data.paths?.map((p) => path.resolve(p));
    res.json(await history.importNow({ ...(paths && { roots: paths }), ...(body.data.since !== undefined && { since: body.data.since }) }));
  });
  r.get('/reconcile', async (req, res) => {
    const q = summaryQuery.safeParse(req.query);
    if (!q.success) return apiError(res, 400, 'invalid_request_error', describeZodError(q.error));
    const report: ReconcileReport = await reconcile(store, history.links(), q.data);
    res.json(report);
  });
  return r;
}

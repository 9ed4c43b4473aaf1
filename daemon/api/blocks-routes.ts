/**
 * GET /api/blocks?range=…&tz=…[&from&to]: Claude Code's 5-hour blocks over the range's requests (ranges
 * as /api/summary's), oldest first, with the active one. `?active=1` reads only the last 24 h (the live
 * views and the status line want just the running block): a block's phase comes from the first request
 * read, so with traffic running without a 5-hour pause for longer than that, the 24-hour view can place
 * block starts differently from a longer range.
 */
import express from 'express';
import type { ApiError, BlocksResponse } from '../../shared/contract.ts';
import { parseInput } from './parse-query.ts';
import type { Store } from '../store/index.ts';
import { blockEntry, BlockBuilder } from '../blocks/blocks.ts';

const PAGE = 500;
const ACTIVE_LOOKBACK_MS = 24 * 3_600_000;

/** Blocks of the billable requests in [from, to), read oldest first a page at a time. */
export async function blocksOf(store: Store, from: number, to: number, now = Date.now(), user?: string): Promise<BlocksResponse> {
  const builder = new BlockBuilder();
  let cursor: string | undefined;
  do {
    const page = await store.listRequests({ from, to, sort: 'time', order: 'asc', limit: PAGE, ...(cursor && { cursor }), ...(user !== undefined && { user }) });
    for (const r of page.items) if (r.billable) builder.add(blockEntry(r));
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return { now, from: new Date(from).toISOString(), to: new Date(to).toISOString(), blocks: builder.blocks(now), active: builder.active(now) };
}

/** `scope`: the user a request's blocks are narrowed to (a user token's), else undefined. */
export function blocksRoutes(store: Store, scope: (res: express.Response) => string | undefined = () => undefined): express.Router {
  const r = express.Router();
  r.get('/blocks', async (req, res) => {
    const now = Date.now();
    const user = scope(res);
    if (req.query.active === '1') return res.json(await blocksOf(store, now - ACTIVE_LOOKBACK_MS, now + 1, now, user));
    const q = await parseInput('summaryQuery', req.query);
    if (!q.ok) return res.status(400).json({ error: { type: 'invalid_request_error', message: q.message } } satisfies ApiError);
    // The range exactly as /api/summary resolves it (its `all` starts at the first day with data).
    const s = await store.summary({ ...q.data, sessions: false, now, ...(user !== undefined && { user }) });
    res.json(await blocksOf(store, Date.parse(s.from), Date.parse(s.to), now, user));
  });
  return r;
}

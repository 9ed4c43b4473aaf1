/**
 * Validation of the API's query strings and bodies (zod), with plain messages for 400 answers. Loaded at the
 * first API call that needs it, through parse-query.ts, not at start: zod's evaluation and these schemas cost
 * every start ~50 ms of CPU and ~3 MB of heap (docs/design.md, idle footprint, fourth round).
 */
import { z } from 'zod';
import { REQUEST_SORTS, REQUEST_STATES, STATE_FILTER_ERRORS, type RequestQuery, type RequestStateFilter, type SummaryRange } from '../../shared/contract.ts';

/** Zones found valid (a formatter per query cost ~0.25 ms of each /api/summary); invalid ones are not kept. */
const validZones = new Set<string>();

function validTimeZone(tz: string): boolean {
  if (validZones.has(tz)) return true;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    if (validZones.size < 1000) validZones.add(tz);
    return true;
  } catch {
    return false;
  }
}

const epochMs = z.coerce.number().int().nonnegative();

const RANGES = ['today', '7d', '30d', 'month', 'all', 'custom'] satisfies (SummaryRange | 'custom')[];
const timeZone = z.string().default('UTC').refine(validTimeZone, { message: 'unknown time zone (use an IANA name such as Europe/Paris)' });
const customNeedsBounds = [
  (q: { range?: string; from?: number; to?: number }) => q.range !== 'custom' || (q.from !== undefined && q.to !== undefined && q.from < q.to),
  { message: 'range=custom needs from < to (epoch milliseconds)' },
] as const;


export const summaryQuery = z
  .object({
    range: z.enum(RANGES).default('today'),
    tz: timeZone,
    from: epochMs.optional(),
    to: epochMs.optional(),
    /** Narrow the summary to one Claude Code session ("(none)" = requests without one). */
    session: z.string().min(1).optional(),
    /** Team store (PostgreSQL) only: narrow the summary to one user ("(none)" = requests without one). */
    user: z.string().min(1).optional(),
    /** `sessions=0` skips the per-session list (the popover shows none). */
    sessions: z
      .enum(['0', '1'])
      .optional()
      .transform((v) => (v === undefined ? undefined : v === '1')),
  })
  .refine(...customNeedsBounds);

/** The filters shared by /api/requests and /api/export.*. */
const requestFilters = {
  model: z.string().min(1).optional(),
  project: z.string().min(1).optional(),
  session: z.string().min(1).optional(),
  state: z.enum([...REQUEST_STATES, STATE_FILTER_ERRORS] as unknown as [RequestStateFilter, ...RequestStateFilter[]]).optional(),
  /** Team store (PostgreSQL) only. */
  user: z.string().min(1).optional(),
  from: epochMs.optional(),
  to: epochMs.optional(),
};

export const requestsQuery = z.object({
  ...requestFilters,
  cursor: z.string().min(1).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  /** Server-side order (default time desc); a cursor only continues the sort and order it came from. */
  sort: z.enum(REQUEST_SORTS).default('time'),
  order: z.enum(['desc', 'asc']).default('desc'),
}) satisfies z.ZodType<RequestQuery, unknown>;

/**
 * GET /api/export.{csv,json}: the filters of /api/requests (no cursor), optionally a summary `range` in `tz`
 * (intersected with from/to), and `limit` = at most that many rows (default: all of them).
 */
export const exportQuery = z
  .object({
    ...requestFilters,
    range: z.enum(RANGES).optional(),
    tz: timeZone,
    limit: z.coerce.number().int().min(1).optional(),
  })
  .refine(...customNeedsBounds);

export type ExportQuery = z.infer<typeof exportQuery>;

/** POST /api/import's body (api/history-routes.ts). */
export const importBody = z
  .object({
    paths: z.array(z.string().min(1)).max(64).optional(),
    since: z.number().int().nonnegative().optional(),
  })
  .strict();

/** First issue of a zod error as "field: message". */
export function describeZodError(err: z.ZodError): string {
  const issue = err.issues[0];
  if (!issue) return 'invalid query';
  const field = issue.path.join('.') || 'query';
  return `${field}: ${issue.message}`;
}

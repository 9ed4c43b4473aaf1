/**
 * What `cco tui` keeps between screens: summaries read once (at start, after a reconnect, an import or
 * midnight) and then kept current by folding each record of the live feed into them with the store's
 * own rules (daemon/store/rows.ts `recordDelta`, summary.ts hour attribution), so the screen equals what
 * /api/summary would say without asking it again. Pure.
 */
import type { ErrorCounts, RequestRecord, SessionGroup, SpendGroup, SpendTotals, Summary } from '../../shared/contract.ts';
import { NONE_KEY } from '../store/queries.ts';
import { errorKind } from '../api/outcome.ts';

const HOUR_MS = 3_600_000;

export const emptyTotals = (): SpendTotals => ({
  requests: 0,
  costNanoUsd: 0,
  unpricedRequests: 0,
  cacheSavingsNanoUsd: 0,
  responseCacheHits: 0,
  responseCacheSavedNanoUsd: 0,
  tokens: { input: 0, cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: 0, output: 0 },
});

/** Adds one record to totals exactly as the store's rollups count it. */
export function addRecord(t: SpendTotals, r: RequestRecord): void {
  t.requests += 1;
  t.costNanoUsd += r.costNanoUsd ?? 0;
  t.unpricedRequests += r.billable && r.costNanoUsd === null ? 1 : 0;
  t.cacheSavingsNanoUsd += r.cacheSavingsNanoUsd;
  t.responseCacheHits += r.cacheHit ? 1 : 0;
  t.responseCacheSavedNanoUsd += r.cacheHit ? r.cacheSavingsNanoUsd : 0;
  t.tokens.input += r.tokens.input;
  t.tokens.cacheWrite5m += r.tokens.cacheWrite5m;
  t.tokens.cacheWrite1h += r.tokens.cacheWrite1h;
  t.tokens.cacheRead += r.tokens.cacheRead;
  t.tokens.output += r.tokens.output;
}

function addToGroup(groups: SpendGroup[], key: string, r: RequestRecord): void {
  let g = groups.find((x) => x.key === key);
  if (!g) {
    g = { key, ...emptyTotals() };
    groups.push(g);
  }
  addRecord(g, r);
}

/** A session's row with `r` added: figures, bounds, and the project of its latest request that names one. */
function addToSession(groups: SessionGroup[], r: RequestRecord): void {
  const key = r.sessionId ?? NONE_KEY;
  let g = groups.find((x) => x.key === key);
  if (!g) {
    g = { key, ...emptyTotals(), project: null, firstAt: null, lastAt: null };
    groups.push(g);
  }
  addRecord(g, r);
  if (r.sessionId === null) return; // "(none)" is not a session: no bounds, no project
  if (r.project !== null && (g.project === null || g.lastAt === null || r.endedAt >= g.lastAt)) g.project = r.project;
  g.firstAt = g.firstAt === null ? r.startedAt : Math.min(g.firstAt, r.startedAt);
  g.lastAt = g.lastAt === null ? r.endedAt : Math.max(g.lastAt, r.endedAt);
}

/** Counts a failed record into the summary's error counts (most frequent kind first). */
function addError(e: ErrorCounts, r: RequestRecord): void {
  const kind = errorKind(r);
  if (kind === null) return;
  e.requests += 1;
  const k = e.byKind.find((x) => x.kind === kind);
  if (k) k.requests += 1;
  else e.byKind.push({ kind, requests: 1 });
  e.byKind.sort((a, b) => b.requests - a.requests || (a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : 0));
}

/** The store attributes a record to the summary whose range holds its hour's midpoint. */
export function inSummary(s: Pick<Summary, 'from'>, r: Pick<RequestRecord, 'startedAt'>): boolean {
  return Math.floor(r.startedAt / HOUR_MS) * HOUR_MS + HOUR_MS / 2 >= Date.parse(s.from);
}

/** Folds a live record into a summary read earlier (its totals and groups); false when out of its range. */
export function foldRecord(s: Summary, r: RequestRecord): boolean {
  if (!inSummary(s, r)) return false;
  addRecord(s.totals, r);
  addToGroup(s.byModel, r.model ?? r.modelRequested ?? NONE_KEY, r);
  addToGroup(s.byProject, r.project ?? NONE_KEY, r);
  if (s.bySession) addToSession(s.bySession, r);
  if (s.errors) addError(s.errors, r);
  return true;
}

/** Costliest first (unpriced-only groups after priced ones of the same cost), then by requests. */
export function byCost(groups: SpendGroup[]): SpendGroup[] {
  return [...groups].sort((a, b) => b.costNanoUsd - a.costNanoUsd || b.requests - a.requests || a.key.localeCompare(b.key));
}

/**
 * Fold a live record into a summary already on screen, so totals move the moment the frame arrives;
 * the view refetches shortly after and replaces this optimistic copy with the daemon's numbers.
 */
import type { ErrorCounts, RequestRecord, SessionGroup, SpendGroup, SpendTotals, Summary, TokenCounts } from '../../../shared/contract.ts';
import { errorKind } from '../../../daemon/api/outcome.ts';

function addTokens(a: TokenCounts, b: TokenCounts): TokenCounts {
  return {
    input: a.input + b.input,
    cacheWrite5m: a.cacheWrite5m + b.cacheWrite5m,
    cacheWrite1h: a.cacheWrite1h + b.cacheWrite1h,
    cacheRead: a.cacheRead + b.cacheRead,
    output: a.output + b.output,
  };
}

function addRecord<T extends SpendTotals>(t: T, r: RequestRecord): T {
  return {
    ...t,
    requests: t.requests + 1,
    costNanoUsd: t.costNanoUsd + (r.costNanoUsd ?? 0),
    unpricedRequests: t.unpricedRequests + (isUnpriced(r) ? 1 : 0),
    cacheSavingsNanoUsd: t.cacheSavingsNanoUsd + r.cacheSavingsNanoUsd,
    responseCacheHits: t.responseCacheHits + (r.cacheHit ? 1 : 0),
    responseCacheSavedNanoUsd: t.responseCacheSavedNanoUsd + (r.cacheHit ? r.cacheSavingsNanoUsd : 0),
    tokens: addTokens(t.tokens, r.tokens),
  };
}

/** A billable request the price table could not price. */
export function isUnpriced(r: Pick<RequestRecord, 'billable' | 'costNanoUsd'>): boolean {
  return r.billable && r.costNanoUsd === null;
}

function emptyGroup(key: string): SpendGroup {
  return {
    key,
    requests: 0,
    costNanoUsd: 0,
    unpricedRequests: 0,
    cacheSavingsNanoUsd: 0,
    responseCacheHits: 0,
    responseCacheSavedNanoUsd: 0,
    tokens: { input: 0, cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: 0, output: 0 },
  };
}

function addToGroups(groups: SpendGroup[], key: string, r: RequestRecord): SpendGroup[] {
  const i = groups.findIndex((g) => g.key === key);
  const next = groups.slice();
  if (i === -1) next.push(addRecord(emptyGroup(key), r));
  else next[i] = addRecord(groups[i]!, r);
  return next.sort((a, b) => b.costNanoUsd - a.costNanoUsd);
}

/** The session's row with `r` added: its figures, bounds and (when `r` names one) project. */
function addToSessions(groups: SessionGroup[], key: string, r: RequestRecord): SessionGroup[] {
  const i = groups.findIndex((g) => g.key === key);
  const next = groups.slice();
  const old: SessionGroup = i === -1 ? { ...emptyGroup(key), project: null, firstAt: null, lastAt: null } : groups[i]!;
  const row: SessionGroup = {
    ...addRecord(old, r),
    project: r.project ?? old.project,
    firstAt: old.firstAt === null ? r.startedAt : Math.min(old.firstAt, r.startedAt),
    lastAt: old.lastAt === null ? r.endedAt : Math.max(old.lastAt, r.endedAt),
  };
  if (i === -1) next.push(row);
  else next[i] = row;
  return next.sort((a, b) => b.costNanoUsd - a.costNanoUsd);
}

/** The summary's error counts with `r` added when it failed. */
function addToErrors(e: ErrorCounts, r: RequestRecord): ErrorCounts {
  const kind = errorKind(r);
  if (kind === null) return e;
  const byKind = e.byKind.some((k) => k.kind === kind)
    ? e.byKind.map((k) => (k.kind === kind ? { kind, requests: k.requests + 1 } : k))
    : [...e.byKind, { kind, requests: 1 }];
  return { requests: e.requests + 1, byKind: byKind.sort((a, b) => b.requests - a.requests || (a.kind < b.kind ? -1 : 1)) };
}

const HOUR = 3_600_000;

/** Returns a new summary including `r`, or the same object when `r` falls outside its range. */
export function applyRecord(s: Summary, r: RequestRecord): Summary {
  const from = Date.parse(s.from);
  const to = Date.parse(s.to);
  // Preset ranges run up to "now": their `to` was fixed when the summary was computed, so a live record may
  // be later; only custom ranges have a hard end.
  if (r.startedAt < from || (s.range === 'custom' && r.startedAt >= to)) return s;
  if (s.session !== undefined && (r.sessionId ?? '(none)') !== s.session) return s; // narrowed to another session
  const modelKey = r.model ?? r.modelRequested ?? '(none)';
  const projectKey = r.project ?? '(none)';
  const cost = r.costNanoUsd ?? 0;

  const series = s.series.slice();
  // bucket containing startedAt: the last point starting at or before it, if the next bucket has not begun
  let idx = -1;
  for (let i = series.length - 1; i >= 0; i--) {
    if (Date.parse(series[i]!.t) <= r.startedAt) {
      idx = i;
      break;
    }
  }
  const width = s.bucket === 'hour' ? HOUR : 24 * HOUR;
  const inBucket =
    idx >= 0 &&
    (idx + 1 < series.length ? r.startedAt < Date.parse(series[idx + 1]!.t) : r.startedAt < Date.parse(series[idx]!.t) + width);
  if (inBucket) {
    const p = series[idx]!;
    series[idx] = {
      ...p,
      costNanoUsd: p.costNanoUsd + cost,
      requests: p.requests + 1,
      byModel: { ...p.byModel, [modelKey]: (p.byModel[modelKey] ?? 0) + cost },
      byProject: { ...p.byProject, [projectKey]: (p.byProject[projectKey] ?? 0) + cost },
    };
  }

  return {
    ...s,
    totals: addRecord(s.totals, r),
    byModel: addToGroups(s.byModel, modelKey, r),
    byProject: addToGroups(s.byProject, projectKey, r),
    bySession: s.bySession ? addToSessions(s.bySession, r.sessionId ?? '(none)', r) : undefined,
    // the team store's per-user groups (absent on the embedded store)
    ...(s.byUser && { byUser: addToGroups(s.byUser, r.user ?? '(none)', r) }),
    errors: addToErrors(s.errors, r),
    series,
  };
}

/**
 * Values derived from a RequestRecord that the daemon and the renderer must compute identically (the
 * store's keyset cursors and the renderer's placement of live records in a sorted list). Pure, no imports
 * but types, so the renderer can bundle it.
 */
import type { RequestRecord, RequestSort, SortOrder } from './contract.ts';

/** All tokens of a request: input + cache writes (5m, 1h) + cache read + output. */
export function totalTokens(r: Pick<RequestRecord, 'tokens'>): number {
  const t = r.tokens;
  return t.input + t.cacheWrite5m + t.cacheWrite1h + t.cacheRead + t.output;
}

/** A record's value for a sort of /api/requests (null = unpriced); the SQL sort expressions match it. */
export function sortValue(r: RequestRecord, sort: RequestSort): number | null {
  switch (sort) {
    case 'time':
      return r.startedAt;
    case 'cost':
      return r.costNanoUsd;
    case 'tokens':
      return totalTokens(r);
    case 'duration':
      return r.durationMs;
  }
}

/**
 * The daemon's order of /api/requests for `sort`/`order` (default time desc): by value, unpriced last for
 * cost in both orders, ties by id in the same direction. The store's SQL implements it (tested against
 * this); the renderer uses it to place live records in a sorted list.
 */
export function compareRecords(sort: RequestSort = 'time', order: SortOrder = 'desc'): (a: RequestRecord, b: RequestRecord) => number {
  const m = order === 'desc' ? -1 : 1;
  return (a, b) => {
    const x = sortValue(a, sort);
    const y = sortValue(b, sort);
    if (x === null || y === null) {
      if (x !== y) return x === null ? 1 : -1;
    } else if (x !== y) return (x - y) * m;
    return (a.id < b.id ? -1 : a.id > b.id ? 1 : 0) * m;
  };
}

/**
 * Data hooks over the ApiClient + live feed. Fetch on mount, on input change and after a live reconnect;
 * live records are folded in at once and confirmed by one debounced refetch. No polling.
 */
import { useEffect, useRef, useState } from 'react';
import type { RequestPage, RequestQuery, RequestRecord, Summary } from '../../../shared/contract.ts';
import type { RangeQuery } from '../api/client.ts';
import { applyRecord } from '../api/merge.ts';
import { useDaemon } from './daemon.tsx';
import { compareRecords } from '../../../shared/record-values.ts';
import { matchesStateFilter } from '../../../daemon/api/outcome.ts';

export interface Loadable<T> {
  data: T | null;
  error: string | null;
  loading: boolean;
}

const REFETCH_AFTER_LIVE_MS = 750;

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export function useSummary(q: RangeQuery): Loadable<Summary> {
  const { client, epoch, onRecord } = useDaemon();
  // A primed response that already arrived is shown by the first render; the fetch below then resolves to
  // that same object and changes nothing (no second render).
  const [state, setState] = useState<Loadable<Summary>>(() => {
    const data = client?.peekSummary(q) ?? null;
    return { data, error: null, loading: data === null };
  });
  const [refetch, setRefetch] = useState(0);
  const key = JSON.stringify(q);

  useEffect(() => {
    if (!client) return;
    const ac = new AbortController();
    const query = JSON.parse(key) as RangeQuery;
    const shown = client.peekSummary(query); // on screen already (first render), when it is what arrives
    setState((s) => (s.loading || (shown !== undefined && s.data === shown) ? s : { ...s, loading: true }));
    client
      .summary(query, ac.signal)
      .then((data) => setState((s) => (s.data === data && s.error === null && !s.loading ? s : { data, error: null, loading: false })))
      .catch((e: unknown) => {
        if (!ac.signal.aborted) setState((s) => ({ ...s, error: message(e), loading: false }));
      });
    return () => ac.abort();
  }, [client, key, epoch, refetch]);

  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | null = null;
    const off = onRecord((r) => {
      setState((s) => (s.data ? { ...s, data: applyRecord(s.data, r) } : s));
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => setRefetch((n) => n + 1), REFETCH_AFTER_LIVE_MS);
    });
    return () => {
      off();
      if (timer) clearTimeout(timer);
    };
  }, [onRecord]);

  return state;
}

function matches(q: RequestQuery, r: RequestRecord): boolean {
  if (q.model && r.model !== q.model && r.modelRequested !== q.model) return false;
  if (q.project && r.project !== q.project) return false;
  if (q.session && r.sessionId !== q.session) return false;
  if (q.user && (r.user ?? '(none)') !== q.user) return false;
  if (q.state && !matchesStateFilter(q.state, r)) return false;
  if (q.from !== undefined && r.startedAt < q.from) return false;
  if (q.to !== undefined && r.startedAt >= q.to) return false;
  return true;
}

/** The daemon's order (shared/record-values.ts), for the renderer's imports. */
export { compareRecords };

/**
 * Folds a live record into the loaded rows at its place in the list's order. A record that sorts after the
 * last loaded row while more pages exist is left out: a later page brings it.
 */
export function placeRecord(
  rows: RequestRecord[],
  r: RequestRecord,
  compare: (a: RequestRecord, b: RequestRecord) => number,
  more: boolean,
): RequestRecord[] {
  const rest = rows.filter((x) => x.id !== r.id);
  const at = rest.findIndex((x) => compare(r, x) < 0);
  if (at === -1) return more ? rest : [...rest, r];
  return [...rest.slice(0, at), r, ...rest.slice(at)];
}

export interface RequestsState extends Loadable<RequestRecord[]> {
  nextCursor: string | null;
  loadMore(): void;
}

/**
 * Request list in the server's order (`q.sort`/`q.order`, default newest first) with cursor paging; a new
 * query (filter or sort) starts again from the first page. Live records matching the filter are placed
 * where that order puts them.
 */
export function useRequests(q: RequestQuery, enabled = true): RequestsState {
  const { client, epoch, onRecord } = useDaemon();
  // As useSummary: a primed page that already arrived is the first render's state.
  const [first] = useState(() => (enabled ? client?.peekRequests(q) : undefined) ?? null);
  const [items, setItems] = useState<RequestRecord[] | null>(first?.items ?? null);
  const [nextCursor, setNextCursor] = useState<string | null>(first?.nextCursor ?? null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(first === null);
  const key = JSON.stringify(q);
  const pageAbort = useRef<AbortController | null>(null);
  const more = useRef(nextCursor !== null); // for the live handler: are there pages not loaded yet?
  useEffect(() => {
    more.current = nextCursor !== null;
  }, [nextCursor]);

  useEffect(() => {
    if (!client || !enabled) return;
    const ac = new AbortController();
    pageAbort.current?.abort();
    const query = JSON.parse(key) as RequestQuery;
    // the first render's page arriving again changes no state (no second render)
    if (first === null || client.peekRequests(query) !== first) setLoading(true);
    client
      .requests(query, ac.signal)
      .then((page: RequestPage) => {
        setItems(page.items);
        setNextCursor(page.nextCursor);
        setError(null);
        setLoading(false);
      })
      .catch((e: unknown) => {
        if (!ac.signal.aborted) {
          setError(message(e));
          setLoading(false);
        }
      });
    return () => ac.abort();
  }, [client, key, epoch, enabled, first]);

  useEffect(() => {
    const query = JSON.parse(key) as RequestQuery;
    const compare = compareRecords(query.sort, query.order);
    return onRecord((r) => {
      if (!matches(query, r)) return;
      setItems((prev) => (prev ? placeRecord(prev, r, compare, more.current) : prev));
    });
  }, [onRecord, key]);

  const loadMore = () => {
    if (!client || !nextCursor) return;
    const ac = new AbortController();
    pageAbort.current = ac;
    setLoading(true);
    client
      .requests({ ...(JSON.parse(key) as RequestQuery), cursor: nextCursor }, ac.signal)
      .then((page) => {
        setItems((prev) => {
          const seen = new Set((prev ?? []).map((x) => x.id));
          return [...(prev ?? []), ...page.items.filter((x) => !seen.has(x.id))];
        });
        setNextCursor(page.nextCursor);
        setLoading(false);
      })
      .catch((e: unknown) => {
        if (!ac.signal.aborted) {
          setError(message(e));
          setLoading(false);
        }
      });
  };

  return { data: items, error, loading, nextCursor, loadMore };
}

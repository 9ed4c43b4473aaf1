/**
 * The dashboard's range, stacking and filters live in the URL's query string (`?range=30d&by=project&
 * project=%2Fhome%2Fu%2Fapp`), so a reload, a bookmark or a shared link opens the same view. Parameters the
 * dashboard does not own (e.g. `view`) are kept; the hash stays the detail route.
 */
import { REQUEST_SORTS, REQUEST_STATES, SUMMARY_RANGES, type RequestQuery, type RequestState, type SummaryRange } from '../../../shared/contract.ts';
import type { RangeQuery } from '../api/client.ts';
import type { StackBy } from '../components/SpendChart.tsx';

export interface DashboardUrlState {
  range: RangeQuery;
  by: StackBy;
  filter: RequestQuery;
}

const OWNED = ['range', 'from', 'to', 'by', 'model', 'project', 'session', 'user', 'state', 'sort', 'order'] as const;
export const STATE_ERRORS = 'errors';

function int(v: string | null): number | null {
  if (v === null || !/^\d+$/.test(v)) return null;
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : null;
}

/** The state a query string describes; anything missing or invalid takes the default. */
export function readDashboardUrl(search: string, defaults: DashboardUrlState): DashboardUrlState {
  const p = new URLSearchParams(search);
  let range = defaults.range;
  const r = p.get('range');
  if (r === 'custom') {
    const from = int(p.get('from'));
    const to = int(p.get('to'));
    if (from !== null && to !== null && from < to) range = { range: 'custom', from, to };
  } else if (r !== null && (SUMMARY_RANGES as readonly string[]).includes(r)) {
    range = { range: r as SummaryRange };
  }
  const byParam = p.get('by');
  const by: StackBy = byParam === 'project' || byParam === 'model' ? byParam : defaults.by;
  const filter: RequestQuery = { ...defaults.filter };
  for (const k of ['model', 'project', 'session', 'user'] as const) {
    const v = p.get(k);
    if (v) filter[k] = v;
  }
  const state = p.get('state');
  if (state && (state === STATE_ERRORS || (REQUEST_STATES as readonly string[]).includes(state))) filter.state = state as RequestState;
  const sort = p.get('sort');
  if (sort && (REQUEST_SORTS as readonly string[]).includes(sort)) {
    filter.sort = sort as RequestQuery['sort'];
    filter.order = p.get('order') === 'asc' ? 'asc' : 'desc';
  }
  return { range, by, filter };
}

/** `search` with the dashboard's parameters replaced by `state` (defaults left out, others kept). */
export function writeDashboardUrl(search: string, state: DashboardUrlState, defaults: DashboardUrlState): string {
  const p = new URLSearchParams(search);
  for (const k of OWNED) p.delete(k);
  const { range, by, filter } = state;
  if (range.range === 'custom') {
    p.set('range', 'custom');
    p.set('from', String(range.from));
    p.set('to', String(range.to));
  } else if (range.range !== defaults.range.range) {
    p.set('range', range.range);
  }
  if (by !== defaults.by) p.set('by', by);
  for (const k of ['model', 'project', 'session', 'user', 'state'] as const) {
    const v = filter[k];
    if (v) p.set(k, v);
  }
  if (filter.sort && filter.sort !== 'time') {
    p.set('sort', filter.sort);
    p.set('order', filter.order ?? 'desc');
  } else if (filter.sort === 'time' && filter.order === 'asc') {
    p.set('sort', 'time');
    p.set('order', 'asc');
  }
  const s = p.toString();
  return s ? `?${s}` : '';
}

/**
 * Requests table: filters (model, project, session, state), column sorting over the loaded rows, and
 * cursor paging ("Load more") over the API. Unpriced requests are marked in the cost column.
 */
import { useMemo, useState } from 'react';
import type { RequestQuery, RequestRecord, RequestState } from '../../../daemon/api/contract.ts';
import { formatDuration, formatShortDateTime, formatTokens, shortModel, shortProject } from '../format.ts';
import { isUnpriced } from '../api/merge.ts';
import type { RequestsState } from '../hooks/data.ts';
import { Money } from './Money.tsx';

const STATES: RequestState[] = ['complete', 'error_event', 'truncated', 'client_aborted', 'upstream_error', 'proxy_error'];

type SortKey = 'time' | 'model' | 'project' | 'tokens' | 'cost' | 'duration' | 'state';
const sorters: Record<SortKey, (r: RequestRecord) => number | string> = {
  time: (r) => r.startedAt,
  model: (r) => r.model ?? r.modelRequested ?? '',
  project: (r) => r.project ?? '',
  tokens: (r) => totalTokens(r),
  cost: (r) => r.costNanoUsd ?? -1,
  duration: (r) => r.durationMs,
  state: (r) => r.state,
};

export function totalTokens(r: RequestRecord): number {
  const t = r.tokens;
  return t.input + t.cacheWrite5m + t.cacheWrite1h + t.cacheRead + t.output;
}

export function sortRecords(rows: RequestRecord[], key: SortKey, dir: 'asc' | 'desc'): RequestRecord[] {
  const f = sorters[key];
  const m = dir === 'asc' ? 1 : -1;
  return rows.slice().sort((a, b) => {
    const x = f(a);
    const y = f(b);
    return (x < y ? -1 : x > y ? 1 : 0) * m || (b.startedAt - a.startedAt);
  });
}

export interface RequestsTableProps {
  state: RequestsState;
  filter: RequestQuery;
  onFilter: (q: RequestQuery) => void;
  models: string[];
  projects: string[];
  onOpen: (id: string) => void;
}

export function RequestsTable({ state, filter, onFilter, models, projects, onOpen }: RequestsTableProps) {
  const [sort, setSort] = useState<{ key: SortKey; dir: 'asc' | 'desc' }>({ key: 'time', dir: 'desc' });
  const rows = useMemo(() => sortRecords(state.data ?? [], sort.key, sort.dir), [state.data, sort]);
  const set = (patch: Partial<RequestQuery>) => {
    const next: RequestQuery = { ...filter, ...patch };
    for (const k of Object.keys(next) as (keyof RequestQuery)[]) if (next[k] === '' || next[k] === undefined) delete next[k];
    onFilter(next);
  };
  const header = (key: SortKey, label: string, num = false) => {
    const active = sort.key === key;
    return (
      <th scope="col" className={num ? 'num' : undefined} aria-sort={active ? (sort.dir === 'asc' ? 'ascending' : 'descending') : 'none'}>
        <button
          type="button"
          className="sort"
          onClick={() => setSort({ key, dir: active && sort.dir === 'desc' ? 'asc' : 'desc' })}
        >
          {label}
          <span aria-hidden="true">{active ? (sort.dir === 'asc' ? ' ▲' : ' ▼') : ''}</span>
        </button>
      </th>
    );
  };

  return (
    <section className="panel requests" aria-labelledby="requests-title">
      <div className="panel-head">
        <h3 id="requests-title">Requests</h3>
        <div className="filters">
          <label>
            Model
            <select value={filter.model ?? ''} onChange={(e) => set({ model: e.target.value })}>
              <option value="">All</option>
              {models.map((m) => (
                <option key={m} value={m}>
                  {shortModel(m)}
                </option>
              ))}
            </select>
          </label>
          <label>
            Project
            <select value={filter.project ?? ''} onChange={(e) => set({ project: e.target.value })}>
              <option value="">All</option>
              {projects.map((p) => (
                <option key={p} value={p}>
                  {shortProject(p)}
                </option>
              ))}
            </select>
          </label>
          <label>
            Session
            <input
              type="search"
              placeholder="session id"
              defaultValue={filter.session ?? ''}
              onKeyDown={(e) => {
                if (e.key === 'Enter') set({ session: (e.target as HTMLInputElement).value.trim() });
              }}
              onBlur={(e) => set({ session: e.target.value.trim() })}
            />
          </label>
          <label>
            State
            <select value={filter.state ?? ''} onChange={(e) => set({ state: (e.target.value || undefined) as RequestState | undefined })}>
              <option value="">All</option>
              {STATES.map((s) => (
                <option key={s} value={s}>
                  {s.replace('_', ' ')}
                </option>
              ))}
            </select>
          </label>
        </div>
      </div>
      {state.error && <p className="error" role="alert">Could not load requests: {state.error}</p>}
      <div className="table-wrap">
        <table data-testid="requests-table">
          <thead>
            <tr>
              {header('time', 'Time')}
              {header('model', 'Model')}
              {header('project', 'Project')}
              {header('tokens', 'Tokens', true)}
              {header('cost', 'Cost', true)}
              {header('duration', 'Duration', true)}
              {header('state', 'State')}
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.id} className={isUnpriced(r) ? 'row-unpriced' : undefined} data-request-id={r.id}>
                <td>
                  <button type="button" className="link" onClick={() => onOpen(r.id)} aria-label={`Open request ${r.id}`}>
                    {formatShortDateTime(r.startedAt)}
                  </button>
                </td>
                <td title={r.model ?? r.modelRequested ?? ''}>{shortModel(r.model ?? r.modelRequested)}</td>
                <td title={r.project ?? ''}>{shortProject(r.project)}</td>
                <td className="num">{formatTokens(totalTokens(r))}</td>
                <td className="num">{r.billable || r.costNanoUsd !== null ? <Money nano={r.costNanoUsd} /> : <span className="muted">—</span>}</td>
                <td className="num">{formatDuration(r.durationMs)}</td>
                <td>
                  <span className={`state state-${r.state}`}>{r.state.replace('_', ' ')}</span>
                </td>
              </tr>
            ))}
            {rows.length === 0 && !state.loading && (
              <tr>
                <td colSpan={7} className="muted">
                  No requests match.
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
      <div className="panel-foot">
        <span className="muted">{rows.length} loaded</span>
        {state.nextCursor && (
          <button type="button" onClick={state.loadMore} disabled={state.loading}>
            {state.loading ? 'Loading…' : 'Load more'}
          </button>
        )}
      </div>
    </section>
  );
}

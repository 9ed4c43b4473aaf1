/**
 * Requests table: filters (model, project, session, state), server-side sorting (time, tokens, cost, duration:
 * a header click asks the daemon for the first page in that order) and cursor paging ("Load more") over the
 * API in the same order. Unpriced requests are marked in the cost column.
 */
import { STATE_FILTER_ERRORS, type RequestQuery, type RequestSort, type RequestState, type RequestStateFilter, type SortOrder } from '../../../shared/contract.ts';
import { formatDuration, formatShortDateTime, formatTokens, shortModel, shortProject } from '../format.ts';
import { isUnpriced } from '../api/merge.ts';
import type { RequestsState } from '../hooks/data.ts';
import { Money } from './Money.tsx';
import { OutcomeBadge } from './OutcomeBadge.tsx';
import { totalTokens } from '../../../shared/record-values.ts';

const STATES: RequestState[] = ['complete', 'error_event', 'truncated', 'client_aborted', 'upstream_error', 'proxy_error', 'refused'];


/**
 * The query after a click on `key`'s header: the active column flips its order, another column starts
 * descending (largest, newest first). The default (time desc) leaves sort/order out of the query.
 */
export function nextSort(filter: RequestQuery, key: RequestSort): RequestQuery {
  const sort = filter.sort ?? 'time';
  const order = filter.order ?? 'desc';
  const nextOrder: SortOrder = sort === key && order === 'desc' ? 'asc' : 'desc';
  const { sort: _s, order: _o, cursor: _c, ...rest } = filter;
  return key === 'time' && nextOrder === 'desc' ? rest : { ...rest, sort: key, order: nextOrder };
}

export interface RequestsTableProps {
  state: RequestsState;
  filter: RequestQuery;
  onFilter: (q: RequestQuery) => void;
  models: string[];
  projects: string[];
  /** Team store (PostgreSQL): the users of the range; given, the table offers a user filter. */
  users?: string[];
  /** Project label (the dashboard's unique-suffix labeller); default: the last path segment. */
  projectLabel?: (project: string | null) => string;
  onOpen: (id: string) => void;
}

export function RequestsTable({ state, filter, onFilter, models, projects, users, projectLabel = shortProject, onOpen }: RequestsTableProps) {
  const sort = filter.sort ?? 'time';
  const order = filter.order ?? 'desc';
  const rows = state.data ?? [];
  const set = (patch: Partial<RequestQuery>) => {
    const next: RequestQuery = { ...filter, ...patch };
    for (const k of Object.keys(next) as (keyof RequestQuery)[]) if (next[k] === '' || next[k] === undefined) delete next[k];
    onFilter(next);
  };
  const header = (key: RequestSort, label: string, num = false) => {
    const active = sort === key;
    return (
      <th scope="col" className={num ? 'num' : undefined} aria-sort={active ? (order === 'asc' ? 'ascending' : 'descending') : 'none'}>
        <button type="button" className="sort" onClick={() => onFilter(nextSort(filter, key))}>
          {label}
          <span aria-hidden="true">{active ? (order === 'asc' ? ' ▲' : ' ▼') : ''}</span>
        </button>
      </th>
    );
  };
  const plain = (label: string) => <th scope="col">{label}</th>;

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
                <option key={p} value={p} title={p}>
                  {projectLabel(p)}
                </option>
              ))}
            </select>
          </label>
          {users && (
            <label>
              User
              <select value={filter.user ?? ''} onChange={(e) => set({ user: e.target.value })}>
                <option value="">All</option>
                {users.map((u) => (
                  <option key={u} value={u}>
                    {u}
                  </option>
                ))}
              </select>
            </label>
          )}
          <label>
            Session
            <input
              key={filter.session ?? ''}
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
            <select value={filter.state ?? ''} onChange={(e) => set({ state: (e.target.value || undefined) as RequestStateFilter | undefined })}>
              <option value="">All</option>
              <option value={STATE_FILTER_ERRORS}>errors (any failure)</option>
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
              {plain('Model')}
              {plain('Project')}
              {header('tokens', 'Tokens', true)}
              {header('cost', 'Cost', true)}
              {header('duration', 'Duration', true)}
              {plain('State')}
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
                <td title={r.project ?? ''}>{projectLabel(r.project)}</td>
                <td className="num">{formatTokens(totalTokens(r))}</td>
                <td className="num">
                  {r.billable || r.costNanoUsd !== null ? <Money nano={r.costNanoUsd} reason={r.unpricedReason} /> : <span className="muted">—</span>}
                  {r.cacheHit ? <span className="muted small" title="answered from CCO's response cache"> (cached)</span> : null}
                </td>
                <td className="num">{formatDuration(r.durationMs)}</td>
                <td>
                  <OutcomeBadge record={r} />
                  {(r.seenBy === 'both' || r.source === 'history') && (
                    <span
                      className="source-tag muted small"
                      title={r.seenBy === 'both' ? 'Recorded by the proxy and shown in a Claude Code transcript (counted once)' : 'Imported from a Claude Code transcript (did not go through CCO)'}
                    >
                      {r.seenBy === 'both' ? ' · proxy + transcript' : ' · transcript'}
                    </span>
                  )}
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

/**
 * One Claude Code session (hash route `#/sessions/<id>`): what it was (project, start, duration, requests,
 * cost) and its requests in order with the cache story: how much of each request's prompt came from the
 * cache (read), was written to it (5m/1h), or was sent uncached.
 */
import { useEffect, useMemo, useRef } from 'react';
import type { RequestQuery, TokenCounts } from '../../../shared/contract.ts';
import type { RangeQuery } from '../api/client.ts';
import { formatCount, formatShortDateTime, formatSpan, formatTokens, shortModel } from '../format.ts';
import { useRequests, useSummary } from '../hooks/data.ts';
import { groupCost, Money, UnpricedCount } from './Money.tsx';
import { OutcomeBadge } from './OutcomeBadge.tsx';
import { ErrorCount } from './ErrorCount.tsx';
import { CacheHits } from './Breakdown.tsx';

/** Share of the prompt read from the cache: read ÷ (read + uncached input + writes); null with no prompt. */
export function cacheReadShare(t: TokenCounts): number | null {
  const prompt = t.cacheRead + t.input + t.cacheWrite5m + t.cacheWrite1h;
  return prompt === 0 ? null : t.cacheRead / prompt;
}

function percent(x: number | null): string {
  return x === null ? '—' : `${Math.round(x * 100)}%`;
}

function CacheBar({ t }: { t: TokenCounts }) {
  const prompt = t.cacheRead + t.input + t.cacheWrite5m + t.cacheWrite1h;
  if (prompt === 0) return null;
  const w = (n: number) => `${(100 * n) / prompt}%`;
  return (
    <span className="cache-bar" aria-hidden="true">
      <span className="read" style={{ width: w(t.cacheRead) }} />
      <span className="write" style={{ width: w(t.cacheWrite5m + t.cacheWrite1h) }} />
      <span className="input" style={{ width: w(t.input) }} />
    </span>
  );
}

export function SessionView({
  id,
  onClose,
  onOpenRequest,
  projectLabel,
}: {
  id: string;
  onClose: () => void;
  onOpenRequest: (requestId: string) => void;
  projectLabel: (project: string | null) => string;
}) {
  const range = useMemo<RangeQuery>(() => ({ range: 'all', session: id }), [id]);
  const summary = useSummary(range);
  const query = useMemo<RequestQuery>(() => ({ session: id, sort: 'time', order: 'asc', limit: 500 }), [id]);
  const requests = useRequests(query);
  const ref = useRef<HTMLElement>(null);
  useEffect(() => ref.current?.scrollIntoView?.({ block: 'start' }), [id]);

  const s = summary.data;
  const info = s?.bySession?.find((g) => g.key === id);
  const t = s?.totals;
  const rows = requests.data ?? [];
  return (
    <section ref={ref} className="panel session-view" aria-labelledby="session-title" data-testid="session-view">
      <div className="panel-head">
        <h2 id="session-title">
          Session {info ? projectLabel(info.project) : ''} <span className="mono muted small">{id.slice(0, 8)}</span>
        </h2>
        <button type="button" onClick={onClose} aria-label="Close session">
          Close
        </button>
      </div>
      {summary.error && <p className="error" role="alert">Could not load the session: {summary.error}</p>}
      {t && (
        <dl className="kv small">
          <dt>Project</dt>
          <dd title={info?.project ?? ''}>{info?.project ?? '(none)'}</dd>
          <dt>Started</dt>
          <dd>{info?.firstAt != null ? formatShortDateTime(info.firstAt) : '—'}</dd>
          <dt>Duration</dt>
          <dd>{info?.firstAt != null && info.lastAt != null ? formatSpan(info.lastAt - info.firstAt) : '—'}</dd>
          <dt>Requests</dt>
          <dd>
            {formatCount(t.requests)}
            <CacheHits hits={t.responseCacheHits} saved={t.responseCacheSavedNanoUsd} /> <ErrorCount errors={s.errors} />
          </dd>
          <dt>Cost</dt>
          <dd data-testid="session-cost">
            <Money nano={groupCost(t)} /> {groupCost(t) !== null && <UnpricedCount count={t.unpricedRequests} />}
          </dd>
          <dt>Cache</dt>
          <dd data-testid="session-cache">
            {percent(cacheReadShare(t.tokens))} of the prompt read from the cache · saved <Money nano={t.cacheSavingsNanoUsd} /> · written{' '}
            {formatTokens(t.tokens.cacheWrite5m)} (5m) + {formatTokens(t.tokens.cacheWrite1h)} (1h)
          </dd>
        </dl>
      )}
      <div className="table-wrap">
        <table data-testid="session-requests">
          <thead>
            <tr>
              <th scope="col">Time</th>
              <th scope="col">Model</th>
              <th scope="col" className="num">Input</th>
              <th scope="col" className="num">Cache write</th>
              <th scope="col" className="num">Cache read</th>
              <th scope="col" className="num">Output</th>
              <th scope="col">From cache</th>
              <th scope="col" className="num">Cost</th>
              <th scope="col">State</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.id} data-request-id={r.id}>
                <td>
                  <button type="button" className="link" onClick={() => onOpenRequest(r.id)}>
                    {formatShortDateTime(r.startedAt)}
                  </button>
                </td>
                <td>{shortModel(r.model ?? r.modelRequested)}</td>
                <td className="num">{formatTokens(r.tokens.input)}</td>
                <td className="num">{formatTokens(r.tokens.cacheWrite5m + r.tokens.cacheWrite1h)}</td>
                <td className="num">{formatTokens(r.tokens.cacheRead)}</td>
                <td className="num">{formatTokens(r.tokens.output)}</td>
                <td>
                  <CacheBar t={r.tokens} /> {percent(cacheReadShare(r.tokens))}
                </td>
                <td className="num">
                  <Money nano={r.costNanoUsd} reason={r.unpricedReason} />
                </td>
                <td>
                  <OutcomeBadge record={r} />
                </td>
              </tr>
            ))}
            {rows.length === 0 && !requests.loading && (
              <tr>
                <td colSpan={9} className="muted">
                  No requests kept for this session (detail past retention).
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
    </section>
  );
}

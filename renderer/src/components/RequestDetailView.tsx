/** One request: usage, cost breakdown, price version, timings, terminal state. No headers, no secrets. */
import { useEffect, useRef, useState } from 'react';
import type { RequestDetail } from '../../../daemon/api/contract.ts';
import { formatCount, formatDateTime, formatDuration } from '../format.ts';
import { useDaemon } from '../hooks/daemon.tsx';
import { Money } from './Money.tsx';

export function RequestDetailView({ id, onClose }: { id: string; onClose: () => void }) {
  const { client } = useDaemon();
  const [detail, setDetail] = useState<RequestDetail | null>(null);
  const [error, setError] = useState<string | null>(null);
  const closeRef = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    if (!client) return;
    const ac = new AbortController();
    setDetail(null);
    setError(null);
    client
      .request(id, ac.signal)
      .then(setDetail)
      .catch((e: unknown) => {
        if (!ac.signal.aborted) setError(e instanceof Error ? e.message : String(e));
      });
    return () => ac.abort();
  }, [client, id]);

  useEffect(() => {
    closeRef.current?.focus();
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') onClose();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [onClose]);

  const d = detail;
  return (
    <div className="overlay" onClick={onClose}>
      <aside
        className="detail"
        role="dialog"
        aria-modal="true"
        aria-labelledby="detail-title"
        onClick={(e) => e.stopPropagation()}
        data-testid="request-detail"
      >
        <div className="panel-head">
          <h2 id="detail-title">Request</h2>
          <button type="button" ref={closeRef} onClick={onClose} aria-label="Close request detail">
            Close
          </button>
        </div>
        <p className="mono muted">{id}</p>
        {error && <p className="error" role="alert">Could not load: {error}</p>}
        {!d && !error && <p className="muted">Loading…</p>}
        {d && (
          <>
            <dl className="kv">
              <dt>State</dt>
              <dd>
                <span className={`state state-${d.state}`}>{d.state.replace('_', ' ')}</span>
                {d.errorType ? <span className="muted"> ({d.errorType})</span> : null}
              </dd>
              <dt>Model</dt>
              <dd>{d.model ?? d.modelRequested ?? '(unknown)'}</dd>
              <dt>Cost</dt>
              <dd>
                <Money nano={d.costNanoUsd} precise />
                {d.unpricedReason ? <span className="muted"> — {d.unpricedReason}</span> : null}
              </dd>
              <dt>Price version</dt>
              <dd>{d.priceVersion ?? '—'}</dd>
              <dt>Cache savings</dt>
              <dd>
                <Money nano={d.cacheSavingsNanoUsd} precise />
              </dd>
              <dt>Started</dt>
              <dd>{formatDateTime(d.startedAt)}</dd>
              <dt>Time to first byte</dt>
              <dd>{formatDuration(d.ttfbMs)}</dd>
              <dt>Duration</dt>
              <dd>{formatDuration(d.durationMs)}</dd>
              <dt>HTTP</dt>
              <dd>
                {d.method} {d.path} → {d.status ?? '—'} {d.stream ? '(stream)' : ''}
              </dd>
              <dt>Project</dt>
              <dd>{d.project ?? '(none)'}</dd>
              <dt>Session</dt>
              <dd className="mono">{d.sessionId ?? '—'}</dd>
              <dt>Client</dt>
              <dd>{d.client ?? '—'}</dd>
              {d.serviceTier ? (
                <>
                  <dt>Service tier</dt>
                  <dd>
                    {d.serviceTier}
                    {d.speed ? ` · ${d.speed}` : ''}
                    {d.inferenceGeo ? ` · ${d.inferenceGeo}` : ''}
                  </dd>
                </>
              ) : null}
            </dl>
            <h3>Usage and cost</h3>
            <table className="breakdown-table">
              <thead>
                <tr>
                  <th scope="col">Category</th>
                  <th scope="col" className="num">Tokens</th>
                  <th scope="col" className="num">Cost</th>
                </tr>
              </thead>
              <tbody>
                {(
                  [
                    ['Input', d.tokens.input, d.breakdown?.input],
                    ['Cache write 5m', d.tokens.cacheWrite5m, d.breakdown?.cacheWrite5m],
                    ['Cache write 1h', d.tokens.cacheWrite1h, d.breakdown?.cacheWrite1h],
                    ['Cache read', d.tokens.cacheRead, d.breakdown?.cacheRead],
                    ['Output', d.tokens.output, d.breakdown?.output],
                  ] as const
                ).map(([label, tokens, cost]) => (
                  <tr key={label}>
                    <th scope="row">{label}</th>
                    <td className="num">{formatCount(tokens)}</td>
                    <td className="num">{cost === undefined ? '—' : <Money nano={cost} precise />}</td>
                  </tr>
                ))}
                {d.webSearchRequests > 0 && (
                  <tr>
                    <th scope="row">Web searches</th>
                    <td className="num">{formatCount(d.webSearchRequests)}</td>
                    <td className="num">{d.breakdown ? <Money nano={d.breakdown.webSearch} precise /> : '—'}</td>
                  </tr>
                )}
              </tbody>
            </table>
            {d.thinkingTokens > 0 && <p className="muted">Of the output, {formatCount(d.thinkingTokens)} thinking tokens.</p>}
            {d.multipliers && Object.keys(d.multipliers).length > 0 && (
              <p className="muted">
                Multipliers:{' '}
                {Object.entries(d.multipliers)
                  .map(([k, v]) => `${k} ×${v}`)
                  .join(', ')}
              </p>
            )}
          </>
        )}
      </aside>
    </div>
  );
}

/**
 * One request: usage, cost breakdown, price version, timings, terminal state. No headers, no secrets.
 * A native modal `<dialog>` (showModal): focus stays inside while it is open, the page behind is inert,
 * Escape closes it; on close focus goes back to the row that opened it.
 */
import { useEffect, useLayoutEffect, useRef, useState, type MouseEvent } from 'react';
import type { RequestDetail } from '../../../shared/contract.ts';
import { formatCount, formatDateTime, formatDuration } from '../format.ts';
import { useDaemon } from '../hooks/daemon.tsx';
import { Money, unpricedExplanation } from './Money.tsx';
import { OutcomeBadge } from './OutcomeBadge.tsx';

/** The element to give focus back to: the opener if it is still there, else the table row's button. */
function returnTarget(opener: HTMLElement | null, id: string): HTMLElement | null {
  if (opener?.isConnected) return opener;
  const row = Array.from(document.querySelectorAll<HTMLElement>('tr[data-request-id]')).find((tr) => tr.dataset.requestId === id);
  return row?.querySelector<HTMLElement>('button') ?? null;
}

export function RequestDetailView({ id, onClose }: { id: string; onClose: () => void }) {
  const { client } = useDaemon();
  const [detail, setDetail] = useState<RequestDetail | null>(null);
  const [error, setError] = useState<string | null>(null);
  const closeRef = useRef<HTMLButtonElement>(null);
  const dialogRef = useRef<HTMLDialogElement>(null);
  const onCloseRef = useRef(onClose);
  const idRef = useRef(id);
  useEffect(() => {
    onCloseRef.current = onClose;
    idRef.current = id;
  });

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

  // Before the first paint: open as a modal, focus Close; on unmount close and give focus back.
  useLayoutEffect(() => {
    const dlg = dialogRef.current;
    if (!dlg) return;
    const active = document.activeElement;
    const opener = active instanceof HTMLElement && active !== document.body ? active : null;
    const modal = typeof dlg.showModal === 'function';
    // Without modal dialogs (jsdom has none) it opens non-modal and Escape is a plain keydown.
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') onCloseRef.current();
    };
    if (modal) {
      if (!dlg.open) dlg.showModal();
    } else {
      dlg.setAttribute('open', '');
      window.addEventListener('keydown', onKey);
    }
    closeRef.current?.focus();
    return () => {
      window.removeEventListener('keydown', onKey);
      if (modal && dlg.open) dlg.close();
      returnTarget(opener, idRef.current)?.focus();
    };
  }, []);

  /** A click on the backdrop (outside the panel's box) closes, as the overlay did. */
  const onDialogClick = (e: MouseEvent<HTMLDialogElement>) => {
    if (e.target !== e.currentTarget) return;
    const r = e.currentTarget.getBoundingClientRect();
    if (e.clientX < r.left || e.clientX > r.right || e.clientY < r.top || e.clientY > r.bottom) onClose();
  };

  const d = detail;
  return (
    <dialog
      ref={dialogRef}
      className="detail"
      aria-labelledby="detail-title"
      onCancel={(e) => {
        e.preventDefault(); // Escape: the route closes it (unmount), which also returns focus
        onClose();
      }}
      onClick={onDialogClick}
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
              <OutcomeBadge record={d} />
              {d.errorType ? <span className="muted"> ({d.errorType})</span> : null}
            </dd>
            <dt>Model</dt>
            <dd>{d.model ?? d.modelRequested ?? '(unknown)'}</dd>
            <dt>Cost</dt>
            <dd>
              <Money nano={d.costNanoUsd} precise reason={d.unpricedReason} />
              {d.unpricedReason ? <span className="muted"> — {unpricedExplanation(d.unpricedReason)}</span> : null}
              {d.cacheHit ? (
                <span className="muted" data-testid="response-cache-hit">
                  {' '}— answered from CCO's response cache (never sent upstream); it would have cost <Money nano={d.cacheSavingsNanoUsd} precise />
                </span>
              ) : null}
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
            <dt>Git branch</dt>
            <dd className="mono" data-testid="detail-git-branch">{d.gitBranch ?? '—'}</dd>
            <dt>Thread</dt>
            <dd data-testid="detail-thread">
              {d.isSidechain === null ? '—' : d.isSidechain ? 'subagent (sidechain)' : 'main'}
              {d.agentId ? <span className="mono muted"> · agent {d.agentId}</span> : null}
            </dd>
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
    </dialog>
  );
}

/**
 * Claude Code history on the dashboard: the import's progress (from live `import` messages), the
 * "imported N requests from your Claude Code history" notice, and the reconciliation of the selected range
 * (GET /api/reconcile): what both sides saw, what only the proxy saw (and why), what bypassed the proxy.
 */
import { useEffect, useState } from 'react';
import type { ImportStatus, ProxyOnlyReason, ReconcileCell, ReconcileReport } from '../../../shared/contract.ts';
import type { RangeQuery } from '../api/client.ts';
import { formatCount, formatTokens } from '../format.ts';
import { useDaemon } from '../hooks/daemon.tsx';
import { Money } from './Money.tsx';

const MB = 1024 * 1024;
const REASONS: Record<ProxyOnlyReason, string> = {
  'title-or-side-call': 'title / side calls (no project)',
  subagent: 'subagent requests without a transcript record',
  'other-client': 'other clients (not Claude Code)',
  'no-transcript-line': 'no transcript line',
};
const DISMISSED = 'cco:history-notice-dismissed';

export function ImportProgressBar({ status }: { status: ImportStatus }) {
  const p = status.progress;
  if (!status.running || !p || p.bytesTotal === 0) return null;
  const pct = Math.min(100, Math.round((p.bytesDone / p.bytesTotal) * 100));
  return (
    <div className="import-progress" role="status" data-testid="import-progress">
      Importing Claude Code history: {p.filesDone}/{p.filesTotal} files, {(p.bytesDone / MB).toFixed(0)}/{(p.bytesTotal / MB).toFixed(0)} MB,{' '}
      {formatCount(p.imported)} requests
      <progress max={100} value={pct} aria-label="Import progress" />
    </div>
  );
}

export function ImportNotice({ status }: { status: ImportStatus }) {
  const first = status.firstImport;
  const [dismissed, setDismissed] = useState(() => {
    try {
      return localStorage.getItem(DISMISSED) === String(first?.finishedAt);
    } catch {
      return false;
    }
  });
  if (!first || first.imported === 0 || dismissed) return null;
  return (
    <div className="notice" role="status" data-testid="import-notice">
      Imported {formatCount(first.imported)} requests from your Claude Code history.
      <button
        type="button"
        className="link"
        onClick={() => {
          setDismissed(true);
          try {
            localStorage.setItem(DISMISSED, String(first.finishedAt));
          } catch {
            /* private mode */
          }
        }}
      >
        Dismiss
      </button>
    </div>
  );
}

function Cell({ c }: { c: ReconcileCell }) {
  return c.requests ? (
    <>
      {formatCount(c.requests)} · <Money nano={c.costNanoUsd} />
    </>
  ) : (
    <span className="muted">–</span>
  );
}

export function ReconcileView({ report }: { report: ReconcileReport }) {
  const t = report.totals;
  const d = t.tokenDiff;
  const diffs = (Object.entries(d) as [string, number][]).filter(([, v]) => v !== 0);
  return (
    <>
      <p data-testid="reconcile-answer" className={report.allThroughProxy ? 'ok' : 'warn'}>
        {report.allThroughProxy
          ? 'Everything in your Claude Code transcripts went through CCO.'
          : `${formatCount(t.transcriptOnly.requests)} requests in your transcripts did not go through CCO.`}
      </p>
      <div className="cards">
        <div className="card" data-testid="reconcile-both">
          <div className="label">Seen by both</div>
          <Cell c={t.both} />
        </div>
        <div className="card" data-testid="reconcile-proxy-only">
          <div className="label">Proxy only</div>
          <Cell c={t.proxyOnly} />
          <ul className="small muted">
            {report.proxyOnlyReasons.map((r) => (
              <li key={r.reason}>
                {REASONS[r.reason]}: {formatCount(r.requests)}
              </li>
            ))}
          </ul>
        </div>
        <div className="card" data-testid="reconcile-transcript-only">
          <div className="label">Transcripts only (bypassed CCO)</div>
          <Cell c={t.transcriptOnly} />
          <ul className="small muted">
            {report.transcriptOnlySessions.slice(0, 5).map((s) => (
              <li key={s.sessionId} title={s.sessionId}>
                {s.project}: {formatCount(s.requests)}
              </li>
            ))}
          </ul>
        </div>
      </div>
      {diffs.length > 0 && (
        <p className="small muted">
          Matched pairs, proxy − transcript ({formatCount(t.pairsDiffering)} differ): {diffs.map(([k, v]) => `${k} ${v > 0 ? '+' : ''}${formatTokens(v)}`).join(', ')}
        </p>
      )}
      {report.byDayModel.length > 0 && (
        <details>
          <summary>Per day and model</summary>
          <table className="table small">
            <thead>
              <tr>
                <th>Day</th>
                <th>Model</th>
                <th>Both</th>
                <th>Proxy only</th>
                <th>Transcripts only</th>
                <th>Token diff</th>
              </tr>
            </thead>
            <tbody>
              {report.byDayModel.map((x) => (
                <tr key={`${x.day} ${x.model}`}>
                  <td>{x.day}</td>
                  <td>{x.model}</td>
                  <td><Cell c={x.both} /></td>
                  <td><Cell c={x.proxyOnly} /></td>
                  <td><Cell c={x.transcriptOnly} /></td>
                  <td>{x.pairsDiffering ? `${x.pairsDiffering} pairs` : '–'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </details>
      )}
    </>
  );
}

/** The dashboard panel: progress, notice, and the reconciliation of `range` (refetched when data changes). */
export function HistoryPanel({ range }: { range: RangeQuery }) {
  const { client, importStatus: liveStatus, epoch } = useDaemon();
  // The status as the panel opened (only the dashboard asks: the popover makes no extra request), then live.
  const [initial, setInitial] = useState<ImportStatus | null>(null);
  useEffect(() => {
    if (!client) return;
    const ac = new AbortController();
    client.importStatus(ac.signal).then(setInitial, () => undefined);
    return () => ac.abort();
  }, [client]);
  const importStatus = liveStatus ?? initial;
  const [report, setReport] = useState<ReconcileReport | null>(null);
  const [error, setError] = useState<string | null>(null);
  const key = JSON.stringify(range);
  const lastRun = importStatus?.last?.durationMs;
  const hasImport = importStatus !== null;
  useEffect(() => {
    if (!client || !hasImport) return;
    const ac = new AbortController();
    client.reconcile(JSON.parse(key) as RangeQuery, ac.signal).then(
      (r) => {
        setReport(r);
        setError(null);
      },
      (e: unknown) => {
        if (!ac.signal.aborted) setError(e instanceof Error ? e.message : String(e));
      },
    );
    return () => ac.abort();
    // lastRun: a finished import changes the figures.
  }, [client, key, epoch, hasImport, lastRun]);
  if (!importStatus) return null;
  return (
    <section className="panel history" aria-labelledby="history-title">
      <div className="panel-head">
        <h3 id="history-title">Proxy and Claude Code history</h3>
      </div>
      <ImportNotice status={importStatus} />
      <ImportProgressBar status={importStatus} />
      {error && <p className="error" role="alert">Could not load reconciliation: {error}</p>}
      {report && <ReconcileView report={report} />}
    </section>
  );
}

/**
 * Full dashboard: range picker, totals with cache savings and unpriced count, spend over time stacked by
 * model or project, breakdowns, the requests table, request detail (hash route #/requests/<id>), export.
 */
import { useCallback, useDeferredValue, useEffect, useState } from 'react';
import type { PriceTableInfo, RequestQuery } from '../../../daemon/api/contract.ts';
import type { RangeQuery } from '../api/client.ts';
import { Breakdown } from '../components/Breakdown.tsx';
import { EmptyState } from '../components/EmptyState.tsx';
import { LiveStatus } from '../components/LiveStatus.tsx';
import { Money, UnpricedCount } from '../components/Money.tsx';
import { RangePicker } from '../components/RangePicker.tsx';
import { RequestDetailView } from '../components/RequestDetailView.tsx';
import { RequestsTable } from '../components/RequestsTable.tsx';
import { SpendChart, type StackBy } from '../components/SpendChart.tsx';
import { ExportButtons } from '../components/ExportButtons.tsx';
import { HistoryPanel } from '../components/HistoryPanel.tsx';
import { CachePanel } from '../components/CachePanel.tsx';
import { LimitsPanel } from '../components/LimitsPanel.tsx';
import { formatCount, formatTokens } from '../format.ts';
import { requestDetailHash } from '../bridge.ts';
import { useDaemon } from '../hooks/daemon.tsx';
import { useRequests, useSummary } from '../hooks/data.ts';
import { useHashRoute } from '../hooks/route.ts';
import { DASHBOARD_ANY, DASHBOARD_DEFAULT_RANGE } from './queries.ts';


export function Dashboard() {
  const { client, live, version, error } = useDaemon();
  const [range, setRange] = useState<RangeQuery>(DASHBOARD_DEFAULT_RANGE);
  const [by, setBy] = useState<StackBy>('model');
  const [filter, setFilter] = useState<RequestQuery>({});
  const [prices, setPrices] = useState<PriceTableInfo | null>(null);
  const summary = useSummary(range);
  // Preset ranges are open-ended ("up to now"), so live requests keep matching the table's filter.
  const span = summary.data
    ? range.range === 'custom'
      ? { from: Date.parse(summary.data.from), to: Date.parse(summary.data.to) }
      : { from: Date.parse(summary.data.from) }
    : null;
  // The table waits for the summary (its time span), so the first chart does not share the store with it.
  const requests = useRequests({ ...filter, ...(span ?? {}), limit: 50 }, span !== null);
  const any = useRequests(DASHBOARD_ANY);
  const [hash, setHash] = useHashRoute();
  const detailId = /^#\/requests\/(.+)$/.exec(hash)?.[1];

  useEffect(() => {
    performance.mark('cco:dashboard-mounted');
  }, []);
  useEffect(() => {
    if (s && performance.getEntriesByName('cco:summary-shown').length === 0) performance.mark('cco:summary-shown');
  });

  useEffect(() => {
    if (!client) return;
    const ac = new AbortController();
    client.prices(ac.signal).then(setPrices, () => setPrices(null));
    return () => ac.abort();
  }, [client]);

  const openDetail = useCallback((id: string) => setHash(requestDetailHash(id)), [setHash]);
  const byModel = useCallback((k: string) => setFilter((f) => ({ ...f, model: k })), []);
  const byProject = useCallback((k: string) => setFilter((f) => ({ ...f, project: k })), []);
  const bySession = useCallback((k: string) => setFilter((f) => ({ ...f, session: k })), []);
  const closeDetail = useCallback(() => setHash(''), [setHash]);

  const s = summary.data;
  // Breakdowns render after the chart and totals (a deferred, interruptible render), also when the first
  // render already has the summary (primed): they start from null.
  const ds = useDeferredValue(s, null);
  const t = s?.totals;
  const empty = any.data !== null && any.data.length === 0;

  return (
    <div className="dashboard">
      <header className="dash-head">
        <h1>CCO</h1>
        <span className="muted">Claude Code spend</span>
        <span className="spacer" />
        {prices && (
          <span className="muted" title={`Price table ${prices.version}`}>
            Prices as of {prices.asOf}
          </span>
        )}
        <LiveStatus state={live} version={version} />
      </header>
      {error && <p className="error" role="alert">Daemon not reachable: {error}</p>}
      <div className="toolbar">
        <RangePicker value={range} onChange={setRange} />
        {client && <ExportButtons client={client} filter={{ ...filter, ...(span ?? {}) }} />}
      </div>

      {empty && client && <EmptyState port={client.port} />}

      <section className="cards" aria-label="Totals">
        <div className="card">
          <div className="label">Spend</div>
          <div className="big" data-testid="range-total">{t ? <Money nano={t.costNanoUsd} /> : '…'}</div>
          {t && <UnpricedCount count={t.unpricedRequests} />}
        </div>
        <div className="card">
          <div className="label">Requests</div>
          <div className="mid" data-testid="range-requests">{t ? formatCount(t.requests) : '…'}</div>
        </div>
        <div className="card">
          <div className="label">Cache savings</div>
          <div className="mid" data-testid="range-savings">{t ? <Money nano={t.cacheSavingsNanoUsd} /> : '…'}</div>
          <div className="muted small">cache reads vs. full input price, and response-cache hits</div>
        </div>
        <div className="card tokens">
          <div className="label">Tokens</div>
          {t ? (
            <dl className="kv small">
              <dt>Input</dt>
              <dd>{formatTokens(t.tokens.input)}</dd>
              <dt>Cache write 5m</dt>
              <dd>{formatTokens(t.tokens.cacheWrite5m)}</dd>
              <dt>Cache write 1h</dt>
              <dd>{formatTokens(t.tokens.cacheWrite1h)}</dd>
              <dt>Cache read</dt>
              <dd>{formatTokens(t.tokens.cacheRead)}</dd>
              <dt>Output</dt>
              <dd>{formatTokens(t.tokens.output)}</dd>
            </dl>
          ) : (
            '…'
          )}
        </div>
      </section>

      <LimitsPanel />

      <section className="panel" aria-labelledby="chart-title">
        <div className="panel-head">
          <h3 id="chart-title">Spend over time{s ? ` (per ${s.bucket})` : ''}</h3>
          <div className="seg-group" role="radiogroup" aria-label="Stack by">
            {(['model', 'project'] as const).map((k) => (
              <button key={k} type="button" role="radio" aria-checked={by === k} className={by === k ? 'seg active' : 'seg'} onClick={() => setBy(k)}>
                by {k}
              </button>
            ))}
          </div>
        </div>
        {summary.error && <p className="error" role="alert">Could not load summary: {summary.error}</p>}
        {s ? <SpendChart summary={s} by={by} /> : <div className="chart placeholder" />}
      </section>

      {ds && (
        <div className="breakdowns">
          <Breakdown title="By model" kind="model" groups={ds.byModel} onSelect={byModel} />
          <Breakdown title="By project" kind="project" groups={ds.byProject} onSelect={byProject} />
          {ds.bySession && <Breakdown title="By session" kind="session" groups={ds.bySession} onSelect={bySession} />}
        </div>
      )}

      <HistoryPanel range={range} />
      <CachePanel range={range} />

      <RequestsTable
        state={requests}
        filter={filter}
        onFilter={setFilter}
        models={ds?.byModel.map((g) => g.key) ?? []}
        projects={ds?.byProject.map((g) => g.key) ?? []}
        onOpen={openDetail}
      />

      {detailId && <RequestDetailView id={decodeURIComponent(detailId)} onClose={closeDetail} />}
    </div>
  );
}

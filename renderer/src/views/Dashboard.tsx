/**
 * Full dashboard: range picker, totals with cache savings and unpriced count, spend over time stacked by
 * model or project, breakdowns, the requests table, request detail (hash route #/requests/<id>), export.
 * Logged in with a user token (team gateway), the daemon narrows every figure to that user; the dashboard
 * names them and leaves out what only the admin may see (by-user breakdown and filter, limits, history
 * import, response cache).
 */
import { useCallback, useDeferredValue, useEffect, useMemo, useState } from 'react';
import type { PriceTableInfo, RequestQuery } from '../../../shared/contract.ts';
import type { RangeQuery } from '../api/client.ts';
import { Breakdown } from '../components/Breakdown.tsx';
import { EmptyState } from '../components/EmptyState.tsx';
import { LiveStatus } from '../components/LiveStatus.tsx';
import { StatusBanner } from '../components/StatusBanner.tsx';
import { Money, UnpricedCount } from '../components/Money.tsx';
import { RangePicker } from '../components/RangePicker.tsx';
import { RequestDetailView } from '../components/RequestDetailView.tsx';
import { RequestsTable } from '../components/RequestsTable.tsx';
import { SpendChart, type StackBy } from '../components/SpendChart.tsx';
import { ExportButtons } from '../components/ExportButtons.tsx';
import { HistoryPanel } from '../components/HistoryPanel.tsx';
import { CachePanel } from '../components/CachePanel.tsx';
import { LimitsPanel, UserBudgetsPanel } from '../components/LimitsPanel.tsx';
import { formatClock, formatCount, formatTokens } from '../format.ts';
import { useNowEvery } from '../hooks/now.ts';
import { requestDetailHash } from '../bridge.ts';
import { useDaemon } from '../hooks/daemon.tsx';
import { useRequests, useSummary } from '../hooks/data.ts';
import { useHashRoute } from '../hooks/route.ts';
import { DASHBOARD_ANY, DASHBOARD_DEFAULT_RANGE } from './queries.ts';
import { readDashboardUrl, writeDashboardUrl, type DashboardUrlState } from '../hooks/url-state.ts';
import { projectLabeler } from '../../../daemon/api/project-labels.ts';
import { STATE_FILTER_ERRORS } from '../../../shared/contract.ts';
import { ErrorCount } from '../components/ErrorCount.tsx';
import { SessionsTable } from '../components/SessionsTable.tsx';
import { SessionView } from '../components/SessionView.tsx';
import { ViewerBadge } from '../components/ViewerBadge.tsx';
import { isUserView, useViewer } from '../hooks/viewer.ts';

const URL_DEFAULTS: DashboardUrlState = { range: DASHBOARD_DEFAULT_RANGE, by: 'model', filter: {} };

/** "just now", "4 min ago", "2 h ago". */
export function staleAge(ms: number): string {
  if (ms < 60_000) return 'just now';
  if (ms < 3_600_000) return `${Math.floor(ms / 60_000)} min ago`;
  return `${Math.floor(ms / 3_600_000)} h ago`;
}

/** Brings the requests table into view (after a breakdown click filtered it). */
function showRequests(): void {
  document.getElementById('requests-title')?.closest('section')?.scrollIntoView?.({ behavior: 'smooth', block: 'start' });
}


export function Dashboard() {
  const { client, live, version, error } = useDaemon();
  const viewer = useViewer();
  const userView = isUserView(viewer);
  // The admin's panels wait until the viewer is known, so a user's dashboard never asks for them.
  const adminPanels = viewer !== null && !userView;
  // The range, stacking and filters live in the URL (reload, bookmark, shared link).
  const [initial] = useState(() => readDashboardUrl(window.location.search, URL_DEFAULTS));
  const [range, setRange] = useState<RangeQuery>(initial.range);
  const [by, setBy] = useState<StackBy>(initial.by);
  const [filter, setFilter] = useState<RequestQuery>(initial.filter);
  // A user sees only their own requests: a user filter (from a link the admin shared) would be refused.
  useEffect(() => {
    if (userView && filter.user !== undefined) setFilter(({ user: _u, ...rest }) => rest);
  }, [userView, filter.user]);
  useEffect(() => {
    const search = writeDashboardUrl(window.location.search, { range, by, filter }, URL_DEFAULTS);
    if (search !== window.location.search) history.replaceState(history.state, '', `${window.location.pathname}${search}${window.location.hash}`);
  }, [range, by, filter]);
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
  const sessionId = /^#\/sessions\/(.+)$/.exec(hash)?.[1];

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
  // A breakdown click filters the requests table and moves there.
  const byModel = useCallback((k: string) => {
    setFilter((f) => ({ ...f, model: k }));
    showRequests();
  }, []);
  const byProject = useCallback((k: string) => {
    setFilter((f) => ({ ...f, project: k }));
    showRequests();
  }, []);
  const byUser = useCallback((k: string) => {
    setFilter((f) => ({ ...f, user: k }));
    showRequests();
  }, []);
  const onlyErrors = useCallback(() => {
    setFilter((f) => ({ ...f, state: STATE_FILTER_ERRORS }));
    showRequests();
  }, []);
  const openSession = useCallback((id: string) => setHash(`#/sessions/${encodeURIComponent(id)}`), [setHash]);
  const closeDetail = useCallback(() => setHash(''), [setHash]);

  const s = summary.data;
  // Breakdowns render after the chart and totals (a deferred, interruptible render), also when the first
  // render already has the summary (primed): they start from null.
  const ds = useDeferredValue(s, null);
  const t = s?.totals;
  // Disconnected: the figures on screen are the last ones loaded; say how old they are and do not offer
  // range changes that cannot load until the daemon is back.
  const disconnected = live === 'reconnecting' || live === 'closed' || error !== null;
  const [loadedAt, setLoadedAt] = useState<number | null>(null);
  useEffect(() => {
    if (s) setLoadedAt(Date.now());
  }, [s]);
  const now = useNowEvery(disconnected ? 15_000 : null);
  const empty = any.data !== null && any.data.length === 0;
  // One labeller for every place a project is shown: same-named folders read by their unique path suffix.
  const rows = requests.data;
  const projectLabel = useMemo(
    () =>
      projectLabeler([
        ...(ds?.byProject.map((g) => g.key) ?? []),
        ...(ds?.bySession?.map((g) => g.project) ?? []),
        ...(rows?.map((r) => r.project) ?? []),
      ]),
    [ds, rows],
  );

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
        <ViewerBadge viewer={viewer} cookie={client !== null && !client.hasToken} />
        <LiveStatus state={live} version={version} />
      </header>
      {error && <p className="error" role="alert">Daemon not reachable: {error}</p>}
      <StatusBanner />
      {disconnected && (
        <p className="stale-note" role="status" data-testid="stale-note">
          Disconnected from the daemon: {loadedAt === null ? 'nothing loaded yet' : `figures as of ${formatClock(loadedAt)} (${staleAge(now - loadedAt)})`}. Reconnecting…
        </p>
      )}
      <div className="toolbar">
        <RangePicker value={range} onChange={setRange} disabled={disconnected} />
        {client && <ExportButtons client={client} filter={{ ...filter, ...(span ?? {}) }} />}
      </div>

      {empty && client && <EmptyState port={client.port} />}

      {sessionId && (
        <SessionView id={decodeURIComponent(sessionId)} onClose={closeDetail} onOpenRequest={openDetail} projectLabel={projectLabel} />
      )}

      <section className={disconnected ? 'cards stale' : 'cards'} aria-label="Totals">
        <div className="card">
          <div className="label">Spend</div>
          <div className="big" data-testid="range-total">{t ? <Money nano={t.costNanoUsd} /> : '…'}</div>
          {t && <UnpricedCount count={t.unpricedRequests} />}
        </div>
        <div className="card">
          <div className="label">Requests</div>
          <div className="mid" data-testid="range-requests">{t ? formatCount(t.requests) : '…'}</div>
          {t && t.responseCacheHits > 0 && (
            <div className="muted small" data-testid="range-cache-hits">
              {formatCount(t.responseCacheHits)} from the response cache ($0; <Money nano={t.responseCacheSavedNanoUsd} /> saved)
            </div>
          )}
          {s && <ErrorCount errors={s.errors} onSelect={onlyErrors} />}
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

      {adminPanels && <LimitsPanel />}
      {userView && <UserBudgetsPanel />}

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
        {s ? <SpendChart summary={s} by={by} projectLabel={projectLabel} /> : <div className="chart placeholder" />}
      </section>

      {ds && (
        <div className="breakdowns">
          <Breakdown title="By model" kind="model" groups={ds.byModel} onSelect={byModel} />
          <Breakdown title="By project" kind="project" groups={ds.byProject} onSelect={byProject} label={projectLabel} />
          {ds.byUser && !userView && <Breakdown title="By user" kind="user" groups={ds.byUser} onSelect={byUser} />}
          {ds.bySession && <SessionsTable sessions={ds.bySession} projectLabel={projectLabel} onOpen={openSession} />}
        </div>
      )}

      {adminPanels && <HistoryPanel range={range} />}
      <CachePanel range={range} responseCache={adminPanels} />

      <RequestsTable
        state={requests}
        filter={filter}
        onFilter={setFilter}
        models={ds?.byModel.map((g) => g.key) ?? []}
        projects={ds?.byProject.map((g) => g.key) ?? []}
        {...(ds?.byUser && !userView && { users: ds.byUser.map((g) => g.key) })}
        projectLabel={projectLabel}
        onOpen={openDetail}
      />

      {detailId && <RequestDetailView id={decodeURIComponent(detailId)} onClose={closeDetail} />}
    </div>
  );
}

/**
 * Tray popover (~380×520): today's spend, this month's, a 24-hour sparkline, today by model and project,
 * the last 10 requests, daemon status, and a slot for plan-limit gauges (later issue).
 * Sets the `cco:popover-rendered` performance mark once the first data is on screen.
 */
import { useEffect, useMemo, type ReactNode } from 'react';
import type { SpendGroup } from '../../../shared/contract.ts';
import { EmptyState } from '../components/EmptyState.tsx';
import { LiveStatus } from '../components/LiveStatus.tsx';
import { groupCost, Money, UnpricedCount } from '../components/Money.tsx';
import { POPOVER_MONTH, POPOVER_RECENT, POPOVER_TODAY, popoverLast24h } from './queries.ts';
import { colorAt } from '../components/palette.ts';
import { Sparkline } from '../components/Sparkline.tsx';
import { totalTokens } from '../../../shared/record-values.ts';
import { formatClock, formatTokens, shortModel } from '../format.ts';
import { isUnpriced } from '../api/merge.ts';
import { useDaemon } from '../hooks/daemon.tsx';
import { useRequests, useSummary } from '../hooks/data.ts';
import { useLimits, useNow } from '../hooks/limits.ts';
import { LimitGauges } from '../components/LimitGauges.tsx';
import { UpdateBanner } from '../components/UpdateBanner.tsx';
import { ErrorCount } from '../components/ErrorCount.tsx';
import { projectLabeler } from '../../../daemon/api/project-labels.ts';
import { errorKind } from '../../../daemon/api/outcome.ts';

function MiniGroups({ title, groups, label }: { title: string; groups: SpendGroup[]; label: (k: string) => string }) {
  const top = groups.slice(0, 4);
  const max = Math.max(1, ...top.map((g) => g.costNanoUsd));
  return (
    <section className="mini-groups" aria-label={title}>
      <h3>{title}</h3>
      {top.length === 0 && <p className="muted">—</p>}
      <ul>
        {top.map((g, i) => (
          <li key={g.key} title={g.key}>
            <span className="name">{label(g.key)}</span>
            <span className="bar" aria-hidden="true">
              <span style={{ width: `${(100 * g.costNanoUsd) / max}%`, background: colorAt(i) }} />
            </span>
            <Money nano={groupCost(g)} />
          </li>
        ))}
      </ul>
    </section>
  );
}

export function Popover({ limits }: { limits?: ReactNode }) {
  const { client, live, version, error, bridge } = useDaemon();
  const today = useSummary(POPOVER_TODAY);
  const month = useSummary(POPOVER_MONTH);
  const recent = useRequests(POPOVER_RECENT);
  const hour = Math.floor(Date.now() / 3_600_000);
  const last24h = useSummary(useMemo(() => popoverLast24h(hour * 3_600_000), [hour]));
  const ready = today.data !== null && recent.data !== null;
  const plan = useLimits();
  const now = useNow();

  useEffect(() => {
    if (ready && performance.getEntriesByName('cco:popover-rendered').length === 0) performance.mark('cco:popover-rendered');
  }, [ready]);

  const empty = ready && recent.data!.length === 0 && (month.data?.totals.requests ?? 0) === 0;
  const todayProjects = today.data?.byProject;
  const projectLabel = useMemo(() => projectLabeler((todayProjects ?? []).map((g) => g.key)), [todayProjects]);
  const open = (id?: string) => void bridge.app.openDashboard(id);

  return (
    <main className="popover" aria-label="CCO spend">
      <header className="pop-head">
        <strong>CCO</strong>
        <LiveStatus state={live} version={version} />
        <button type="button" className="link" onClick={() => open()}>
          Dashboard ↗
        </button>
      </header>
      <UpdateBanner updates={bridge.updates} />
      {error && <p className="error" role="alert">Daemon not reachable: {error}</p>}
      {today.error && <p className="error" role="alert">{today.error}</p>}

      <section className="today" aria-label="Today">
        <div>
          <div className="label">Today</div>
          <div className="big" data-testid="today-total">
            {today.data ? <Money nano={today.data.totals.costNanoUsd} /> : '…'}
          </div>
          {today.data && <UnpricedCount count={today.data.totals.unpricedRequests} />}
          {today.data && <ErrorCount errors={today.data.errors} />}
        </div>
        <div className="right">
          <div className="label">This month</div>
          <div className="mid" data-testid="month-total">
            {month.data ? <Money nano={month.data.totals.costNanoUsd} /> : '…'}
          </div>
          {month.data && <UnpricedCount count={month.data.totals.unpricedRequests} />}
        </div>
      </section>

      {empty && client ? (
        <EmptyState port={client.port} compact />
      ) : (
        <>
          {last24h.data ? <Sparkline series={last24h.data.series} tz={last24h.data.tz} /> : <div className="sparkline" aria-hidden="true" />}
          <div className="limits-slot" data-slot="plan-limits">
            {limits ?? <LimitGauges limits={plan.limits} budgets={plan.budgets} now={now} />}
          </div>
          <div className="mini-row">
            <MiniGroups title="By model" groups={today.data?.byModel ?? []} label={shortModel} />
            <MiniGroups title="By project" groups={today.data?.byProject ?? []} label={projectLabel} />
          </div>
          <section className="recent" aria-labelledby="recent-title">
            <h3 id="recent-title">Last requests</h3>
            <ul data-testid="recent-list">
              {(recent.data ?? []).slice(0, 10).map((r) => (
                <li key={r.id}>
                  <button
                    type="button"
                    className={isUnpriced(r) ? 'recent-row row-unpriced' : 'recent-row'}
                    onClick={() => open(r.id)}
                    title="Open in dashboard"
                  >
                    <span className="time">{formatClock(r.startedAt)}</span>
                    <span className="model">{shortModel(r.model ?? r.modelRequested)}</span>
                    <span className="tok">{formatTokens(totalTokens(r))}</span>
                    <span className="cost">
                      <Money nano={r.costNanoUsd} />
                    </span>
                    <span
                      className={`state-dot state-${errorKind(r) === null ? r.state : 'error'}`}
                      title={errorKind(r) ?? r.state}
                      aria-label={errorKind(r) === null ? r.state : `error ${errorKind(r)}`}
                    />
                  </button>
                </li>
              ))}
            </ul>
          </section>
        </>
      )}
    </main>
  );
}

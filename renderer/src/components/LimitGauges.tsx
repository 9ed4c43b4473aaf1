/**
 * Plan-limit gauges (5-hour, weekly, per-model weekly) with reset countdowns and the forecast line, for the
 * credential seen last; for API-key users without the unified headers, their budget gauges instead.
 */
import type { BudgetStatus, CredentialLimits, LimitsResponse, BudgetsResponse, LimitWindow } from '../../../shared/contract.ts';
import { clockTime, describeForecast, duration, windowLabel, windowShort } from '../../../daemon/limits/describe.ts';
import { localTimeZone } from '../api/timezone.ts';
import { formatUsd } from '../format.ts';

/** Display order: 5h, 7d, then per-model weekly windows, then anything else. */
export function orderedWindows(c: CredentialLimits): LimitWindow[] {
  const rank = (n: string) => (n === '5h' ? 0 : n === '7d' ? 1 : n.startsWith('7d') ? 2 : 3);
  return Object.values(c.unified?.windows ?? {})
    .filter((w) => w.utilization !== null)
    .sort((a, b) => rank(a.name) - rank(b.name) || a.name.localeCompare(b.name));
}

function level(u: number, status: string | null): 'ok' | 'warn' | 'bad' {
  if (status === 'rejected' || u >= 1) return 'bad';
  if (status === 'allowed_warning' || u >= 0.8) return 'warn';
  return 'ok';
}

export function Gauge({ label, fraction, status, detail, testId }: { label: string; fraction: number; status: string | null; detail: string; testId: string }) {
  const pct = Math.round(fraction * 100);
  return (
    <div className={`gauge gauge-${level(fraction, status)}`} data-testid={testId}>
      <div className="gauge-head">
        <span className="gauge-label">{label}</span>
        <span className="gauge-pct" data-testid={`${testId}-pct`}>{pct}%</span>
      </div>
      <div className="gauge-bar" role="meter" aria-label={label} aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.min(100, pct)}>
        <span style={{ width: `${Math.min(100, Math.max(0, pct))}%` }} />
      </div>
      <div className="gauge-detail muted small" data-testid={`${testId}-detail`}>{detail}</div>
    </div>
  );
}

export function windowGauge(w: LimitWindow, now: number, tz: string) {
  const reset = w.resetsAt !== null && w.resetsAt <= now;
  const u = reset ? 0 : (w.utilization ?? 0);
  const detail = w.resetsAt === null ? '' : reset ? 'has reset' : `resets in ${duration(w.resetsAt - now)} · ${clockTime(w.resetsAt, now, tz)}`;
  return <Gauge key={w.name} label={windowShort(w.name)} fraction={u} status={reset ? null : w.status} detail={detail} testId={`gauge-${w.name}`} />;
}

export function budgetGauge(b: BudgetStatus, now: number) {
  const left = Math.max(0, b.periodEnd - now);
  const whose = b.user ? ` · ${b.user}${b.perUser ? ' (per-user)' : ''}` : b.project ? ` · ${b.project.split(/[\\/]/).pop()}` : '';
  const label = `${b.period[0]!.toUpperCase()}${b.period.slice(1)} budget${whose}`;
  return (
    <Gauge
      key={`${b.period}:${b.project ?? ''}:${b.user ?? ''}`}
      label={label}
      fraction={b.fraction}
      status={b.state === 'exceeded' ? 'rejected' : null}
      detail={`${formatUsd(b.spentNanoUsd)} of ${formatUsd(Math.round(b.usd * 1e9))}${b.hard ? ' · hard' : ''} · resets in ${duration(left)}`}
      testId={`budget-${b.period}${b.user ? `-user-${b.user}` : b.project ? '-project' : ''}`}
    />
  );
}

export function LimitGauges({ limits, budgets, now }: { limits: LimitsResponse | null; budgets: BudgetsResponse | null; now: number }) {
  const tz = localTimeZone();
  const current = limits?.credentials.find((c) => c.unified && orderedWindows(c).length > 0) ?? null;
  if (current) {
    const windows = orderedWindows(current);
    const main = current.forecasts.find((f) => f.window === (limits!.binding?.window ?? '5h')) ?? current.forecasts.find((f) => f.window === '5h');
    return (
      <section className="limit-gauges" aria-label="Plan limits" data-testid="limit-gauges">
        <div className="gauges">{windows.map((w) => windowGauge(w, now, tz))}</div>
        {main && <p className="forecast small" data-testid="limit-forecast">{describeForecast(main, now, tz)}</p>}
        {current.unified?.status === 'rejected' && (
          <p className="error small" role="alert">
            Plan limit reached{current.unified.resetsAt ? ` until ${clockTime(current.unified.resetsAt, now, tz)}` : ''}.
          </p>
        )}
      </section>
    );
  }
  const rows = budgets?.budgets ?? [];
  if (rows.length === 0) return null;
  return (
    <section className="limit-gauges" aria-label="Budgets" data-testid="budget-gauges">
      <div className="gauges">{rows.map((b) => budgetGauge(b, now))}</div>
    </section>
  );
}

export { windowLabel };

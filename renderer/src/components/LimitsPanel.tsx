/**
 * Dashboard panel: plan-limit gauges with reset times in the user's time zone, the forecast per window, the
 * utilization history (recharts, one line per window), and the budgets with a small editor (POST /api/budgets:
 * saved in config.toml and applied at once).
 */
import { useLayoutEffect, useMemo, useRef, useState, type FormEvent } from 'react';
import { CartesianGrid, Line, LineChart, Tooltip, XAxis, YAxis } from 'recharts';
import { EVERY_USER, type BudgetPeriod, type BudgetsResponse, type CredentialLimits } from '../../../shared/contract.ts';
import { describeForecast, windowShort } from '../../../daemon/limits/describe.ts';
import { localTimeZone } from '../api/timezone.ts';
import { useDaemon } from '../hooks/daemon.tsx';
import { useLimits, useNow } from '../hooks/limits.ts';
import { budgetGauge, orderedWindows, windowGauge } from './LimitGauges.tsx';
import { colorAt } from './palette.ts';

function HistoryChart({ c, tz }: { c: CredentialLimits; tz: string }) {
  const ref = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(0);
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    setWidth(el.clientWidth);
    if (typeof ResizeObserver === 'undefined') return;
    const ro = new ResizeObserver(() => setWidth(el.clientWidth));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);
  const windows = orderedWindows(c).map((w) => w.name);
  const rows = useMemo(() => {
    const byT = new Map<number, Record<string, number>>();
    for (const w of windows) for (const s of c.history[w] ?? []) (byT.get(s.t) ?? byT.set(s.t, { t: s.t }).get(s.t)!)[w] = Math.round(s.u * 1000) / 10;
    return [...byT.values()].sort((a, b) => a.t! - b.t!);
  }, [c, windows]);
  const fmt = new Intl.DateTimeFormat(undefined, { timeZone: tz, month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
  return (
    <div ref={ref} className="limit-chart" role="img" aria-label="Plan-limit utilization over time" data-testid="limit-chart">
      {width > 0 && rows.length > 0 && (
        <LineChart width={width} height={180} data={rows} margin={{ top: 8, right: 8, left: 0, bottom: 0 }}>
          <CartesianGrid strokeDasharray="3 3" vertical={false} stroke="var(--grid)" />
          <XAxis dataKey="t" type="number" domain={['dataMin', 'dataMax']} tickFormatter={(t: number) => fmt.format(t)} tick={{ fill: 'var(--muted)', fontSize: 11 }} stroke="var(--grid)" />
          <YAxis domain={[0, 100]} tickFormatter={(v: number) => `${v}%`} width={44} tick={{ fill: 'var(--muted)', fontSize: 11 }} stroke="var(--grid)" />
          <Tooltip labelFormatter={(t) => fmt.format(Number(t))} formatter={(v, n) => [`${String(v)}%`, windowShort(String(n))]} contentStyle={{ background: 'var(--panel)', border: '1px solid var(--border)', color: 'var(--text)' }} />
          {windows.map((w, i) => (
            <Line key={w} dataKey={w} name={w} stroke={colorAt(i)} dot={false} isAnimationActive={false} connectNulls type="stepAfter" />
          ))}
        </LineChart>
      )}
    </div>
  );
}

function BudgetEditor({ onSaved }: { onSaved: () => void }) {
  const { client } = useDaemon();
  const [period, setPeriod] = useState<BudgetPeriod>('daily');
  const [usd, setUsd] = useState('');
  const [project, setProject] = useState('');
  const [user, setUser] = useState('');
  const [hard, setHard] = useState(false);
  const [message, setMessage] = useState<string | null>(null);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!client) return;
    const amount = Number(usd);
    if (!(amount >= 0)) return setMessage('Enter an amount in USD (0 clears the budget)');
    client.setBudget({ period, usd: amount, project: project.trim() || null, user: user.trim() || null, hard }).then(
      () => {
        setMessage(amount === 0 ? 'Budget cleared' : 'Budget saved');
        onSaved();
      },
      (err: Error) => setMessage(err.message),
    );
  };
  return (
    <form className="budget-form" onSubmit={submit} aria-label="Set a budget">
      <select value={period} onChange={(e) => setPeriod(e.target.value as BudgetPeriod)} aria-label="Period">
        <option value="daily">Daily</option>
        <option value="weekly">Weekly</option>
        <option value="monthly">Monthly</option>
      </select>
      <input type="number" min="0" step="0.01" placeholder="USD" value={usd} onChange={(e) => setUsd(e.target.value)} aria-label="Amount in USD" />
      <input type="text" placeholder="project path (all projects)" value={project} onChange={(e) => setProject(e.target.value)} aria-label="Budget project" />
      <input type="text" placeholder={`team user (${EVERY_USER} = each user)`} value={user} onChange={(e) => setUser(e.target.value)} aria-label="Budget user" />
      <label className="small">
        <input type="checkbox" checked={hard} onChange={(e) => setHard(e.target.checked)} /> hard (refuse requests once spent)
      </label>
      <button type="submit">Save</button>
      {message && <span className="muted small" role="status">{message}</span>}
    </form>
  );
}

/** The per-user defaults (`[budgets.per_user]`), which have rows only for users who spent. */
function PerUserDefaults({ budgets }: { budgets: BudgetsResponse | null }) {
  const rules = budgets?.rules?.filter((r) => r.user === EVERY_USER) ?? [];
  if (rules.length === 0) return null;
  return (
    <p className="muted small" data-testid="budget-per-user">
      Every user, on their own spend: {rules.map((r) => `${r.period} $${r.usd.toFixed(2)}${r.hard ? ' (hard)' : ''}`).join(', ')}.
    </p>
  );
}

/**
 * A user of a team gateway (`user`) gets only their own budgets, read-only: plan limits and the editor are the
 * admin's (the daemon answers a user 403 there, and narrows GET /api/budgets to their caps).
 */
export function UserBudgetsPanel() {
  const { budgets } = useLimits({ limits: false });
  const now = useNow();
  if (!budgets || budgets.budgets.length === 0) return null;
  return (
    <section className="panel limits-panel" aria-labelledby="user-budgets-title" data-testid="user-budgets">
      <div className="panel-head">
        <h2 id="user-budgets-title">Your budgets</h2>
      </div>
      <div className="gauges">{budgets.budgets.map((b) => budgetGauge(b, now))}</div>
      {budgets.overrideUntil && <p className="small">Hard budgets lifted until {new Date(budgets.overrideUntil).toLocaleString()}.</p>}
    </section>
  );
}

export function LimitsPanel() {
  const { limits, budgets, reload } = useLimits();
  const now = useNow();
  const tz = localTimeZone();
  const creds = limits?.credentials.filter((c) => c.unified && orderedWindows(c).length > 0) ?? [];
  return (
    <section className="panel limits-panel" aria-labelledby="limits-title" data-testid="limits-panel">
      <div className="panel-head">
        <h2 id="limits-title">Plan limits and budgets</h2>
        <span className="muted small">times in {tz}</span>
      </div>
      {creds.length === 0 && <p className="muted small">No plan-limit headers seen yet: they arrive with the next Claude response through CCO (subscription logins).</p>}
      {creds.map((c) => (
        <div key={c.credentialId} className="limit-cred">
          {creds.length > 1 && <h3 className="small">credential {c.credentialId}</h3>}
          <div className="gauges">{orderedWindows(c).map((w) => windowGauge(w, now, tz))}</div>
          <ul className="forecasts small">
            {c.forecasts.map((f) => (
              <li key={f.window} data-testid={`forecast-${f.window}`}>{describeForecast(f, now, tz)}</li>
            ))}
          </ul>
          <HistoryChart c={c} tz={tz} />
        </div>
      ))}
      <h3>Budgets</h3>
      {(budgets?.budgets.length ?? 0) === 0 && (budgets?.rules?.length ?? 0) === 0 ? <p className="muted small">No budgets set.</p> : <div className="gauges">{budgets!.budgets.map((b) => budgetGauge(b, now))}</div>}
      <PerUserDefaults budgets={budgets} />
      {budgets?.overrideUntil && <p className="small">Hard budgets lifted until {new Date(budgets.overrideUntil).toLocaleString()}.</p>}
      <BudgetEditor onSaved={reload} />
    </section>
  );
}

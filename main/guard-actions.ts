/**
 * The tray's alert and budget controls: what the menu needs to know (GET /api/alerts, GET /api/budgets) and
 * the actions (mute alerts for a while, lift hard budgets for an hour or for the rest of the period) as calls to
 * the daemon's own API. No Electron here; main/index.ts wires the menu actions to `runGuardAction`.
 */
import type { AlertsResponse, BudgetsResponse } from '../shared/contract.ts';

/** What the tray menu shows about alerts and budgets. */
export interface GuardState {
  /** Alerts muted until this epoch ms (null: not muted). */
  mutedUntil: number | null;
  /** Hard budgets and session pauses lifted until this epoch ms (null: none). */
  overrideUntil: number | null;
  /** Any hard budget is configured, or a session is paused (a lift would change something). */
  canLift: boolean;
  /** The end of the current period of the exceeded hard budget(s), when one refuses requests now. */
  periodEnd: number | null;
}

export type GuardAction = 'mute-alerts-hour' | 'mute-alerts-today' | 'unmute-alerts' | 'lift-budget-hour' | 'lift-budget-period' | 'end-budget-override';

export const GUARD_ACTIONS: readonly GuardAction[] = ['mute-alerts-hour', 'mute-alerts-today', 'unmute-alerts', 'lift-budget-hour', 'lift-budget-period', 'end-budget-override'];

export function isGuardAction(a: string): a is GuardAction {
  return (GUARD_ACTIONS as readonly string[]).includes(a);
}

const HOUR_MS = 3_600_000;
/** The daemon's override maximum (POST /api/budgets/override: minutes ≤ 7 days). */
const MAX_OVERRIDE_MIN = 7 * 24 * 60;

export function guardStateOf(budgets: BudgetsResponse | null, alerts: AlertsResponse | null, now: number): GuardState {
  const exceeded = budgets?.budgets.filter((b) => b.hard && b.state === 'exceeded') ?? [];
  return {
    mutedUntil: alerts?.mutedUntil != null && alerts.mutedUntil > now ? alerts.mutedUntil : null,
    overrideUntil: budgets?.overrideUntil != null && budgets.overrideUntil > now ? budgets.overrideUntil : null,
    canLift: !!budgets && (budgets.budgets.some((b) => b.hard) || budgets.pausedSessions.length > 0),
    periodEnd: exceeded.length > 0 ? Math.max(...exceeded.map((b) => b.periodEnd)) : null,
  };
}

export interface GuardClient {
  baseUrl: string;
  token: string;
  fetch?: typeof fetch;
  now?: () => number;
}

async function call<T>(c: GuardClient, method: 'GET' | 'POST', p: string, body?: unknown): Promise<T> {
  const res = await (c.fetch ?? fetch)(`${c.baseUrl}${p}`, {
    method,
    headers: { authorization: `Bearer ${c.token}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  if (!res.ok) throw new Error(`${method} ${p}: HTTP ${res.status}`);
  return (await res.json()) as T;
}

/** Reads the state for the menu; a daemon without these routes (older) gives nothing to show. */
export async function fetchGuardState(c: GuardClient): Promise<GuardState | null> {
  const [budgets, alerts] = await Promise.all([
    call<BudgetsResponse>(c, 'GET', '/api/budgets').catch(() => null),
    call<AlertsResponse>(c, 'GET', '/api/alerts').catch(() => null),
  ]);
  if (!budgets && !alerts) return null;
  return guardStateOf(budgets, alerts, (c.now ?? Date.now)());
}

/** Runs one menu action against the daemon and returns the state it leaves. */
export async function runGuardAction(c: GuardClient, action: GuardAction, current: GuardState | null): Promise<GuardState | null> {
  const now = (c.now ?? Date.now)();
  switch (action) {
    case 'mute-alerts-hour':
      await call<AlertsResponse>(c, 'POST', '/api/alerts/mute', { until: now + HOUR_MS });
      break;
    case 'mute-alerts-today':
      await call<AlertsResponse>(c, 'POST', '/api/alerts/mute', { until: 'today' });
      break;
    case 'unmute-alerts':
      await call<AlertsResponse>(c, 'POST', '/api/alerts/mute', { until: null });
      break;
    case 'lift-budget-hour':
      await call<BudgetsResponse>(c, 'POST', '/api/budgets/override', { minutes: 60 });
      break;
    case 'lift-budget-period': {
      // to the end of the exceeded budget's current period (read again: the menu may be old)
      const end = (await fetchGuardState(c))?.periodEnd ?? current?.periodEnd ?? null;
      if (end === null || end <= now) break;
      await call<BudgetsResponse>(c, 'POST', '/api/budgets/override', { minutes: Math.min(MAX_OVERRIDE_MIN, Math.ceil((end - now) / 60_000)) });
      break;
    }
    case 'end-budget-override':
      await call<BudgetsResponse>(c, 'POST', '/api/budgets/override', { minutes: 0 });
      break;
  }
  return fetchGuardState(c);
}

/**
 * Alerts for plan limits, budgets and runaway sessions. Decides WHEN (a threshold crossed once per window, a
 * status that becomes allowed_warning/rejected, overage that starts, a window that resets after a rejection,
 * a budget threshold once per period, a session over the runaway rate), never repeats a crossing, applies a
 * cooldown to repeatable kinds and "mute for today"; then hands each alert to the sinks (log always; live
 * feed → desktop notification in the Electron shell, and the webhook, unless muted).
 */
import type { BudgetStatus, CcoAlert, RequestRecord, UnifiedLimits } from '../../shared/contract.ts';
import { percent, windowLabel } from '../limits/describe.ts';
import { parsePercentList } from '../config/schema.ts';
import { usdText } from './tracker.ts';

export interface AlertSettings {
  /** Percentages, e.g. [80, 95]. */
  thresholds: number[];
  cooldownMs: number;
  runawayRequestsPerMinute: number;
  runawayUsdPerMinute: number;
  runawayPause: boolean;
}

export function alertSettingsFrom(a: { thresholds: string; cooldown_minutes: number; runaway_requests_per_minute: number; runaway_usd_per_minute: number; runaway_pause: boolean }): AlertSettings {
  return {
    thresholds: parsePercentList(a.thresholds) ?? [80, 95],
    cooldownMs: a.cooldown_minutes * 60_000,
    runawayRequestsPerMinute: a.runaway_requests_per_minute,
    runawayUsdPerMinute: a.runaway_usd_per_minute,
    runawayPause: a.runaway_pause,
  };
}

export interface AlertCenterOptions {
  settings: () => AlertSettings;
  /** Always called (the log). */
  log: (alert: CcoAlert) => void;
  /** Called unless muted (live feed → desktop notification, webhook). */
  deliver: (alert: CcoAlert) => void;
  /** Pause a runaway session (budgets); only when runaway_pause is on. */
  pauseSession?: (sessionId: string, reason: string) => void;
  /** End of the local day containing t (for "mute for today"). */
  endOfDay: (t: number) => number;
  now?: () => number;
}

export interface AlertCenter {
  limits(credentialId: string, before: UnifiedLimits | null, after: UnifiedLimits, now: number): void;
  budgets(before: BudgetStatus[], after: BudgetStatus[], now: number): void;
  record(record: RequestRecord): void;
  /** Mute until the end of today (null = unmute), or until an explicit time. */
  mute(until: number | 'today' | null): number | null;
  mutedUntil(): number | null;
  recent(): CcoAlert[];
}

const MAX_RECENT = 50;
const MAX_FIRED = 5000;

export function createAlertCenter(opts: AlertCenterOptions): AlertCenter {
  const now = opts.now ?? (() => Date.now());
  const fired = new Set<string>();
  const lastByFamily = new Map<string, number>();
  const recent: CcoAlert[] = [];
  const sessions = new Map<string, { t: number; cost: number }[]>();
  let mutedUntil: number | null = null;

  const emit = (alert: Omit<CcoAlert, 'at'>, at: number, family?: string) => {
    if (fired.has(alert.key)) return;
    if (family !== undefined) {
      const last = lastByFamily.get(family);
      if (last !== undefined && at - last < opts.settings().cooldownMs) return;
      lastByFamily.set(family, at);
    }
    if (fired.size >= MAX_FIRED) fired.clear();
    fired.add(alert.key);
    const full: CcoAlert = { ...alert, at };
    recent.unshift(full);
    recent.length = Math.min(recent.length, MAX_RECENT);
    opts.log(full);
    if (mutedUntil !== null && at < mutedUntil) return;
    opts.deliver(full);
  };

  const live = (w: { resetsAt: number | null }, t: number) => w.resetsAt === null || w.resetsAt > t;

  return {
    limits(cred, before, after, t) {
      const { thresholds } = opts.settings();
      for (const w of Object.values(after.windows)) {
        if (w.utilization === null) continue;
        const prev = before?.windows[w.name];
        const newWindow = prev && prev.resetsAt !== null && w.resetsAt !== null && Math.abs(prev.resetsAt - w.resetsAt) > 5 * 60_000;
        const prevU = prev && !newWindow && prev.utilization !== null && live(prev, t) ? prev.utilization : 0;
        for (const th of thresholds) {
          const f = th / 100;
          if (w.utilization >= f && (prevU < f || !prev)) {
            emit(
              {
                key: `limit:${cred}:${w.name}:${w.resetsAt ?? ''}:${th}`,
                kind: 'limit-threshold',
                title: `${windowLabel(w.name)} limit at ${percent(w.utilization)}`,
                body: `Claude ${windowLabel(w.name)} limit is ${percent(w.utilization)} used${w.resetsAt ? `; it resets at ${new Date(w.resetsAt).toISOString()}` : ''}.`,
              },
              t,
            );
          }
        }
        // A window that was rejected has reset (its reset time moved on and it is under 100 % again).
        if (prev && newWindow && (prev.status === 'rejected' || (prev.utilization ?? 0) >= 1) && w.utilization < 1) {
          emit({ key: `reset:${cred}:${w.name}:${w.resetsAt}`, kind: 'limit-reset', title: `${windowLabel(w.name)} limit has reset`, body: `The Claude ${windowLabel(w.name)} limit has reset; you can work again.` }, t);
        }
      }
      const st = after.status;
      if ((st === 'allowed_warning' || st === 'rejected') && before?.status !== st) {
        emit(
          {
            key: `status:${cred}:${st}:${after.resetsAt ?? ''}`,
            kind: 'limit-status',
            title: st === 'rejected' ? 'Claude plan limit reached' : 'Claude plan limit close',
            body:
              st === 'rejected'
                ? `Requests are being refused${after.resetsAt ? ` until ${new Date(after.resetsAt).toISOString()}` : ''}${after.representativeClaim ? ` (${after.representativeClaim})` : ''}.`
                : `You are close to a plan limit${after.representativeClaim ? ` (${after.representativeClaim})` : ''}.`,
          },
          t,
          `status:${cred}:${st}`,
        );
      }
      const overageStarted = after.overage.inUse === true && before?.overage.inUse !== true;
      if (overageStarted) {
        emit({ key: `overage:${cred}:${after.overage.resetsAt ?? t}`, kind: 'overage', title: 'Claude overage started', body: 'Usage beyond the plan limit is now billed as overage.' }, t, `overage:${cred}`);
      }
    },
    budgets(before, after, t) {
      const { thresholds } = opts.settings();
      // Matched by what each row caps, not by position: a user's row of the per-user default appears with their first spend.
      const id = (s: BudgetStatus) => `${s.period}:${s.project ?? ''}${s.user ? `:user=${s.user}` : ''}`;
      const prev = new Map(before.map((b) => [id(b), b]));
      after.forEach((a) => {
        const b = prev.get(id(a));
        const prevF = b && b.periodStart === a.periodStart ? b.fraction : 0;
        for (const th of thresholds) {
          const f = th / 100;
          if (a.fraction >= f && prevF < f) {
            const name = `${a.period} budget${a.project ? ` for ${a.project}` : ''}${a.user ? ` of user ${a.user}` : ''}`;
            emit(
              {
                key: `budget:${id(a)}:${a.periodStart}:${th}`,
                kind: 'budget',
                ...(a.user && { user: a.user }),
                title: `${name[0]!.toUpperCase()}${name.slice(1)} at ${percent(a.fraction)}`,
                body: `${usdText(a.spentNanoUsd)} of ${usdText(a.usd * 1e9)} spent${a.hard && a.fraction >= 1 ? `; ${a.user ? `${a.user}'s ` : ''}new requests are refused (cco budget override --for 1h lifts it)` : ''}.`,
              },
              t,
            );
          }
        }
      });
    },
    record(r) {
      const s = opts.settings();
      if (!r.sessionId || (s.runawayRequestsPerMinute <= 0 && s.runawayUsdPerMinute <= 0)) return;
      const t = r.endedAt;
      const list = (sessions.get(r.sessionId) ?? []).filter((x) => x.t > t - 60_000);
      list.push({ t, cost: r.costNanoUsd ?? 0 });
      sessions.set(r.sessionId, list);
      if (sessions.size > 1000) for (const k of [...sessions.keys()].slice(0, 500)) sessions.delete(k);
      const usd = list.reduce((a, x) => a + x.cost, 0) / 1e9;
      const tooMany = s.runawayRequestsPerMinute > 0 && list.length > s.runawayRequestsPerMinute;
      const tooCostly = s.runawayUsdPerMinute > 0 && usd > s.runawayUsdPerMinute;
      if (!tooMany && !tooCostly) return;
      const reason = tooMany ? `${list.length} requests in a minute` : `$${usd.toFixed(2)} in a minute`;
      if (s.runawayPause) opts.pauseSession?.(r.sessionId, `runaway: ${reason}`);
      emit(
        {
          key: `runaway:${r.sessionId}:${Math.floor(t / 60_000)}`,
          kind: 'runaway',
          title: 'Runaway session',
          body: `Session ${r.sessionId.slice(0, 8)}: ${reason}${s.runawayPause ? '; paused (cco budget override --for 1h resumes it)' : ''}.`,
        },
        t,
        `runaway:${r.sessionId}`,
      );
    },
    mute(until) {
      mutedUntil = until === 'today' ? opts.endOfDay(now()) : until;
      return mutedUntil;
    },
    mutedUntil: () => (mutedUntil !== null && now() < mutedUntil ? mutedUntil : null),
    recent: () => [...recent],
  };
}

/** POSTs an alert to the webhook (JSON), fire and forget, 5 s timeout; failures are only logged. */
export function postWebhook(url: string, alert: CcoAlert, warn: (m: string) => void): void {
  if (!url) return;
  fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'user-agent': 'cco-alerts' },
    body: JSON.stringify({ type: 'cco.alert', ...alert, at: new Date(alert.at).toISOString() }),
    signal: AbortSignal.timeout(5000),
  }).then(
    (r) => {
      if (!r.ok) warn(`alert webhook answered HTTP ${r.status}`);
      void r.body?.cancel();
    },
    (err: unknown) => warn(`alert webhook failed: ${err instanceof Error ? err.message : String(err)}`),
  );
}

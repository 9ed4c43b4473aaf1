/**
 * Composition of budgets + alerts for the daemon (index.ts calls this once): the proxy's admission hooks,
 * the per-record booking, the limit tracker's unified-state hook and the /api/budgets + /api/alerts routes.
 */
import express, { type Router } from 'express';
import path from 'node:path';
import type { AlertsResponse, LiveMessage, RequestRecord, Summary, UnifiedLimits } from '../../shared/contract.ts';
import { startOfNextDay } from '../store/tz.ts';
import { alertSettingsFrom, createAlertCenter, postWebhook, type AlertCenter } from './alerts.ts';
import { createBudgets, type Budgets } from './index.ts';

export interface GuardsOptions {
  configDir: string;
  dataDir: string;
  log: { info(m: string): void; warn(m: string): void };
  summary: (from: number, to: number, tz: string) => Promise<Summary>;
  /** BudgetsOptions.held. */
  held?: () => Promise<RequestRecord[]>;
  broadcast: (msg: LiveMessage) => void;
  tz?: string;
  /** The user of requests that name none (federated `[team] user`). */
  defaultUser?: string | null;
  /** See BudgetsOptions.spendAtStart (the PostgreSQL store). */
  spendAtStart?: boolean;
}

export interface Guards {
  budgets: Budgets;
  alerts: AlertCenter;
  /** Budgets' start-up spend is read (Budgets.ready): open the proxy only then. */
  ready: Promise<void>;
  onRecord(record: RequestRecord): void;
  onUnified(credentialId: string, before: UnifiedLimits | null, after: UnifiedLimits, now: number): void;
  routes(api: Router): void;
}

export function createGuards(opts: GuardsOptions): Guards {
  // No time zone asked here: a daemon without budget rules never needs one at start (budgets/index.ts).
  const budgets = createBudgets({
    configFile: path.join(opts.configDir, 'config.toml'),
    dataDir: opts.dataDir,
    ...(opts.tz !== undefined && { tz: opts.tz }),
    defaultUser: opts.defaultUser ?? null,
    spendAtStart: opts.spendAtStart ?? false,
    warn: (m) => opts.log.warn(m),
    info: (m) => opts.log.info(m),
    summary: opts.summary,
    ...(opts.held && { held: opts.held }),
  });
  // Read for every booked record: parsed again only when the configuration was (re)loaded.
  let settingsOf: ReturnType<typeof budgets.alerts> | null = null;
  let settings: ReturnType<typeof alertSettingsFrom> | null = null;
  const alerts = createAlertCenter({
    settings: () => {
      const a = budgets.alerts();
      if (a !== settingsOf || !settings) {
        settings = alertSettingsFrom(a);
        settingsOf = a;
      }
      return settings;
    },
    log: (a) => opts.log.warn(`alert: ${a.title} — ${a.body}`),
    deliver: (a) => {
      opts.broadcast({ type: 'alert', alert: a });
      postWebhook(budgets.alerts().webhook_url, a, (m) => opts.log.warn(m));
    },
    pauseSession: (s, reason) => budgets.tracker.pause(s, reason),
    endOfDay: (t) => startOfNextDay(t, budgets.tz()),
  });
  return {
    budgets,
    alerts,
    ready: budgets.ready,
    onRecord(record) {
      if (record.state === 'refused') return; // CCO's own refusal: nothing spent, not a request that ran
      try {
        const before = budgets.tracker.status(record.endedAt);
        budgets.book(record);
        alerts.budgets(before, budgets.tracker.status(record.endedAt), record.endedAt);
        alerts.record(record);
      } catch (err) {
        opts.log.warn(`budgets: ${(err as Error).message}`);
      }
    },
    onUnified: (c, b, a, t) => alerts.limits(c, b, a, t),
    routes(api) {
      budgets.routes(api);
      api.get('/alerts', (_req, res) => {
        res.json({ recent: alerts.recent(), mutedUntil: alerts.mutedUntil() } satisfies AlertsResponse);
      });
      api.post('/alerts/mute', express.json({ limit: '4kb' }), (req, res) => {
        const until = (req.body as { until?: unknown } | undefined)?.until;
        if (!(until === 'today' || until === null || (typeof until === 'number' && Number.isFinite(until)))) {
          return res.status(400).json({ error: { type: 'invalid_request_error', message: 'until: "today", an epoch ms or null (unmute)' } });
        }
        alerts.mute(until);
        res.json({ recent: alerts.recent(), mutedUntil: alerts.mutedUntil() } satisfies AlertsResponse);
      });
    },
  };
}

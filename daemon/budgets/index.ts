/**
 * Budgets in the daemon: rules from config.toml, spend tracking, the proxy's admission hooks (hard caps and
 * paused sessions refuse new billable requests with an Anthropic-shaped 400 and `x-should-retry: false`; user
 * caps in team modes refuse that user's, checked on arrival since the gateway knows the user then) and the
 * /api/budgets routes (a change edits config.toml and applies at once).
 */
import express, { type Router } from 'express';
import { EVERY_USER, type BudgetChange, type RequestRecord, type Summary, type Viewer } from '../../shared/contract.ts';
import type { Attribution } from '../proxy/attribution.ts';
import { isBillable } from '../proxy/attribution.ts';
import { anthropicError, type ProxyRefusal } from '../proxy/forward.ts';
import { applyBudgetChange, isBudgetPeriod, readBudgetConfig, type BudgetConfig } from './rules.ts';
import { createBudgetTracker, type BudgetRefusal, type BudgetTracker } from './tracker.ts';
import { scopeOf, userBudgets } from '../api/access.ts';

/**
 * The status of a refusal. 400 `invalid_request_error` is what the API itself answers when an organisation's
 * spend limit is reached (the Anthropic API's documented 400 for an organisation spend limit); neither the SDK nor Claude Code retries a 400, and the header
 * `x-should-retry: false` says so explicitly.
 */
export const REFUSAL_STATUS = 400;

export interface Budgets {
  tracker: BudgetTracker;
  /**
   * Settles once the current periods' spend is read from the store (never rejects; at once when no rule is
   * configured: then no spend is read nor counted until the first rule is set). The daemon serves the proxy
   * only after it: the start-up summaries are then asked before any record is booked.
   */
  ready: Promise<void>;
  /** The budgets' time zone (the system's unless given); asked only when needed (ICU). */
  tz: () => string;
  alerts: () => BudgetConfig['alerts'];
  /** `user`: the request's team user (the central gateway's token user), known on arrival. */
  admit(method: string, path: string, headers: Record<string, string | string[] | undefined>, user?: string | null): ProxyRefusal | 'after-body' | null;
  admitAttributed(a: Attribution, user?: string | null): ProxyRefusal | null;
  book(record: RequestRecord): void;
  routes(api: Router): void;
  /** Re-read config.toml (e.g. after `cco config set budgets.…`). */
  reload(): void;
}

export interface BudgetsOptions {
  configFile: string;
  dataDir: string | null;
  tz?: string;
  /** The user of requests that name none (federated `[team] user`); see BudgetTrackerOptions.defaultUser. */
  defaultUser?: string | null;
  warn: (m: string) => void;
  info: (m: string) => void;
  now?: () => number;
  summary: (from: number, to: number, tz: string) => Promise<Summary>;
  /** Records taken but not in a summary asked now (the embedded store's, held while it opens): BudgetTracker.init. */
  held?: () => Promise<RequestRecord[]>;
  /**
   * Read the spend at start even with no rule. For a store whose summary may also hold records added after it
   * was asked (PostgreSQL's drains its outbox first), so that counting cannot start later without a record
   * counted twice.
   */
  spendAtStart?: boolean;
}

function toRefusal(r: BudgetRefusal): ProxyRefusal {
  return { status: REFUSAL_STATUS, body: anthropicError('invalid_request_error', r.message) };
}

function headerOf(headers: Record<string, string | string[] | undefined>, name: string): string | null {
  const v = headers[name];
  const s = (Array.isArray(v) ? v[0] : v)?.trim();
  return s ? s : null;
}

/** The system's time zone. The first Intl formatter loads ICU's data: ~30 ms of CPU and ~8 MB of RSS. */
export function systemTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

export function createBudgets(opts: BudgetsOptions): Budgets {
  let zone = opts.tz ?? null;
  const tz = (): string => (zone ??= systemTimeZone());
  let config: BudgetConfig;
  try {
    config = readBudgetConfig(opts.configFile, opts.warn);
  } catch (err) {
    opts.warn(`budgets: ${(err as Error).message}; no budgets apply`);
    config = { rules: [], alerts: { thresholds: '80,95', webhook_url: '', cooldown_minutes: 60, runaway_requests_per_minute: 0, runaway_usd_per_minute: 0, runaway_pause: false } };
  }
  const tracker = createBudgetTracker({ tz, rules: config.rules, dataDir: opts.dataDir, defaultUser: opts.defaultUser ?? null, warn: opts.warn, now: opts.now });
  /**
   * Spend is read and counted only once a rule exists: a daemon without budgets never asks the store for
   * local-time summaries nor loads ICU for them. Records booked before this are in the store, so in the
   * summaries init asks; from this call on, each booked record is counted (tracker.init explains the cut).
   */
  let spend: Promise<void> | null = null;
  const countSpend = (): Promise<void> => (spend ??= tracker.init(opts.summary, opts.held));
  const setRules = (next: BudgetConfig): void => {
    config = next;
    tracker.setRules(config.rules);
    if (config.rules.length > 0) void countSpend();
  };
  const ready = config.rules.length > 0 || opts.spendAtStart ? countSpend() : Promise.resolve();

  const reload = () => {
    try {
      setRules(readBudgetConfig(opts.configFile, opts.warn));
    } catch (err) {
      opts.warn(`budgets: ${(err as Error).message}; the previous budgets stay in force`);
    }
  };

  return {
    tracker,
    ready,
    tz,
    alerts: () => config.alerts,
    admit(method, path, headers, user = null) {
      if (!isBillable(method, path)) return null;
      const refused = tracker.refusal(null, headerOf(headers, 'x-claude-code-session-id'), user);
      if (refused) return toRefusal(refused);
      return tracker.needsAttribution() ? 'after-body' : null;
    },
    admitAttributed(a, user = null) {
      const refused = tracker.refusal(a.project, a.sessionId, user);
      return refused ? toRefusal(refused) : null;
    },
    book: (record) => {
      if (spend) tracker.book(record);
    },
    reload,
    routes(api) {
      const json = express.json({ limit: '16kb' });
      const bad = (res: express.Response, message: string) => res.status(400).json({ error: { type: 'invalid_request_error', message } });
      api.get('/budgets', (_req, res) => {
        // a user token (api/access.ts) reads only the budgets on its own spend
        const self = scopeOf(res.locals.viewer as Viewer | undefined);
        res.json(self === undefined ? tracker.response() : userBudgets(tracker.response(), self));
      });
      api.post('/budgets', json, async (req, res) => {
        const b = req.body as Partial<BudgetChange> | undefined;
        if (!b || !isBudgetPeriod(b.period)) return bad(res, 'period: one of daily, weekly, monthly');
        if (typeof b.usd !== 'number' || !Number.isFinite(b.usd) || b.usd < 0) return bad(res, 'usd: a non-negative amount (0 clears the budget)');
        if (b.project !== undefined && b.project !== null && (typeof b.project !== 'string' || b.project === '')) return bad(res, 'project: a project path');
        if (b.hard !== undefined && typeof b.hard !== 'boolean') return bad(res, 'hard: true or false');
        if (b.user !== undefined && b.user !== null && (typeof b.user !== 'string' || b.user === '')) return bad(res, `user: a user name, or "${EVERY_USER}" for the per-user default`);
        if (b.user && b.project) return bad(res, 'a budget is for a project or for a user, not both');
        let next: BudgetConfig;
        try {
          next = applyBudgetChange(opts.configFile, { period: b.period, usd: b.usd, project: b.project ?? null, user: b.user ?? null, hard: b.hard }, opts.warn);
        } catch (err) {
          return bad(res, (err as Error).message);
        }
        setRules(next);
        if (spend) await spend; // the first rule: answer with the spend read
        const whose = b.project ? ` for ${b.project}` : b.user === EVERY_USER ? ' for every user' : b.user ? ` for user ${b.user}` : '';
        opts.info(`budget ${b.period}${whose} set to $${b.usd}${b.hard ? ' (hard)' : ''}`);
        res.json(tracker.response());
      });
      api.post('/budgets/override', json, (req, res) => {
        const minutes = (req.body as { minutes?: unknown } | undefined)?.minutes;
        if (typeof minutes !== 'number' || !Number.isFinite(minutes) || minutes < 0 || minutes > 7 * 24 * 60) return bad(res, 'minutes: 0 (end the override) to 10080');
        tracker.override(minutes === 0 ? null : Date.now() + minutes * 60_000);
        opts.info(minutes === 0 ? 'budget override ended' : `hard budgets and pauses lifted for ${minutes} min`);
        res.json(tracker.response());
      });
    },
  };
}

/**
 * Spend against the budget rules, kept in memory so the proxy's admission check is a few comparisons: totals
 * per period (and per project) are read once from the store at start, then each booked record adds its cost.
 * A period that ends starts again at zero. Spend is kept per user too (team modes: the record's user — the
 * central gateway's token user — else the daemon's own user, federated `[team] user`); a user's cap for a
 * period is their own rule, else the per-user default's. Also holds the override ("lift hard caps until …", persisted in
 * `<data>/budget-override.json`) and the sessions paused by the runaway guard.
 */
import fs from 'node:fs';
import path from 'node:path';
import { BUDGET_PERIODS, EVERY_USER, type BudgetPeriod, type BudgetRule, type BudgetStatus, type BudgetsResponse, type RequestRecord, type Summary } from '../../shared/contract.ts';
import { periodContaining, type Period } from './periods.ts';

export const OVERRIDE_FILE = 'budget-override.json';
/** Fraction of a cap from which a budget shows as `warning`. */
const WARNING_AT = 0.8;

interface Counter extends Period {
  total: number;
  byProject: Map<string, number>;
  byUser: Map<string, number>;
}

/** The summaries' group of records without a user (or project). */
const NONE_KEY = '(none)';

export interface BudgetTrackerOptions {
  /** The budgets' time zone, or a function giving it: asked only when a period is needed (ICU costs ~8 MB). */
  tz: string | (() => string);
  rules: BudgetRule[];
  dataDir: string | null;
  /**
   * The user of requests that name none (federated mode: `[team] user`, whose machine this is); null = such
   * requests count for no user.
   */
  defaultUser?: string | null;
  now?: () => number;
  warn?: (m: string) => void;
}

/** Why a request is refused: the budget (or pause) and the words for the client. */
export interface BudgetRefusal {
  kind: 'budget' | 'paused';
  message: string;
  rule?: BudgetStatus;
}

export interface BudgetTracker {
  setRules(rules: BudgetRule[]): void;
  rules(): BudgetRule[];
  /**
   * Reads the current periods' totals from the store, adding them to what is booked from now on: the three
   * summaries are asked at once, in this call, so a record the store took before it is in them and one booked
   * after it is not (the store answers a call after the records added before it). Book nothing before this.
   * `held`: records the store has taken but the summaries asked now will not hold (held while the store opens,
   * store/standby.ts `heldRecords`), asked in the same turn and booked once the summaries are read.
   */
  init(summary: (from: number, to: number, tz: string) => Promise<Summary>, held?: () => Promise<RequestRecord[]>): Promise<void>;
  book(record: RequestRecord): void;
  status(now?: number): BudgetStatus[];
  response(now?: number): BudgetsResponse;
  /** A hard cap or pause that refuses a new billable request from this project/session/user (null = allowed). */
  refusal(project: string | null, sessionId: string | null, user?: string | null, now?: number): BudgetRefusal | null;
  /** Whether the decision needs the request body (a project cap is exceeded, or a session is paused). */
  needsAttribution(now?: number): boolean;
  /** Lift hard caps and pauses until `until` (epoch ms; null = end the override). */
  override(until: number | null): void;
  pause(sessionId: string, reason: string, now?: number): void;
  isPaused(sessionId: string): boolean;
}

export function usdText(nano: number): string {
  return `$${(nano / 1e9).toFixed(2)}`;
}

export function createBudgetTracker(opts: BudgetTrackerOptions): BudgetTracker {
  const now = opts.now ?? (() => Date.now());
  const warn = opts.warn ?? (() => {});
  let zone = typeof opts.tz === 'string' ? opts.tz : null;
  const tzOf = typeof opts.tz === 'function' ? opts.tz : null;
  const tz = (): string => (zone ??= tzOf!());
  const defaultUser = opts.defaultUser ?? null;
  let rules = [...opts.rules];
  /** Whether per-user spend could be read at start (the PostgreSQL store's byUser, or the daemon's own user). */
  let usersFromStore: boolean | null = null;
  /** False while init reads the spend. */
  let ready = true;
  const counters = new Map<BudgetPeriod, Counter>();
  const paused = new Map<string, { since: number; reason: string }>();
  const overrideFile = opts.dataDir ? path.join(opts.dataDir, OVERRIDE_FILE) : null;
  let overrideUntil: number | null = null;
  if (overrideFile) {
    try {
      const v = (JSON.parse(fs.readFileSync(overrideFile, 'utf8')) as { until?: unknown }).until;
      if (typeof v === 'number' && Number.isFinite(v)) overrideUntil = v;
    } catch {
      // none
    }
  }

  const counter = (period: BudgetPeriod, t: number): Counter => {
    let c = counters.get(period);
    if (!c || t >= c.end || t < c.start) {
      const p = periodContaining(period, t, tz());
      if (c && t < c.start) return { ...p, total: 0, byProject: new Map(), byUser: new Map() }; // an old record: not this period
      c = { ...p, total: 0, byProject: new Map(), byUser: new Map() };
      counters.set(period, c);
    }
    return c;
  };

  /** The status of a rule; for the per-user default, of that rule for `user`. */
  const statusOf = (rule: BudgetRule, t: number, user: string | null = null): BudgetStatus => {
    const c = counter(rule.period, t);
    const who = rule.user === EVERY_USER ? user : (rule.user ?? null);
    const spent = who !== null ? (c.byUser.get(who) ?? 0) : rule.project === null ? c.total : (c.byProject.get(rule.project) ?? 0);
    const cap = Math.round(rule.usd * 1e9);
    const fraction = cap > 0 ? spent / cap : 0;
    const state = fraction >= 1 ? 'exceeded' : fraction >= WARNING_AT ? 'warning' : 'ok';
    const base = { ...rule, spentNanoUsd: spent, fraction, state, periodStart: c.start, periodEnd: c.end } as const;
    return rule.user === EVERY_USER && user !== null ? { ...base, user, perUser: true } : base;
  };

  /** The rule that caps `user` for a period: their own, else the per-user default (undefined = none). */
  const userRule = (user: string, period: BudgetPeriod): BudgetRule | undefined =>
    rules.find((r) => r.period === period && r.user === user) ?? rules.find((r) => r.period === period && r.user === EVERY_USER);

  /** Every rule's status; the per-user default once per user who spent in its period without a cap of their own. */
  const statuses = (t: number): BudgetStatus[] => {
    const out: BudgetStatus[] = [];
    for (const r of rules) {
      if (r.user !== EVERY_USER) {
        out.push(statusOf(r, t));
        continue;
      }
      const c = counter(r.period, t);
      const users = [...c.byUser].filter(([u, spent]) => spent > 0 && !rules.some((x) => x.period === r.period && x.user === u)).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
      for (const [u] of users) out.push(statusOf(r, t, u));
    }
    return out;
  };

  const hasUserRules = () => rules.some((r) => r.user !== undefined && r.user !== null);
  const warnUsersUnknown = () => {
    if (usersFromStore === false && hasUserRules()) {
      warn('budgets: per-user spend counts from this start: the embedded store keeps no user (run the gateway on PostgreSQL to keep it across restarts)');
      usersFromStore = null; // once
    }
  };

  const overridden = (t: number) => overrideUntil !== null && t < overrideUntil;

  const describe = (s: BudgetStatus) =>
    s.user
      ? `CCO: the ${s.period} budget of user ${s.user}${s.perUser ? ' (the per-user budget)' : ''} of ${usdText(s.usd * 1e9)} is spent (${usdText(s.spentNanoUsd)}), so CCO refuses ${s.user}'s new requests until ${new Date(s.periodEnd).toISOString()}. ` +
        `An administrator of this CCO can lift it (\`cco budget override --for 1h\`) or raise it (\`cco budget set ${s.period} <USD> ${s.perUser ? '--per-user' : `--user ${s.user}`} --hard\`).`
      : `CCO: the ${s.period} budget${s.project ? ` for ${s.project}` : ''} of ${usdText(s.usd * 1e9)} is spent (${usdText(s.spentNanoUsd)}), so CCO refuses new requests until ${new Date(s.periodEnd).toISOString()}. ` +
        'To lift it, run `cco budget override --for 1h` (or use "Lift budget for 1 hour" in the CCO tray), or raise it with `cco budget set`.';

  function book(record: RequestRecord): void {
    if (!record.billable || !record.costNanoUsd || record.costNanoUsd <= 0) return;
    for (const period of BUDGET_PERIODS) {
      const c = counter(period, record.startedAt);
      if (record.startedAt < c.start) continue;
      c.total += record.costNanoUsd;
      if (record.project) c.byProject.set(record.project, (c.byProject.get(record.project) ?? 0) + record.costNanoUsd);
      const user = record.user ?? defaultUser;
      if (user !== null) c.byUser.set(user, (c.byUser.get(user) ?? 0) + record.costNanoUsd);
    }
  }

  return {
    setRules(next) {
      rules = [...next];
      warnUsersUnknown();
    },
    rules: () => [...rules],
    async init(summary, held) {
      const t = now();
      ready = false;
      try {
        // Asked together, before any await: see the interface.
        const asked = BUDGET_PERIODS.map((period) => {
          const p = periodContaining(period, t, tz());
          return summary(p.start, p.end, tz());
        });
        const notInThem = held?.() ?? Promise.resolve([]);
        notInThem.catch(() => undefined); // awaited below, unless a summary failed first
        const answers = await Promise.allSettled(asked);
        for (const [i, period] of BUDGET_PERIODS.entries()) {
          const a = answers[i]!;
          if (a.status === 'rejected') throw a.reason;
          const s = a.value;
          const c = counter(period, t);
          c.total += s.totals.costNanoUsd;
          for (const g of s.byProject) if (g.key !== NONE_KEY) c.byProject.set(g.key, (c.byProject.get(g.key) ?? 0) + g.costNanoUsd);
          // Per user: the PostgreSQL store's byUser; on the embedded store (no users) every record is the daemon's own user's, if it has one.
          const addUser = (u: string, nano: number) => c.byUser.set(u, (c.byUser.get(u) ?? 0) + nano);
          if (s.byUser) {
            for (const g of s.byUser) {
              const u = g.key === NONE_KEY ? defaultUser : g.key;
              if (u !== null) addUser(u, g.costNanoUsd);
            }
          } else if (defaultUser !== null) addUser(defaultUser, s.totals.costNanoUsd);
          usersFromStore = !!s.byUser || defaultUser !== null;
        }
        for (const r of await notInThem) book(r);
        warnUsersUnknown();
        ready = true;
      } catch (err) {
        warn(`budgets: could not read today's spend from the store (${(err as Error).message}); counting from now`);
        ready = true;
      }
    },
    book,
    status: (t = now()) => statuses(t),
    response(t = now()) {
      return {
        tz: tz(),
        budgets: statuses(t),
        rules: [...rules],
        overrideUntil: overridden(t) ? overrideUntil : null,
        pausedSessions: [...paused].map(([sessionId, p]) => ({ sessionId, ...p })),
        ready,
      };
    },
    refusal(project, sessionId, requestUser = null, t = now()) {
      if (overridden(t)) return null;
      if (sessionId !== null) {
        const p = paused.get(sessionId);
        if (p) {
          return {
            kind: 'paused',
            message: `CCO paused this session (${p.reason}). To resume, run \`cco budget override --for 1h\` or use "Lift budget for 1 hour" in the CCO tray.`,
          };
        }
      }
      for (const r of rules) {
        if (!r.hard || (r.project !== null && r.project !== project) || (r.user !== undefined && r.user !== null)) continue;
        const s = statusOf(r, t);
        if (s.state === 'exceeded') return { kind: 'budget', message: describe(s), rule: s };
      }
      const user = requestUser ?? defaultUser;
      if (user !== null) {
        for (const period of BUDGET_PERIODS) {
          const r = userRule(user, period);
          if (!r?.hard) continue;
          const s = statusOf(r, t, user);
          if (s.state === 'exceeded') return { kind: 'budget', message: describe(s), rule: s };
        }
      }
      return null;
    },
    needsAttribution(t = now()) {
      if (overridden(t)) return false;
      if (paused.size > 0) return true;
      return rules.some((r) => r.hard && r.project !== null && statusOf(r, t).state === 'exceeded');
    },
    override(until) {
      overrideUntil = until;
      if (until !== null) paused.clear();
      if (!overrideFile) return;
      try {
        const tmp = `${overrideFile}.${process.pid}.tmp`;
        fs.writeFileSync(tmp, JSON.stringify({ until }), { mode: 0o600 });
        fs.renameSync(tmp, overrideFile);
      } catch (err) {
        warn(`budgets: could not save the override (${(err as Error).message})`);
      }
    },
    pause(sessionId, reason, t = now()) {
      if (!paused.has(sessionId)) paused.set(sessionId, { since: t, reason });
    },
    isPaused: (id) => paused.has(id),
  };
}

/**
 * Today's and this month's spend for the tray, from the daemon's own API: the summary reads at start, then
 * the live feed (WS /api/live). Each live record updates the tray at once from the record itself (its cost
 * added to today and this month); the summaries are re-read to correct that at most every 5 s, and at
 * least 1 s after the last record (a busy session makes ~3 reads per 5 s, far under the API's rate limit).
 * A 429 is honoured: nothing is asked before its Retry-After has passed. Push, never poll. Reconnects with
 * backoff while the daemon is up; stop() clears every timer and socket.
 */
import WebSocket from 'ws';
import type { BindingLimit, CcoAlert, LimitsResponse, LiveMessage, RequestRecord, StatusResponse, Summary } from '../shared/contract.ts';
import { retryAfterMs } from '../daemon/api/retry-after.ts';
import { fetchGuardState, type GuardState } from './guard-actions.ts';

export interface SpendFigures {
  todayNanoUsd: number;
  monthNanoUsd: number;
  unpricedToday: number;
  /** The binding plan-limit window (GET /api/limits), null when none was seen or the daemon has no such route. */
  limit?: BindingLimit | null;
  /** The daemon's own health (GET /api/status): not ok = the tray shows it; absent on daemons without the route. */
  health?: Pick<StatusResponse, 'status' | 'message'> | null;
  /** Alert mute and budget override for the tray menu (guard-actions.ts); absent on daemons without the routes. */
  guards?: GuardState | null;
}

export interface SpendFeedOptions {
  baseUrl: string;
  token: string;
  onUpdate: (figures: SpendFigures) => void;
  /** Each `alert` frame of the live feed (plan limits, budgets, runaway): shown as a desktop notification. */
  onAlert?: (alert: CcoAlert) => void;
  tz?: string;
  /** Quiet time after the last live record before the summaries are re-read; default (and minimum sensible) 1 s. */
  debounceMs?: number;
  /** At most one summary re-read per this long; default 5 s. */
  summaryEveryMs?: number;
  log?: (line: string) => void;
  now?: () => number;
}

/** The daemon answered 429: wait `retryAfterMs` before asking again. */
export class RateLimitedError extends Error {
  constructor(readonly retryAfterMs: number) {
    super(`rate limited by the daemon; retrying in ${Math.round(retryAfterMs / 1000)} s`);
  }
}

/** When to re-read the summaries: after the debounce, no sooner than summaryEveryMs after the last read, never inside a 429's wait. */
export function nextRefreshDelay(o: { now: number; lastRefreshAt: number; blockedUntil: number; debounceMs: number; summaryEveryMs: number }): number {
  return Math.max(o.debounceMs, o.lastRefreshAt + o.summaryEveryMs - o.now, o.blockedUntil - o.now, 0);
}

/** The tray's figures with one more finished record (the next summary read corrects any drift). */
export function addRecord(f: SpendFigures, r: Pick<RequestRecord, 'costNanoUsd' | 'billable'>): SpendFigures {
  if (r.costNanoUsd === null) return r.billable ? { ...f, unpricedToday: f.unpricedToday + 1 } : f;
  if (typeof r.costNanoUsd !== 'number' || !Number.isFinite(r.costNanoUsd)) return f;
  return { ...f, todayNanoUsd: f.todayNanoUsd + r.costNanoUsd, monthNanoUsd: f.monthNanoUsd + r.costNanoUsd };
}

export async function fetchSpend(baseUrl: string, token: string, tz: string): Promise<SpendFigures> {
  const get = async (range: 'today' | 'month'): Promise<Summary> => {
    const res = await fetch(`${baseUrl}/api/summary?range=${range}&tz=${encodeURIComponent(tz)}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    if (res.status === 429) throw new RateLimitedError(retryAfterMs(res.headers.get('retry-after')));
    if (!res.ok) throw new Error(`summary ${range}: HTTP ${res.status}`);
    return (await res.json()) as Summary;
  };
  const limits = fetch(`${baseUrl}/api/limits`, { headers: { authorization: `Bearer ${token}` } })
    .then((r) => (r.ok ? (r.json() as Promise<LimitsResponse>) : null))
    .catch(() => null);
  const status = fetch(`${baseUrl}/api/status`, { headers: { authorization: `Bearer ${token}` } })
    .then((r) => (r.ok ? (r.json() as Promise<Partial<StatusResponse>>) : null))
    .then((b) => (b && (b.status === 'ok' || b.status === 'warning' || b.status === 'error') ? { status: b.status, message: typeof b.message === 'string' ? b.message : null } : null))
    .catch(() => null);
  const guards = fetchGuardState({ baseUrl, token }).catch(() => null);
  const [today, month, lim, health, guard] = await Promise.all([get('today'), get('month'), limits, status, guards]);
  return {
    todayNanoUsd: today.totals.costNanoUsd,
    monthNanoUsd: month.totals.costNanoUsd,
    unpricedToday: today.totals.unpricedRequests,
    ...(lim?.binding ? { limit: lim.binding } : {}),
    ...(health ? { health } : {}),
    ...(guard ? { guards: guard } : {}),
  };
}

export class SpendFeed {
  readonly #opts: Required<Omit<SpendFeedOptions, 'log' | 'onAlert'>> & { log: (line: string) => void; onAlert?: (alert: CcoAlert) => void };
  #figures: SpendFigures | null = null;
  #lastRefreshAt = Number.NEGATIVE_INFINITY;
  #blockedUntil = 0;
  #ws: WebSocket | null = null;
  #debounce: ReturnType<typeof setTimeout> | undefined;
  #reconnect: ReturnType<typeof setTimeout> | undefined;
  #attempt = 0;
  #stopped = true;

  constructor(opts: SpendFeedOptions) {
    this.#opts = {
      tz: Intl.DateTimeFormat().resolvedOptions().timeZone,
      debounceMs: 1_000,
      summaryEveryMs: 5_000,
      log: () => {},
      now: () => Date.now(),
      ...opts,
    };
  }

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    void this.refresh();
    this.#connect();
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#debounce);
    clearTimeout(this.#reconnect);
    const ws = this.#ws;
    this.#ws = null;
    if (ws) {
      ws.removeAllListeners();
      ws.on('error', () => {});
      ws.terminate();
    }
  }

  /** Until when the daemon asked us to wait (a 429's Retry-After), epoch ms; 0 = not blocked. */
  get blockedUntil(): number {
    return this.#blockedUntil;
  }

  async refresh(): Promise<void> {
    this.#lastRefreshAt = this.#opts.now();
    try {
      const figures = await fetchSpend(this.#opts.baseUrl, this.#opts.token, this.#opts.tz);
      this.#figures = figures;
      if (!this.#stopped) this.#opts.onUpdate(figures);
    } catch (err) {
      this.#opts.log(`spend-feed: ${(err as Error).message}`);
      if (err instanceof RateLimitedError) {
        this.#blockedUntil = this.#opts.now() + err.retryAfterMs;
        this.#schedule(); // the figures are stale: read again once allowed
      }
    }
  }

  #schedule(): void {
    if (this.#stopped) return;
    clearTimeout(this.#debounce);
    const delay = nextRefreshDelay({
      now: this.#opts.now(),
      lastRefreshAt: this.#lastRefreshAt,
      blockedUntil: this.#blockedUntil,
      debounceMs: this.#opts.debounceMs,
      summaryEveryMs: this.#opts.summaryEveryMs,
    });
    this.#debounce = setTimeout(() => void this.refresh(), delay);
  }

  #onRecord(record: RequestRecord): void {
    if (this.#figures && record && typeof record === 'object') {
      this.#figures = addRecord(this.#figures, record);
      this.#opts.onUpdate(this.#figures);
    }
    this.#schedule();
  }

  #connect(): void {
    if (this.#stopped) return;
    const url = `${this.#opts.baseUrl.replace(/^http/, 'ws')}/api/live`;
    const ws = new WebSocket(url, { headers: { authorization: `Bearer ${this.#opts.token}` } });
    this.#ws = ws;
    ws.on('open', () => {
      if (this.#attempt > 0) this.#schedule(); // catch up on what we missed while disconnected
      this.#attempt = 0;
    });
    ws.on('message', (data) => {
      let msg: LiveMessage;
      try {
        msg = JSON.parse(String(data)) as LiveMessage;
      } catch {
        return;
      }
      if (msg.type === 'request') this.#onRecord(msg.record);
      else if (msg.type === 'limits') this.#schedule();
      else if (msg.type === 'alert') this.#opts.onAlert?.(msg.alert);
    });
    ws.on('error', (err) => this.#opts.log(`spend-feed: live feed error: ${err.message}`));
    ws.on('close', () => {
      if (this.#stopped || this.#ws !== ws) return;
      const delay = Math.min(30_000, 500 * 2 ** this.#attempt++);
      this.#reconnect = setTimeout(() => this.#connect(), delay);
    });
  }
}

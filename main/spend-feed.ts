/**
 * Today's and this month's spend for the tray, from the daemon's own API: two summary reads at start,
 * then the live feed (WS /api/live) triggers a debounced re-read on each new request — push, never poll.
 * Reconnects with backoff while the daemon is up; stop() clears every timer and socket.
 */
import WebSocket from 'ws';
import type { BindingLimit, CcoAlert, LimitsResponse, LiveMessage, Summary } from '../daemon/api/contract.ts';

export interface SpendFigures {
  todayNanoUsd: number;
  monthNanoUsd: number;
  unpricedToday: number;
  /** The binding plan-limit window (GET /api/limits), null when none was seen or the daemon has no such route. */
  limit?: BindingLimit | null;
}

export interface SpendFeedOptions {
  baseUrl: string;
  token: string;
  onUpdate: (figures: SpendFigures) => void;
  /** Each `alert` frame of the live feed (plan limits, budgets, runaway): shown as a desktop notification. */
  onAlert?: (alert: CcoAlert) => void;
  tz?: string;
  debounceMs?: number;
  log?: (line: string) => void;
}

export async function fetchSpend(baseUrl: string, token: string, tz: string): Promise<SpendFigures> {
  const get = async (range: 'today' | 'month'): Promise<Summary> => {
    const res = await fetch(`${baseUrl}/api/summary?range=${range}&tz=${encodeURIComponent(tz)}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    if (!res.ok) throw new Error(`summary ${range}: HTTP ${res.status}`);
    return (await res.json()) as Summary;
  };
  const limits = fetch(`${baseUrl}/api/limits`, { headers: { authorization: `Bearer ${token}` } })
    .then((r) => (r.ok ? (r.json() as Promise<LimitsResponse>) : null))
    .catch(() => null);
  const [today, month, lim] = await Promise.all([get('today'), get('month'), limits]);
  return {
    todayNanoUsd: today.totals.costNanoUsd,
    monthNanoUsd: month.totals.costNanoUsd,
    unpricedToday: today.totals.unpricedRequests,
    ...(lim?.binding ? { limit: lim.binding } : {}),
  };
}

export class SpendFeed {
  readonly #opts: Required<Omit<SpendFeedOptions, 'log' | 'onAlert'>> & { log: (line: string) => void; onAlert?: (alert: CcoAlert) => void };
  #ws: WebSocket | null = null;
  #debounce: ReturnType<typeof setTimeout> | undefined;
  #reconnect: ReturnType<typeof setTimeout> | undefined;
  #attempt = 0;
  #stopped = true;

  constructor(opts: SpendFeedOptions) {
    this.#opts = {
      tz: Intl.DateTimeFormat().resolvedOptions().timeZone,
      debounceMs: 300,
      log: () => {},
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

  async refresh(): Promise<void> {
    try {
      const figures = await fetchSpend(this.#opts.baseUrl, this.#opts.token, this.#opts.tz);
      if (!this.#stopped) this.#opts.onUpdate(figures);
    } catch (err) {
      this.#opts.log(`spend-feed: ${(err as Error).message}`);
    }
  }

  #schedule(): void {
    clearTimeout(this.#debounce);
    this.#debounce = setTimeout(() => void this.refresh(), this.#opts.debounceMs);
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
      if (msg.type === 'request' || msg.type === 'limits') this.#schedule();
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

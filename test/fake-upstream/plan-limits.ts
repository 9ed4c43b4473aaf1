/**
 * Subscription plan limits (§1.6 unified family), per credential: a 5-hour, a 7-day and a 7-day Sonnet window
 * whose utilization grows with the tokens each response books, starting at the first use after a reset (as
 * the real windows do). Headers report the state BEFORE the response (like the API); at 100 % a window is
 * `rejected` and billable requests answer 429 `rate_limit_error` carrying the headers; from `warnAt` it is
 * `allowed_warning`. Runs on its own clock offset, moved by `advanceClock` with the prompt cache's.
 *
 * Weight of a response: input + cache writes + output × 5 (cache reads are free), over the window's capacity.
 */
import type { HeaderList } from './headers.ts';
import type { WireUsage } from './types.ts';

export interface PlanLimitOptions {
  /** Capacity of each window in weighted tokens. */
  fiveHour?: number;
  sevenDay?: number;
  sevenDaySonnet?: number;
  /** Utilization from which a window reports `allowed_warning` (default 0.8). */
  warnAt?: number;
  /** Which credentials get the unified headers: OAuth only (default, as the real API) or every credential. */
  appliesTo?: 'oauth' | 'all';
}

const HOUR = 3_600_000;
const WINDOWS = [
  { name: '5h', claim: 'five_hour', length: 5 * HOUR, capacity: 'fiveHour', sonnetOnly: false },
  { name: '7d', claim: 'seven_day', length: 7 * 24 * HOUR, capacity: 'sevenDay', sonnetOnly: false },
  { name: '7d_sonnet', claim: 'seven_day_sonnet', length: 7 * 24 * HOUR, capacity: 'sevenDaySonnet', sonnetOnly: true },
] as const;
type WindowName = (typeof WINDOWS)[number]['name'];

interface WindowState {
  used: number;
  /** ms on the plan clock; null = not started (starts at the next use). */
  resetAt: number | null;
}

export class PlanLimits {
  readonly appliesTo: 'oauth' | 'all';
  readonly #capacity: Record<WindowName, number>;
  readonly #warnAt: number;
  readonly #byCredential = new Map<string, Record<WindowName, WindowState>>();
  #offset = 0;

  constructor(opts: PlanLimitOptions = {}) {
    this.appliesTo = opts.appliesTo ?? 'oauth';
    this.#capacity = { '5h': opts.fiveHour ?? 1_000_000, '7d': opts.sevenDay ?? 10_000_000, '7d_sonnet': opts.sevenDaySonnet ?? 5_000_000 };
    this.#warnAt = opts.warnAt ?? 0.8;
  }

  now(): number {
    return Date.now() + this.#offset;
  }

  advance(ms: number): void {
    this.#offset += ms;
  }

  clear(): void {
    this.#byCredential.clear();
    this.#offset = 0;
  }

  #state(credential: string): Record<WindowName, WindowState> {
    let s = this.#byCredential.get(credential);
    if (!s) {
      s = { '5h': { used: 0, resetAt: null }, '7d': { used: 0, resetAt: null }, '7d_sonnet': { used: 0, resetAt: null } };
      this.#byCredential.set(credential, s);
    }
    const t = this.now();
    for (const w of WINDOWS) {
      const ws = s[w.name];
      if (ws.resetAt !== null && t >= ws.resetAt) {
        ws.used = 0;
        ws.resetAt = null;
      }
    }
    return s;
  }

  /** Sets a window's utilization (0..1) for a credential hash, or for every known credential when omitted. */
  setUtilization(window: WindowName, utilization: number, credential?: string): void {
    const targets = credential ? [credential] : [...this.#byCredential.keys()];
    for (const c of targets) {
      const ws = this.#state(c)[window];
      ws.used = utilization * this.#capacity[window];
      ws.resetAt ??= this.now() + WINDOWS.find((w) => w.name === window)!.length;
    }
  }

  utilization(credential: string, window: WindowName): number {
    return this.#state(credential)[window].used / this.#capacity[window];
  }

  /** Whether a new billable request is refused (some window at 100 %); the seconds until it resets. */
  rejection(credential: string): { retryAfter: number } | null {
    const s = this.#state(credential);
    let worst: number | null = null;
    for (const w of WINDOWS) {
      const ws = s[w.name];
      if (ws.used >= this.#capacity[w.name] && ws.resetAt !== null) worst = Math.max(worst ?? 0, ws.resetAt);
    }
    return worst === null ? null : { retryAfter: Math.max(1, Math.ceil((worst - this.now()) / 1000)) };
  }

  /** Books one response's usage against every window (the Sonnet window only for Sonnet models). */
  book(credential: string, model: string | null, usage: WireUsage | null): void {
    if (!usage) return;
    const weight = (usage.input_tokens ?? 0) + (usage.cache_creation_input_tokens ?? 0) + 5 * (usage.output_tokens ?? 0);
    if (weight <= 0) return;
    const s = this.#state(credential);
    const t = this.now();
    for (const w of WINDOWS) {
      if (w.sonnetOnly && !(model ?? '').includes('sonnet')) continue;
      const ws = s[w.name];
      ws.resetAt ??= t + w.length;
      ws.used += weight;
    }
  }

  headers(credential: string): HeaderList {
    const s = this.#state(credential);
    const t = this.now();
    const status = (u: number) => (u >= 1 ? 'rejected' : u >= this.#warnAt ? 'allowed_warning' : 'allowed');
    const secs = (ms: number) => String(Math.floor(ms / 1000));
    const h: HeaderList = [];
    let claim: (typeof WINDOWS)[number] = WINDOWS[0];
    let claimU = -1;
    let overall = 'allowed';
    for (const w of WINDOWS) {
      const u = s[w.name].used / this.#capacity[w.name];
      const st = status(u);
      if (st === 'rejected' || (st === 'allowed_warning' && overall === 'allowed')) overall = st;
      if (u > claimU) {
        claim = w;
        claimU = u;
      }
    }
    const resetOf = (w: (typeof WINDOWS)[number]) => s[w.name].resetAt ?? t + w.length;
    h.push(
      ['anthropic-ratelimit-unified-status', overall],
      ['anthropic-ratelimit-unified-reset', secs(resetOf(claim))],
      ['anthropic-ratelimit-unified-representative-claim', claim.claim],
      ['anthropic-ratelimit-unified-fallback', 'available'],
      ['anthropic-ratelimit-unified-fallback-percentage', '0.5'],
    );
    for (const w of WINDOWS) {
      const u = s[w.name].used / this.#capacity[w.name];
      h.push(
        [`anthropic-ratelimit-unified-${w.name}-utilization`, String(Math.round(u * 10_000) / 10_000)],
        [`anthropic-ratelimit-unified-${w.name}-reset`, secs(resetOf(w))],
        [`anthropic-ratelimit-unified-${w.name}-status`, status(u)],
      );
    }
    h.push(['anthropic-ratelimit-unified-overage-status', 'rejected'], ['anthropic-ratelimit-unified-overage-disabled-reason', 'org_level_disabled']);
    return h;
  }
}

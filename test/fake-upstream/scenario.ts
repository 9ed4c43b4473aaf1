/**
 * Scenario selection (§9.1, §9.7): a queued script entry first, else the `x-mock-scenario` header,
 * else keywords in a `claude-test-…` model id.
 */
import type { Chunking, Scenario } from './types.ts';
import { TEST_MODEL_PREFIX } from './catalog.ts';

function num(v: string | undefined, key: string): number {
  const n = Number(v);
  if (v === undefined || v === '' || !Number.isFinite(n)) throw new Error(`x-mock-scenario: ${key} needs a number`);
  return n;
}

function bool(v: string | undefined): boolean {
  return v === undefined || v === '' || v === 'true' || v === '1' || v === 'on';
}

/**
 * Parse the header form: items separated by `;` or whitespace, each `key[:value]`, e.g.
 * `status:529`, `mid_error:3;chunking:random`, `slow:ttfb=200,gap=50`, `stall_after:2 pings:false`.
 */
export function parseScenarioHeader(value: string): Scenario {
  const s: Scenario = {};
  for (const item of value.split(/[;\s]+/).filter(Boolean)) {
    const i = item.indexOf(':');
    const key = (i < 0 ? item : item.slice(0, i)).toLowerCase().replace(/-/g, '_');
    const v = i < 0 ? undefined : item.slice(i + 1);
    switch (key) {
      case 'status': s.status = num(v, key); break;
      case 'mid_error': s.midError = num(v, key); break;
      case 'truncate': s.truncate = num(v, key); break;
      case 'cut': s.cut = num(v, key); break;
      case 'stall_after': s.stallAfter = num(v, key); break;
      case 'pings': s.pings = bool(v); break;
      case 'ttfb': case 'ttfb_ms': s.ttfbMs = num(v, key); break;
      case 'gap': case 'gap_ms': s.gapMs = num(v, key); break;
      case 'slow':
        s.ttfbMs = 200;
        s.gapMs = 50;
        for (const kv of (v ?? '').split(',').filter(Boolean)) {
          const [k, x] = kv.split('=');
          if (k === 'ttfb' || k === 'ttfb_ms') s.ttfbMs = num(x, k);
          else if (k === 'gap' || k === 'gap_ms') s.gapMs = num(x, k);
        }
        break;
      case 'retry_then_ok': s.retryThenOk = num(v, key); break;
      case 'retry_status': s.retryStatus = num(v, key); break;
      case 'retry_after': s.retryAfter = num(v, key); break;
      case 'output_tokens': s.outputTokens = num(v, key); break;
      case 'thinking_tokens': s.thinkingTokens = num(v, key); break;
      case 'tool_use': s.toolUse = bool(v); break;
      case 'web_search': s.webSearch = v === undefined ? 1 : num(v, key); break;
      case 'stop_reason': s.stopReason = v ?? 'end_turn'; break;
      case 'response_model': s.responseModel = v ?? ''; break;
      case 'service_tier': s.serviceTier = v ?? 'standard'; break;
      case 'chunking': s.chunking = (v ?? 'event') as Chunking; break;
      case 'compact': s.compact = bool(v); break;
      case 'spaced': s.compact = false; break;
      case 'pad': s.pad = v === undefined ? true : v === 'false' ? false : v === 'true' ? true : num(v, key); break;
      case 'gzip': s.gzip = bool(v); break;
      default: throw new Error(`x-mock-scenario: unknown item "${item}"`);
    }
  }
  if (s.chunking && !['event', 'coalesce', 'random'].includes(s.chunking)) throw new Error(`x-mock-scenario: bad chunking "${s.chunking}"`);
  return s;
}

const KEYWORDS: [RegExp, (n: number, s: Scenario) => void][] = [
  [/status-(\d+)/, (n, s) => (s.status = n)],
  [/mid[-_]error-(\d+)/, (n, s) => (s.midError = n)],
  [/truncate-(\d+)/, (n, s) => (s.truncate = n)],
  [/cut-(\d+)/, (n, s) => (s.cut = n)],
  [/stall[-_]after-(\d+)/, (n, s) => (s.stallAfter = n)],
  [/retry[-_]then[-_]ok-(\d+)/, (n, s) => (s.retryThenOk = n)],
  [/output[-_]tokens-(\d+)/, (n, s) => (s.outputTokens = n)],
  [/web[-_]search-(\d+)/, (n, s) => (s.webSearch = n)],
];

/** Keywords in a `claude-test-…` model id, e.g. `claude-test-status-529`, `claude-test-cut-2-random`. */
export function scenarioFromModel(model: string): Scenario | null {
  if (!model.startsWith(TEST_MODEL_PREFIX)) return null;
  const rest = model.slice(TEST_MODEL_PREFIX.length);
  const s: Scenario = {};
  for (const [re, set] of KEYWORDS) {
    const m = re.exec(rest);
    if (m) set(Number(m[1]), s);
  }
  if (/(^|-)slow(-|$)/.test(rest)) Object.assign(s, { ttfbMs: 200, gapMs: 50 });
  if (/(^|-)random(-|$)/.test(rest)) s.chunking = 'random';
  if (/(^|-)tool[-_]use(-|$)/.test(rest)) s.toolUse = true;
  return Object.keys(s).length > 0 ? s : null;
}

/** FIFO of scripted scenarios; an entry with `match` waits for a matching request. */
export class ScriptQueue {
  private queue: Scenario[] = [];

  push(s: Scenario | Scenario[]): void {
    for (const one of Array.isArray(s) ? s : [s]) {
      const k = one.retryThenOk ?? 0;
      for (let i = 0; i < k; i++) {
        const fail: Scenario = { status: one.retryStatus ?? 529 };
        if (one.match) fail.match = one.match;
        if (one.retryAfter !== undefined) fail.retryAfter = one.retryAfter;
        this.queue.push(fail);
      }
      const rest = { ...one };
      delete rest.retryThenOk;
      delete rest.retryStatus;
      this.queue.push(rest);
    }
  }

  /** First entry for this request; entries without `match.path` only go to billable endpoints. */
  take(path: string, model: string | null, billable: boolean): Scenario | null {
    const i = this.queue.findIndex(
      (s) => (s.match?.path ? s.match.path === path : billable) && (!s.match?.model || s.match.model === model),
    );
    if (i < 0) return null;
    return this.queue.splice(i, 1)[0] ?? null;
  }

  pending(): number {
    return this.queue.length;
  }

  clear(): void {
    this.queue = [];
  }
}

/** Attempt counter for header/model `retry_then_ok:k` (keyed by scenario source + body hash). */
export class RetryCounter {
  private readonly attempts = new Map<string, number>();
  /** Returns the attempt number (0-based) and counts this one. */
  next(key: string): number {
    const n = this.attempts.get(key) ?? 0;
    this.attempts.set(key, n + 1);
    return n;
  }
  clear(): void {
    this.attempts.clear();
  }
}

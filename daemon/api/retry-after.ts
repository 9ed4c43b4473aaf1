/**
 * `Retry-After` as the daemon's clients read it (dashboard, popover, `cco tui`, `cco statusline`): one parser,
 * so every CCO screen waits as long as the daemon asked before it asks again.
 */

/** Longest wait a client accepts from one Retry-After (a bogus header must not freeze a screen). */
export const MAX_RETRY_AFTER_MS = 60_000;

/** Milliseconds to wait for a `Retry-After` value (delta-seconds or an HTTP date); 1 s when absent or unreadable. */
export function retryAfterMs(value: string | null | undefined, nowMs: number = Date.now()): number {
  if (value) {
    const v = value.trim();
    if (/^\d+$/.test(v)) return Math.min(MAX_RETRY_AFTER_MS, Number(v) * 1000);
    const at = Date.parse(v);
    if (Number.isFinite(at)) return Math.min(MAX_RETRY_AFTER_MS, Math.max(0, at - nowMs));
  }
  return 1000;
}

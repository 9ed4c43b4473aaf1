/**
 * Pure restart policy for the supervised daemon: exponential backoff with jitter, and a crash-loop
 * breaker (VS Code's "3 crashes within 5 minutes" rule) after which the supervisor stops and shows an error.
 */

export interface RestartPolicy {
  /** Delay before the first restart. */
  baseDelayMs: number;
  /** Upper bound of the exponential delay (before jitter). */
  maxDelayMs: number;
  /** ± fraction of the delay added as random jitter (0.2 = ±20 %). */
  jitterRatio: number;
  /** This many crashes inside `windowMs` stops restarting. */
  maxCrashes: number;
  windowMs: number;
  /** A child that stayed ready this long resets the backoff exponent. */
  stableAfterMs: number;
}

export const DEFAULT_RESTART_POLICY: RestartPolicy = {
  baseDelayMs: 500,
  maxDelayMs: 30_000,
  jitterRatio: 0.2,
  maxCrashes: 3,
  windowMs: 5 * 60_000,
  stableAfterMs: 60_000,
};

export type RestartDecision =
  | { kind: 'restart'; delayMs: number; crashesInWindow: number }
  | { kind: 'give-up'; crashesInWindow: number };

/** Crash times still inside the window ending at `now`. */
export function crashesInWindow(crashTimes: readonly number[], now: number, windowMs: number): number[] {
  return crashTimes.filter((t) => now - t < windowMs);
}

/** Backoff delay for the n-th consecutive restart (n ≥ 0), with jitter from `random` ∈ [0, 1). */
export function backoffDelay(attempt: number, policy: RestartPolicy, random: () => number): number {
  const exp = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt));
  const jitter = exp * policy.jitterRatio * (random() * 2 - 1);
  return Math.max(0, Math.round(exp + jitter));
}

/**
 * Decide what to do after a crash. `crashTimes` must already include the crash being decided on;
 * `attempt` is the number of consecutive restarts since the child was last stable.
 */
export function decideRestart(
  crashTimes: readonly number[],
  now: number,
  attempt: number,
  policy: RestartPolicy = DEFAULT_RESTART_POLICY,
  random: () => number = Math.random,
): RestartDecision {
  const recent = crashesInWindow(crashTimes, now, policy.windowMs).length;
  if (recent >= policy.maxCrashes) return { kind: 'give-up', crashesInWindow: recent };
  return { kind: 'restart', delayMs: backoffDelay(attempt, policy, random), crashesInWindow: recent };
}

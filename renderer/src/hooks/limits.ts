/**
 * Plan limits and budgets for the views: read once the client is there (and after each live reconnect), then
 * re-read shortly after a live `limits` frame or a new request (budgets spend). A failure (an older daemon
 * without the routes) is "none", not an error on screen. `useNow` ticks for the reset countdowns.
 */
import { useEffect, useState } from 'react';
import type { BudgetsResponse, LimitsResponse } from '../../../shared/contract.ts';
import { useDaemon } from './daemon.tsx';

export interface LimitsData {
  limits: LimitsResponse | null;
  budgets: BudgetsResponse | null;
  reload(): void;
}

/** `limits: false`: budgets only (a team gateway's user may not read the plan limits). */
export function useLimits(opts: { limits?: boolean } = {}): LimitsData {
  const withLimits = opts.limits ?? true;
  const { client, epoch, onRecord, onLimits } = useDaemon();
  const [limits, setLimits] = useState<LimitsResponse | null>(null);
  const [budgets, setBudgets] = useState<BudgetsResponse | null>(null);
  const [tick, setTick] = useState(0);

  useEffect(() => {
    if (!client) return;
    const ac = new AbortController();
    if (withLimits) client.limits(ac.signal).then(setLimits, () => undefined);
    client.budgets(ac.signal).then(setBudgets, () => undefined);
    return () => ac.abort();
  }, [client, epoch, tick, withLimits]);

  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | null = null;
    const soon = () => {
      timer ??= setTimeout(() => {
        timer = null;
        setTick((n) => n + 1);
      }, 300);
    };
    const offRecord = onRecord(soon);
    const offLimits = onLimits?.(soon);
    return () => {
      offRecord();
      offLimits?.();
      if (timer) clearTimeout(timer);
    };
  }, [onRecord, onLimits]);

  return { limits, budgets, reload: () => setTick((n) => n + 1) };
}

/** Date.now(), re-rendered every `ms` (countdowns). */
export function useNow(ms = 30_000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(t);
  }, [ms]);
  return now;
}

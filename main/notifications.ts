/**
 * OS notifications for daemon events (crash loop now; budgets and limits later), rate-limited per key
 * and overall so a flapping daemon cannot flood the notification centre. The display function is
 * injected (Electron's Notification in main/index.ts), so the limiter is tested in Node.
 */

export interface NotificationRequest {
  /** Events with the same key share a cooldown (e.g. 'daemon-crash-loop'). */
  key: string;
  title: string;
  body: string;
}

export interface NotifierOptions {
  show: (title: string, body: string) => void;
  /** Minimum time between two notifications with the same key. */
  perKeyCooldownMs?: number;
  /** At most `maxPerWindow` notifications in any `windowMs`, across all keys. */
  maxPerWindow?: number;
  windowMs?: number;
  now?: () => number;
}

export interface Notifier {
  /** Shows the notification unless rate-limited; returns whether it was shown. */
  notify(req: NotificationRequest): boolean;
}

export function createNotifier(opts: NotifierOptions): Notifier {
  const cooldown = opts.perKeyCooldownMs ?? 10 * 60_000;
  const max = opts.maxPerWindow ?? 3;
  const windowMs = opts.windowMs ?? 60_000;
  const now = opts.now ?? (() => Date.now());
  const lastByKey = new Map<string, number>();
  let recent: number[] = [];
  return {
    notify(req) {
      const t = now();
      const last = lastByKey.get(req.key);
      if (last !== undefined && t - last < cooldown) return false;
      recent = recent.filter((x) => t - x < windowMs);
      if (recent.length >= max) return false;
      lastByKey.set(req.key, t);
      recent.push(t);
      try {
        opts.show(req.title, req.body);
      } catch {
        return false;
      }
      return true;
    },
  };
}

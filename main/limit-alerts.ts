/**
 * Desktop notifications for the daemon's alerts (plan limits, budgets, runaway sessions): each `alert` frame
 * of the live feed becomes one OS notification. The daemon already decides when an alert is due (once per
 * crossing, cooldowns, mute); this side only guards against repeats (same key) and floods (notifications.ts).
 */
import type { CcoAlert } from '../shared/contract.ts';
import { createNotifier, type Notifier } from './notifications.ts';

export interface NotificationCtor {
  new (opts: { title: string; body: string; silent?: boolean }): { show(): void };
  isSupported(): boolean;
}

export function createAlertNotifier(Notification: NotificationCtor, now?: () => number): { show(alert: CcoAlert): boolean; notifier: Notifier } {
  const notifier = createNotifier({
    show: (title, body) => {
      if (Notification.isSupported()) new Notification({ title, body }).show();
    },
    // a key is one crossing: never shown twice while the app runs
    perKeyCooldownMs: 24 * 3_600_000,
    maxPerWindow: 5,
    windowMs: 60_000,
    now,
  });
  return { notifier, show: (a) => notifier.notify({ key: `alert:${a.key}`, title: a.title, body: a.body }) };
}

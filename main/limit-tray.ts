/** The binding plan limit in the tray: `5h 63%` for the title/tooltip, and the icon state it calls for. */
import type { BindingLimit } from '../shared/contract.ts';

/** From this fraction on the icon shows the warning state even before the API says `allowed_warning`. */
export const WARNING_AT = 0.8;

export function limitText(b: BindingLimit, now = Date.now()): string {
  const label = b.window.replace(/^7d[_-](.+)$/, (_m, model: string) => `7d ${model[0]!.toUpperCase()}${model.slice(1)}`);
  const reset = b.resetsAt !== null && b.resetsAt <= now;
  return `${label} ${Math.round((reset ? 0 : b.utilization) * 100)}%`;
}

export function limitIcon(b: BindingLimit | null, now = Date.now()): 'normal' | 'warning' | 'rejected' {
  if (!b || (b.resetsAt !== null && b.resetsAt <= now)) return 'normal';
  if (b.status === 'rejected' || b.utilization >= 1) return 'rejected';
  if (b.status === 'allowed_warning' || b.utilization >= WARNING_AT) return 'warning';
  return 'normal';
}

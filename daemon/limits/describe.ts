/**
 * Plain words for limit windows and forecasts, shared by the CLI, the status line, the tray and the renderer.
 * Pure and dependency-free (no node: imports), so the renderer bundles it as is.
 */
import type { BindingLimit, CredentialLimits, LimitForecast, LimitsResponse } from '../../shared/contract.ts';

/** `5h` → "5-hour", `7d` → "weekly", `7d_sonnet` → "weekly Sonnet", anything else as sent. */
export function windowLabel(name: string): string {
  if (name === '5h') return '5-hour';
  if (name === '7d') return 'weekly';
  const m = /^7d[_-](.+)$/.exec(name);
  if (m) {
    const model = m[1]!.toLowerCase();
    const known: Record<string, string> = { sonnet: 'Sonnet', opus: 'Opus', oi: 'Opus', haiku: 'Haiku' };
    return `weekly ${known[model] ?? m[1]}`;
  }
  return name;
}

/** Short label for gauges and the tray: `5h`, `7d`, `7d Sonnet`. */
export function windowShort(name: string): string {
  const m = /^7d[_-](.+)$/.exec(name);
  if (!m) return name;
  return `7d ${windowLabel(name).replace(/^weekly /, '')}`;
}

function sameDay(a: number, b: number, tz: string): boolean {
  const f = new Intl.DateTimeFormat('en-CA', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit' });
  return f.format(a) === f.format(b);
}

/** "14:32", or "Tue 14:32" when not today, in `tz`. */
export function clockTime(t: number, now: number, tz: string): string {
  const hm = new Intl.DateTimeFormat('en-GB', { timeZone: tz, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(t);
  if (sameDay(t, now, tz)) return hm;
  const day = new Intl.DateTimeFormat('en-GB', { timeZone: tz, weekday: 'short', day: 'numeric', month: 'short' }).format(t);
  return `${day} ${hm}`;
}

/** "42 min", "3 h 5 min", "2 d 4 h". */
export function duration(ms: number): string {
  const min = Math.max(0, Math.round(ms / 60_000));
  if (min < 60) return `${min} min`;
  const h = Math.floor(min / 60);
  if (h < 48) return min % 60 ? `${h} h ${min % 60} min` : `${h} h`;
  const d = Math.floor(h / 24);
  return h % 24 ? `${d} d ${h % 24} h` : `${d} d`;
}

/** "at this pace the 5-hour limit is reached at 14:32 (in ~42 min)" / "not before it resets at 16:00". */
export function describeForecast(f: LimitForecast, now: number, tz: string): string {
  const label = windowLabel(f.window);
  let text: string;
  if (f.reachesAt !== null && f.reachesAt <= now) text = `the ${label} limit is reached`;
  else if (f.reachesAt !== null) text = `at this pace the ${label} limit is reached at ${clockTime(f.reachesAt, now, tz)} (in ~${duration(f.reachesAt - now)})`;
  else if (f.ratePerHour === null && f.confidence === 'none') text = `${label}: not enough data for a forecast`;
  else if (f.resetsAt !== null) text = `${label}: not reached before it resets at ${clockTime(f.resetsAt, now, tz)}`;
  else text = `${label}: not reached at this pace`;
  if (f.note && f.confidence !== 'high' && f.confidence !== 'none') text += ` (rough: ${f.note})`;
  return text;
}

export function percent(u: number): string {
  return `${Math.round(u * 100)}%`;
}

/** "5h 63%" */
export function bindingShort(b: BindingLimit): string {
  return `${windowShort(b.window)} ${percent(b.utilization)}`;
}

/** The most-used live window of a credential (reset windows count as 0). */
export function bindingOf(c: CredentialLimits, now: number): BindingLimit | null {
  if (!c.unified) return null;
  let best: BindingLimit | null = null;
  for (const w of Object.values(c.unified.windows)) {
    if (w.utilization === null) continue;
    const u = w.resetsAt !== null && w.resetsAt <= now ? 0 : w.utilization;
    const status = w.resetsAt !== null && w.resetsAt <= now ? 'allowed' : w.status;
    if (!best || u > best.utilization || (u === best.utilization && w.name === c.unified.representativeClaim)) {
      best = { credentialId: c.credentialId, window: w.name, utilization: u, resetsAt: w.resetsAt, status };
    }
  }
  return best;
}

/** The binding window across all credentials, preferring the most recently active one's. */
export function bindingLimit(r: Pick<LimitsResponse, 'credentials'>, now: number): BindingLimit | null {
  const byRecency = [...r.credentials].filter((c) => c.unified).sort((a, b) => b.updatedAt - a.updatedAt);
  return byRecency.length ? bindingOf(byRecency[0]!, now) : null;
}

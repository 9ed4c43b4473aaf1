/**
 * Pure tray model → title, tooltip, icon file and menu. The adapter (tray.ts) only applies these.
 * macOS shows today's spend as the title; Windows/Linux carry it in the tooltip; the error state shows in
 * the icon and the tooltip on every platform.
 */
import type { SupervisorState } from './supervisor.ts';
import type { BindingLimit } from '../shared/contract.ts';
import type { UpdateState } from '../shared/bridge.ts';
import { limitIcon, limitText } from './limit-tray.ts';
import type { GuardAction, GuardState } from './guard-actions.ts';

export interface TrayModel {
  daemon: SupervisorState;
  lastError: string | null;
  /** null = not known yet (daemon not ready / summary not loaded). */
  todayNanoUsd: number | null;
  monthNanoUsd: number | null;
  /** Billable requests today that could not be priced (shown as a "+" marker, never as $0). */
  unpricedToday: number;
  recording: boolean;
  launchAtLogin: boolean;
  /** The binding Claude plan-limit window (daemon/limits), when one was seen. */
  limit?: BindingLimit | null;
  /** Ready on a daemon the app did not start (e.g. `cco install-service`): shared, not supervised. */
  attached?: boolean;
  /** The daemon's own health (GET /api/status): `error` = not recording or data lost, `warning` = degraded. */
  health?: { status: 'ok' | 'warning' | 'error'; message: string | null } | null;
  /** The self-update's state; absent when this install does not update itself (dev, Scoop). */
  update?: UpdateState | null;
  /** Alert mute and budget override, for their menu entries (guard-actions.ts); absent on older daemons. */
  guards?: GuardState | null;
}

export type TrayAction =
  | 'open-popover'
  | 'open-dashboard'
  | 'toggle-recording'
  | 'restart-daemon'
  | 'check-updates'
  | 'download-update'
  | 'install-update'
  | 'toggle-launch-at-login'
  | 'quit'
  | GuardAction;

export type TrayMenuItem =
  | { type: 'separator' }
  | { type: 'normal'; id: TrayAction; label: string; enabled: boolean }
  | { type: 'checkbox'; id: TrayAction; label: string; checked: boolean; enabled: boolean };

export type TrayIconVariant = 'normal' | 'paused' | 'error' | 'warning';

/** $0.42, $12.31, $1.2k, $34k — short enough for a menu bar. */
export function formatUsd(nanoUsd: number): string {
  const usd = nanoUsd / 1e9;
  if (usd >= 10_000) return `$${Math.round(usd / 1000)}k`;
  if (usd >= 1000) return `$${(usd / 1000).toFixed(1)}k`;
  return `$${usd.toFixed(2)}`;
}

export function daemonLabel(m: Pick<TrayModel, 'daemon' | 'lastError' | 'recording' | 'attached'>): string {
  switch (m.daemon) {
    case 'ready': {
      const base = m.attached ? 'running (the CCO service already serving this data folder)' : 'running';
      return m.recording ? base : `${base}, recording paused`;
    }
    case 'refused':
      return `not started: ${m.lastError ?? 'the data folder or port is in use'}`;
    case 'starting':
      return 'starting…';
    case 'backoff':
      return 'restarting after a crash…';
    case 'failed':
      return `stopped after repeated crashes${m.lastError ? ` (${m.lastError})` : ''}`;
    case 'stopping':
      return 'stopping…';
    case 'stopped':
      return 'stopped';
  }
}

export function trayIconVariant(m: TrayModel): TrayIconVariant {
  if (m.daemon === 'failed' || m.daemon === 'backoff' || m.daemon === 'refused') return 'error';
  const limit = m.daemon === 'ready' ? limitIcon(m.limit ?? null) : 'normal';
  const health = m.daemon === 'ready' ? (m.health?.status ?? 'ok') : 'ok';
  if (limit === 'rejected' || health === 'error') return 'error';
  if (health === 'warning') return 'warning';
  if (!m.recording) return 'paused';
  return limit === 'warning' ? 'warning' : 'normal';
}

/** File name in assets/ for a variant. macOS template names end in `Template` (the @2x sibling is found by Electron). */
export function trayIconFile(variant: TrayIconVariant, platform: NodeJS.Platform): string {
  const suffix = variant === 'normal' ? '' : `-${variant}`;
  if (platform === 'darwin') return `tray${variant === 'normal' ? '' : variant[0]!.toUpperCase() + variant.slice(1)}Template.png`;
  if (platform === 'win32') return `tray${suffix}.ico`;
  return `tray${suffix}.png`;
}

function spend(nano: number | null, unpriced: number): string {
  if (nano === null) return '—';
  return formatUsd(nano) + (unpriced > 0 ? '+' : '');
}

/** macOS menu-bar title: today's spend when known, "!" in the error state, else nothing. */
export function trayTitle(m: TrayModel): string {
  if (m.daemon === 'failed' || m.daemon === 'refused') return '!';
  if (m.daemon !== 'ready' || m.todayNanoUsd === null) return '';
  const limit = m.limit ? limitText(m.limit) : null;
  return limit ? `${limit} · ${spend(m.todayNanoUsd, m.unpricedToday)}` : spend(m.todayNanoUsd, m.unpricedToday);
}

export function trayTooltip(m: TrayModel): string {
  const lines = [
    `CCO — today ${spend(m.todayNanoUsd, m.unpricedToday)}, this month ${spend(m.monthNanoUsd, 0)}`,
    `Daemon: ${daemonLabel(m)}`,
  ];
  if (m.daemon === 'ready' && m.health && m.health.status !== 'ok') lines.splice(1, 0, `${m.health.status === 'error' ? 'Not recording' : 'Warning'}: ${m.health.message ?? 'see the dashboard'}`);
  if (m.limit && m.daemon === 'ready') lines.splice(1, 0, `Plan limit: ${limitText(m.limit)}${m.limit.status && m.limit.status !== 'allowed' ? ` (${m.limit.status})` : ''}`);
  if (m.unpricedToday > 0) lines.push(`${m.unpricedToday} unpriced request${m.unpricedToday === 1 ? '' : 's'} today`);
  // Windows truncates tooltips at 127 characters.
  return lines.join('\n').slice(0, 127);
}

/** The update entry follows the flow: check → download → (progress) → restart to install. */
export function updateMenuItem(u: UpdateState | null): TrayMenuItem {
  switch (u?.kind) {
    case 'checking':
      return { type: 'normal', id: 'check-updates', label: 'Checking for updates…', enabled: false };
    case 'available':
      return { type: 'normal', id: 'download-update', label: `Download update ${u.version}`, enabled: true };
    case 'downloading':
      return { type: 'normal', id: 'download-update', label: `Downloading update… ${Math.round(u.percent)}%`, enabled: false };
    case 'downloaded':
      return { type: 'normal', id: 'install-update', label: `Restart to install ${u.version}`, enabled: true };
    case 'error':
      return u.during === 'download'
        ? { type: 'normal', id: 'download-update', label: 'Download failed: try again', enabled: true }
        : { type: 'normal', id: 'check-updates', label: 'Check for updates… (last check failed)', enabled: true };
    default:
      return { type: 'normal', id: 'check-updates', label: 'Check for updates…', enabled: true };
  }
}

/** "Mon 14:05" in the user's zone, for the menu's "until …". */
export function menuTime(ms: number): string {
  return new Intl.DateTimeFormat(undefined, { weekday: 'short', hour: '2-digit', minute: '2-digit', hour12: false }).format(ms);
}

/** Mute alerts for a while, lift hard budgets for an hour or for the rest of the period, or undo either. */
export function guardMenuItems(g: GuardState): TrayMenuItem[] {
  const items: TrayMenuItem[] = [];
  if (g.mutedUntil !== null) {
    items.push({ type: 'normal', id: 'unmute-alerts', label: `Unmute alerts (muted until ${menuTime(g.mutedUntil)})`, enabled: true });
  } else {
    items.push(
      { type: 'normal', id: 'mute-alerts-hour', label: 'Mute alerts for 1 hour', enabled: true },
      { type: 'normal', id: 'mute-alerts-today', label: 'Mute alerts for today', enabled: true },
    );
  }
  if (g.overrideUntil !== null) {
    items.push({ type: 'normal', id: 'end-budget-override', label: `End budget override (lifted until ${menuTime(g.overrideUntil)})`, enabled: true });
  } else if (g.canLift) {
    // the refusal message names this entry: keep the words in step with daemon/budgets/tracker.ts
    items.push({ type: 'normal', id: 'lift-budget-hour', label: 'Lift budget for 1 hour', enabled: true });
    if (g.periodEnd !== null) items.push({ type: 'normal', id: 'lift-budget-period', label: `Lift budget until the period ends (${menuTime(g.periodEnd)})`, enabled: true });
  }
  return items;
}

export function trayMenu(m: TrayModel, platform: NodeJS.Platform): TrayMenuItem[] {
  const ready = m.daemon === 'ready';
  const items: TrayMenuItem[] = [];
  // On Linux a click on the icon is unreliable, so the menu is the way in.
  if (platform === 'linux') items.push({ type: 'normal', id: 'open-popover', label: 'Open CCO', enabled: true });
  items.push(
    { type: 'normal', id: 'open-dashboard', label: 'Open dashboard', enabled: ready },
    // An attached daemon belongs to someone else (the service): the app cannot pause it.
    { type: 'normal', id: 'toggle-recording', label: m.recording ? 'Pause recording' : 'Resume recording', enabled: ready && !m.attached },
  );
  if (ready && m.guards) items.push({ type: 'separator' }, ...guardMenuItems(m.guards));
  items.push(
    { type: 'separator' },
    {
      type: 'normal',
      id: 'restart-daemon',
      label: m.daemon === 'failed' ? 'Restart daemon (stopped after crashes)' : m.daemon === 'refused' ? 'Try starting the daemon again' : 'Restart daemon',
      enabled: m.daemon !== 'stopping',
    },
    updateMenuItem(m.update ?? null),
    { type: 'checkbox', id: 'toggle-launch-at-login', label: 'Launch at login', checked: m.launchAtLogin, enabled: true },
    { type: 'separator' },
    { type: 'normal', id: 'quit', label: 'Quit CCO', enabled: true },
  );
  return items;
}

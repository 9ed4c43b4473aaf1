import { describe, expect, it } from 'vitest';
import type { TrayModel } from './tray-state.ts';
import { formatUsd, trayIconFile, trayIconVariant, trayMenu, trayTitle, trayTooltip, updateMenuItem } from './tray-state.ts';

const base: TrayModel = {
  daemon: 'ready', lastError: null, todayNanoUsd: 1_234_000_000, monthNanoUsd: 45_670_000_000,
  unpricedToday: 0, recording: true, launchAtLogin: false,
};

describe('tray-state', () => {
  it.each([
    [0, '$0.00'],
    [4_200_000, '$0.00'],
    [5_000_000, '$0.01'],
    [12_310_000_000, '$12.31'],
    [1_234_000_000_000, '$1.2k'],
    [34_400_000_000_000, '$34k'],
  ])('formatUsd(%d) = %s', (nano, text) => {
    expect(formatUsd(nano)).toBe(text);
  });

  it('macOS title shows today, marks unpriced, and shows the error state', () => {
    expect(trayTitle(base)).toBe('$1.23');
    expect(trayTitle({ ...base, unpricedToday: 2 })).toBe('$1.23+');
    expect(trayTitle({ ...base, daemon: 'failed' })).toBe('!');
    expect(trayTitle({ ...base, daemon: 'starting' })).toBe('');
    expect(trayTitle({ ...base, todayNanoUsd: null })).toBe('');
  });

  it('tooltip carries today, month and daemon state', () => {
    expect(trayTooltip(base)).toBe('CCO — today $1.23, this month $45.67\nDaemon: running');
    const failed = trayTooltip({ ...base, daemon: 'failed', lastError: 'daemon exited with code 1 (3 crashes in 5 minutes)', todayNanoUsd: null });
    expect(failed).toContain('today —');
    expect(failed).toContain('stopped after repeated crashes');
    expect(failed.length).toBeLessThanOrEqual(127);
    expect(trayTooltip({ ...base, unpricedToday: 1 })).toContain('1 unpriced request today');
    expect(trayTooltip({ ...base, recording: false })).toContain('recording paused');
  });

  it('icon variant and file per platform', () => {
    expect(trayIconVariant(base)).toBe('normal');
    expect(trayIconVariant({ ...base, recording: false })).toBe('paused');
    expect(trayIconVariant({ ...base, daemon: 'failed' })).toBe('error');
    expect(trayIconVariant({ ...base, daemon: 'backoff' })).toBe('error');
    expect(trayIconFile('normal', 'darwin')).toBe('trayTemplate.png');
    expect(trayIconFile('error', 'darwin')).toBe('trayErrorTemplate.png');
    expect(trayIconFile('paused', 'win32')).toBe('tray-paused.ico');
    expect(trayIconFile('error', 'linux')).toBe('tray-error.png');
    expect(trayIconFile('normal', 'linux')).toBe('tray.png');
  });

  it('menu: Linux starts with "Open CCO"; others do not', () => {
    const linux = trayMenu(base, 'linux');
    expect(linux[0]).toMatchObject({ id: 'open-popover', label: 'Open CCO' });
    expect(trayMenu(base, 'darwin').some((i) => i.type !== 'separator' && i.id === 'open-popover')).toBe(false);
    const labels = trayMenu(base, 'win32').map((i) => (i.type === 'separator' ? '-' : i.label));
    expect(labels).toEqual(['Open dashboard', 'Pause recording', '-', 'Restart daemon', 'Check for updates…', 'Launch at login', '-', 'Quit CCO']);
  });

  it('menu reflects state: resume label, checkbox, disabled items while not ready', () => {
    const paused = trayMenu({ ...base, recording: false, launchAtLogin: true }, 'darwin');
    expect(paused.find((i) => i.type !== 'separator' && i.id === 'toggle-recording')).toMatchObject({ label: 'Resume recording' });
    expect(paused.find((i) => i.type === 'checkbox')).toMatchObject({ checked: true });
    const failed = trayMenu({ ...base, daemon: 'failed' }, 'darwin');
    expect(failed.find((i) => i.type !== 'separator' && i.id === 'open-dashboard')).toMatchObject({ enabled: false });
    expect(failed.find((i) => i.type !== 'separator' && i.id === 'restart-daemon')).toMatchObject({ enabled: true, label: 'Restart daemon (stopped after crashes)' });
  });

  it('a refused start is an error state with its reason and a way to try again', () => {
    const m: TrayModel = { ...base, daemon: 'refused', lastError: 'Port 3000 is in use by another program.', todayNanoUsd: null, monthNanoUsd: null };
    expect(trayIconVariant(m)).toBe('error');
    expect(trayTitle(m)).toBe('!');
    expect(trayTooltip(m)).toContain('Daemon: not started: Port 3000 is in use by another program.');
    const restart = trayMenu(m, 'darwin').find((i) => i.type !== 'separator' && i.id === 'restart-daemon');
    expect(restart).toMatchObject({ label: 'Try starting the daemon again', enabled: true });
  });

  it('attached to the service: says so, and pause is off (the app cannot pause a daemon it does not run)', () => {
    const m: TrayModel = { ...base, attached: true };
    expect(trayTooltip(m)).toContain('running (the CCO service already serving this data folder)');
    const pause = trayMenu(m, 'linux').find((i) => i.type !== 'separator' && i.id === 'toggle-recording');
    expect(pause).toMatchObject({ enabled: false });
  });

  it('the update menu entry walks check → download → progress → restart to install', () => {
    expect(updateMenuItem(null)).toMatchObject({ id: 'check-updates', label: 'Check for updates…', enabled: true });
    expect(updateMenuItem({ kind: 'checking' })).toMatchObject({ enabled: false });
    expect(updateMenuItem({ kind: 'available', version: '2026.1201.0', releaseName: null, releaseDate: null })).toMatchObject({ id: 'download-update', label: 'Download update 2026.1201.0', enabled: true });
    expect(updateMenuItem({ kind: 'downloading', version: 'v', percent: 41.6, transferred: 1, total: 2, bytesPerSecond: 1 })).toMatchObject({ label: 'Downloading update… 42%', enabled: false });
    expect(updateMenuItem({ kind: 'downloaded', version: '2026.1201.0' })).toMatchObject({ id: 'install-update', label: 'Restart to install 2026.1201.0' });
    expect(updateMenuItem({ kind: 'error', during: 'download', message: 'x', code: null })).toMatchObject({ id: 'download-update' });
    const menu = trayMenu({ ...base, update: { kind: 'downloaded', version: '2026.1201.0' } }, 'win32');
    expect(menu.some((i) => i.type !== 'separator' && i.id === 'install-update')).toBe(true);
  });

  it('the daemon\'s own status (GET /api/status) shows in the icon and tooltip when it is not ok', () => {
    const bad: TrayModel = { ...base, health: { status: 'error', message: 'The disk is full: requests are forwarded but not recorded.' } };
    expect(trayIconVariant(bad)).toBe('error');
    expect(trayTooltip(bad)).toContain('Not recording: The disk is full');
    expect(trayIconVariant({ ...base, health: { status: 'warning', message: 'A damaged month file was moved aside.' } })).toBe('warning');
    expect(trayIconVariant({ ...base, health: { status: 'ok', message: null } })).toBe('normal');
  });

  it('alert and budget entries: mute or unmute, lift for an hour or the period, or end the override; only while ready', () => {
    const ids = (m: TrayModel) => trayMenu(m, 'darwin').flatMap((i) => (i.type === 'separator' ? [] : [i.id]));
    const guards = { mutedUntil: null, overrideUntil: null, canLift: true, periodEnd: Date.UTC(2026, 11, 8) };
    expect(ids({ ...base, guards })).toEqual(expect.arrayContaining(['mute-alerts-hour', 'mute-alerts-today', 'lift-budget-hour', 'lift-budget-period']));
    expect(ids({ ...base, guards: { ...guards, periodEnd: null } })).not.toContain('lift-budget-period');
    expect(ids({ ...base, guards: { ...guards, canLift: false } })).not.toContain('lift-budget-hour');
    const undo = ids({ ...base, guards: { ...guards, mutedUntil: Date.now() + 60_000, overrideUntil: Date.now() + 60_000 } });
    expect(undo).toEqual(expect.arrayContaining(['unmute-alerts', 'end-budget-override']));
    expect(undo).not.toContain('mute-alerts-hour');
    expect(undo).not.toContain('lift-budget-hour');
    expect(ids({ ...base, daemon: 'starting', guards })).not.toContain('mute-alerts-hour');
    expect(ids(base)).not.toContain('mute-alerts-hour'); // an older daemon without the routes
  });
});

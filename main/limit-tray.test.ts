import { describe, expect, it } from 'vitest';
import type { BindingLimit } from '../shared/contract.ts';
import { limitIcon, limitText } from './limit-tray.ts';
import { trayIconFile, trayIconVariant, trayTitle, trayTooltip, type TrayModel } from './tray-state.ts';

const now = Date.now();
const limit = (utilization: number, status: string | null = 'allowed', window = '5h', resetsAt: number | null = now + 3_600_000): BindingLimit => ({ credentialId: 'c', window, utilization, resetsAt, status });
const base: TrayModel = { daemon: 'ready', lastError: null, todayNanoUsd: 4_200_000_000, monthNanoUsd: 9_000_000_000, unpricedToday: 0, recording: true, launchAtLogin: false };

describe('tray: the binding plan limit', () => {
  it('title "5h 63% · $4.20", tooltip line, and plain spend without a limit', () => {
    expect(trayTitle({ ...base, limit: limit(0.63) })).toBe('5h 63% · $4.20');
    expect(trayTitle({ ...base, limit: limit(0.41, 'allowed', '7d_sonnet') })).toBe('7d Sonnet 41% · $4.20');
    expect(trayTitle({ ...base, limit: null })).toBe('$4.20');
    expect(trayTitle({ ...base, limit: limit(0.63), daemon: 'failed' })).toBe('!');
    expect(trayTooltip({ ...base, limit: limit(0.85, 'allowed_warning') })).toBe('CCO — today $4.20, this month $9.00\nPlan limit: 5h 85% (allowed_warning)\nDaemon: running');
    expect(limitText(limit(0.9, 'allowed', '5h', now - 1))).toBe('5h 0%'); // the window has reset since
  });

  it('icon: warning from 80 % or allowed_warning, error when rejected, normal once the window reset', () => {
    expect(limitIcon(limit(0.5))).toBe('normal');
    expect(limitIcon(limit(0.8))).toBe('warning');
    expect(limitIcon(limit(0.5, 'allowed_warning'))).toBe('warning');
    expect(limitIcon(limit(1, 'rejected'))).toBe('rejected');
    expect(limitIcon(limit(1, 'rejected', '5h', now - 1))).toBe('normal');
    expect(trayIconVariant({ ...base, limit: limit(0.85) })).toBe('warning');
    expect(trayIconVariant({ ...base, limit: limit(1, 'rejected') })).toBe('error');
    expect(trayIconVariant({ ...base, limit: limit(0.85), recording: false })).toBe('paused');
    expect(trayIconVariant({ ...base, limit: limit(0.1) })).toBe('normal');
    expect(trayIconFile('warning', 'darwin')).toBe('trayWarningTemplate.png');
    expect(trayIconFile('warning', 'linux')).toBe('tray-warning.png');
    expect(trayIconFile('warning', 'win32')).toBe('tray-warning.ico');
  });
});

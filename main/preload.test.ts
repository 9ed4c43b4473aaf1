import { describe, expect, it, vi } from 'vitest';
import type { ElectronFake } from './__mocks__/electron.ts';

vi.mock('electron', async () => (await import('./__mocks__/electron.ts')).createElectronFake());

describe('preload', () => {
  it('exposes exactly one object, window.cco, with the bridge API', async () => {
    const electron = (await import('electron')) as unknown as ElectronFake;
    await import('../preload/index.ts');
    expect([...electron.contextBridge.exposed.keys()]).toEqual(['cco']);
    const cco = electron.contextBridge.exposed.get('cco') as typeof import('../preload/index.ts').api;
    expect(Object.keys(cco).sort()).toEqual(['app', 'daemon', 'updates']);
    expect(Object.keys(cco.app).sort()).toEqual(['hidePopover', 'openDashboard', 'quit']);
    expect('ipcRenderer' in cco || 'invoke' in cco || 'send' in cco).toBe(false);

    await cco.daemon.info();
    await cco.app.openDashboard('01J0ABC');
    await cco.app.openDashboard();
    await cco.app.hidePopover();
    await cco.app.quit();
    expect(electron.ipcRenderer.invoked).toEqual([
      { channel: 'cco:daemon:info', args: [] },
      { channel: 'cco:app:open-dashboard', args: ['01J0ABC'] },
      { channel: 'cco:app:open-dashboard', args: [] },
      { channel: 'cco:app:hide-popover', args: [] },
      { channel: 'cco:app:quit', args: [] },
    ]);

    const seen: unknown[][] = [];
    const off = cco.daemon.onRestarted((...args: unknown[]) => seen.push(args));
    electron.ipcRenderer.emitFromMain('cco:daemon:restarted');
    expect(seen).toEqual([[]]); // the IpcRendererEvent is never passed on
    off();
    expect(electron.ipcRenderer.listenerCount('cco:daemon:restarted')).toBe(0);
  });

  it('offers the update flow: status, check, download, install, and status events without the IPC event', async () => {
    const electron = (await import('electron')) as unknown as ElectronFake;
    const { api } = await import('../preload/index.ts');
    electron.ipcRenderer.invoked.length = 0;
    await api.updates.status();
    await api.updates.check();
    await api.updates.download();
    await api.updates.install();
    expect(electron.ipcRenderer.invoked.map((c) => c.channel)).toEqual(['cco:update:status', 'cco:update:check', 'cco:update:download', 'cco:update:install']);
    const seen: unknown[][] = [];
    const off = api.updates.onStatus((...args: unknown[]) => seen.push(args));
    const status = { state: { kind: 'downloaded', version: '2026.1201.0' }, channel: 'stable', currentVersion: '2026.1122.0', lastCheckAt: 1 };
    electron.ipcRenderer.emitFromMain('cco:update:changed', status);
    expect(seen).toEqual([[status]]);
    off();
  });

  it('reports the popover window losing focus to main (macOS panels get no native blur)', async () => {
    const { reportPopoverBlur } = await import('../preload/index.ts');
    const listeners: Array<() => void> = [];
    const calls: string[] = [];
    const win = { location: { hash: '#/popover' }, addEventListener: (_t: string, l: () => void) => listeners.push(l) };
    reportPopoverBlur(win as unknown as Window, async (c) => calls.push(c));
    listeners.forEach((l) => l());
    expect(calls).toEqual(['cco:app:popover-blurred']);
    win.location.hash = '#/';
    listeners.forEach((l) => l());
    expect(calls).toHaveLength(1); // the dashboard window is not a popover
  });
});

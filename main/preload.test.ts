import { describe, expect, it, vi } from 'vitest';
import type { ElectronFake } from './__mocks__/electron.ts';

vi.mock('electron', async () => (await import('./__mocks__/electron.ts')).createElectronFake());

describe('preload', () => {
  it('exposes exactly one object, window.cco, with the bridge API', async () => {
    const electron = (await import('electron')) as unknown as ElectronFake;
    await import('../preload/index.ts');
    expect([...electron.contextBridge.exposed.keys()]).toEqual(['cco']);
    const cco = electron.contextBridge.exposed.get('cco') as typeof import('../preload/index.ts').api;
    expect(Object.keys(cco).sort()).toEqual(['app', 'daemon']);
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
});

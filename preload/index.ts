/**
 * Preload (sandboxed, bundled to one CommonJS file): exposes ONE narrow typed object, `window.cco`,
 * implementing the renderer's CcoBridge over the IPC contract. No raw ipcRenderer, no generic invoke,
 * and listeners never see the IpcRendererEvent (it carries `sender`).
 */
import { contextBridge, ipcRenderer } from 'electron';
import type { CcoBridge, DaemonInfo } from '../renderer/src/bridge.ts';
import { EVENTS, INVOKE } from '../main/ipc-contract.ts';

export const api = {
  daemon: {
    info: (): Promise<DaemonInfo> => ipcRenderer.invoke(INVOKE.daemonInfo) as Promise<DaemonInfo>,
    onRestarted: (listener: () => void): (() => void) => {
      const wrapped = () => listener();
      ipcRenderer.on(EVENTS.daemonRestarted, wrapped);
      return () => void ipcRenderer.removeListener(EVENTS.daemonRestarted, wrapped);
    },
  },
  app: {
    openDashboard: async (requestId?: string): Promise<void> => {
      await (requestId === undefined ? ipcRenderer.invoke(INVOKE.openDashboard) : ipcRenderer.invoke(INVOKE.openDashboard, requestId));
    },
    hidePopover: async (): Promise<void> => void (await ipcRenderer.invoke(INVOKE.hidePopover)),
    quit: async (): Promise<void> => void (await ipcRenderer.invoke(INVOKE.quit)),
  },
} satisfies CcoBridge;

contextBridge.exposeInMainWorld('cco', api);

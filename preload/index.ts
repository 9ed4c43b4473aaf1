/**
 * Preload (sandboxed, bundled to one CommonJS file): exposes ONE narrow typed object, `window.cco`,
 * implementing the renderer's CcoBridge over the IPC contract. No raw ipcRenderer, no generic invoke,
 * and listeners never see the IpcRendererEvent (it carries `sender`).
 */
import { contextBridge, ipcRenderer } from 'electron';
import type { CcoBridge, DaemonInfo, UpdateStatus } from '../shared/bridge.ts';
import { EVENTS, INVOKE } from '../shared/ipc-contract.ts';

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
  updates: {
    status: () => ipcRenderer.invoke(INVOKE.updateStatus) as Promise<UpdateStatus | null>,
    check: () => ipcRenderer.invoke(INVOKE.updateCheck) as Promise<UpdateStatus | null>,
    download: () => ipcRenderer.invoke(INVOKE.updateDownload) as Promise<UpdateStatus | null>,
    install: async (): Promise<void> => void (await ipcRenderer.invoke(INVOKE.updateInstall)),
    onStatus: (listener: (status: UpdateStatus) => void): (() => void) => {
      const wrapped = (_e: unknown, status: UpdateStatus) => listener(status);
      ipcRenderer.on(EVENTS.updateChanged, wrapped);
      return () => void ipcRenderer.removeListener(EVENTS.updateChanged, wrapped);
    },
  },
} satisfies CcoBridge;

/**
 * The popover hides when it loses focus. A macOS panel (non-activating) never gets a native `blur`, but
 * the page's window does: tell main, which hides the popover (main/popover.ts).
 */
export function reportPopoverBlur(win: Pick<Window, 'addEventListener' | 'location'>, invoke: (channel: string) => Promise<unknown>): void {
  win.addEventListener('blur', () => {
    if (win.location.hash.startsWith('#/popover')) void invoke(INVOKE.popoverBlurred).catch(() => {});
  });
}

contextBridge.exposeInMainWorld('cco', api);
if (typeof window !== 'undefined') reportPopoverBlur(window, (channel) => ipcRenderer.invoke(channel));

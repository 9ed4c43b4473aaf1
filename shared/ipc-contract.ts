/**
 * The one IPC contract between main and preload: every channel, its arguments and its result.
 * Renderer-facing shape is shared/bridge.ts (`CcoBridge`), which preload implements over these.
 * No electron import: this file is bundled into the sandboxed preload too.
 */
import type { DaemonInfo, UpdateStatus } from './bridge.ts';

/** Renderer → main, request/response (`ipcRenderer.invoke` / `ipcMain.handle`). */
export const INVOKE = {
  daemonInfo: 'cco:daemon:info',
  openDashboard: 'cco:app:open-dashboard',
  hidePopover: 'cco:app:hide-popover',
  quit: 'cco:app:quit',
  popoverBlurred: 'cco:app:popover-blurred',
  updateStatus: 'cco:update:status',
  updateCheck: 'cco:update:check',
  updateDownload: 'cco:update:download',
  updateInstall: 'cco:update:install',
} as const;

/** Main → renderer events (`webContents.send` / `ipcRenderer.on`). */
export const EVENTS = {
  daemonRestarted: 'cco:daemon:restarted',
  updateChanged: 'cco:update:changed',
} as const;

export type InvokeChannel = (typeof INVOKE)[keyof typeof INVOKE];
export type EventChannel = (typeof EVENTS)[keyof typeof EVENTS];

export interface InvokeContract {
  'cco:daemon:info': { args: []; result: DaemonInfo };
  'cco:app:open-dashboard': { args: [requestId?: string]; result: void };
  'cco:app:hide-popover': { args: []; result: void };
  'cco:app:quit': { args: []; result: void };
  /** The popover's renderer lost focus (window blur): macOS panels never get a native blur. */
  'cco:app:popover-blurred': { args: []; result: void };
  'cco:update:status': { args: []; result: UpdateStatus | null };
  'cco:update:check': { args: []; result: UpdateStatus | null };
  'cco:update:download': { args: []; result: UpdateStatus | null };
  'cco:update:install': { args: []; result: void };
}

export interface EventContract {
  'cco:daemon:restarted': [];
  'cco:update:changed': [status: UpdateStatus];
}

// Compile-time checks: no channel without a contract, no contract without a channel.
type Exact<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const _invokeComplete: Exact<InvokeChannel, keyof InvokeContract> = true;
const _eventsComplete: Exact<EventChannel, keyof EventContract> = true;
void _invokeComplete;
void _eventsComplete;

export type InvokeArgs<C extends InvokeChannel> = InvokeContract[C]['args'];
export type InvokeResult<C extends InvokeChannel> = InvokeContract[C]['result'];

/** ULIDs and similar ids: short, URL-safe. */
const REQUEST_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** Runtime argument validation on the main side; null = reject the call. */
export const VALIDATE: { [C in InvokeChannel]: (args: unknown[]) => InvokeArgs<C> | null } = {
  'cco:daemon:info': (a) => (a.length === 0 ? [] : null),
  'cco:app:open-dashboard': (a) => {
    if (a.length === 0 || (a.length === 1 && a[0] === undefined)) return [];
    return a.length === 1 && typeof a[0] === 'string' && REQUEST_ID.test(a[0]) ? [a[0]] : null;
  },
  'cco:app:hide-popover': (a) => (a.length === 0 ? [] : null),
  'cco:app:quit': (a) => (a.length === 0 ? [] : null),
  'cco:app:popover-blurred': (a) => (a.length === 0 ? [] : null),
  'cco:update:status': (a) => (a.length === 0 ? [] : null),
  'cco:update:check': (a) => (a.length === 0 ? [] : null),
  'cco:update:download': (a) => (a.length === 0 ? [] : null),
  'cco:update:install': (a) => (a.length === 0 ? [] : null),
};

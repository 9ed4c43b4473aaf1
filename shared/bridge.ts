/**
 * The bridge between the renderer and its host, as types: the renderer's `CcoBridge` (window.cco in
 * Electron, implemented by preload/index.ts over shared/ipc-contract.ts; a web fallback in the browser),
 * the daemon address it hands out, and the self-update status main reports. Types only: shared by main,
 * preload and renderer, importing none of them.
 */

/** Where the daemon is and how to authenticate. `token` is empty when the cookie carries auth. */
export interface DaemonInfo {
  baseUrl: string;
  token: string;
}

export type UpdateChannel = 'stable' | 'beta';

/** The app's self-update, as main's UpdateService reports it (main/updater.ts). */
export type UpdateState =
  | { kind: 'idle' }
  | { kind: 'checking' }
  | { kind: 'not-available'; checkedAt: number }
  | { kind: 'available'; version: string; releaseName: string | null; releaseDate: string | null }
  | { kind: 'downloading'; version: string; percent: number; transferred: number; total: number; bytesPerSecond: number }
  | { kind: 'downloaded'; version: string }
  | { kind: 'error'; during: 'check' | 'download' | 'install'; message: string; code: string | null };

export interface UpdateStatus {
  state: UpdateState;
  channel: UpdateChannel;
  currentVersion: string;
  lastCheckAt: number | null;
}

export interface CcoBridge {
  daemon: {
    /** Current daemon address + bearer token. Called again after `onRestarted` fires. */
    info(): Promise<DaemonInfo>;
    /** Fires when the supervisor restarted the daemon (port/token may change). Returns unsubscribe. */
    onRestarted?(listener: () => void): () => void;
  };
  app: {
    /** Open the full dashboard window, optionally on one request's detail. */
    openDashboard(requestId?: string): Promise<void>;
    /** Hide the popover (Electron only). */
    hidePopover?(): Promise<void>;
    /** Quit the app (Electron only). */
    quit?(): Promise<void>;
  };
  /** Self-update (Electron only; absent in the browser, `status()` null when this install does not self-update). */
  updates?: {
    status(): Promise<UpdateStatus | null>;
    check(): Promise<UpdateStatus | null>;
    download(): Promise<UpdateStatus | null>;
    /** Stops the daemon cleanly, quits and installs. */
    install(): Promise<void>;
    onStatus(listener: (status: UpdateStatus) => void): () => void;
  };
}

declare global {
  interface Window {
    cco?: CcoBridge;
  }
}

/**
 * The renderer's only window onto the host. In Electron, preload exposes `window.cco` (implemented in
 * preload/index.ts against this interface); in a plain browser, `webBridge()` is the fallback: same origin,
 * cookie auth, and "open dashboard" is a navigation. The renderer never imports electron.
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

/** Route of the request-detail view inside the dashboard. */
export function requestDetailHash(requestId: string): string {
  return `#/requests/${encodeURIComponent(requestId)}`;
}

/** Browser fallback: the page is served by the daemon, auth is the HttpOnly cookie. */
export function webBridge(win: Window = window): CcoBridge {
  return {
    daemon: {
      info: async () => ({ baseUrl: win.location.origin, token: '' }),
    },
    app: {
      openDashboard: async (requestId?: string) => {
        const hash = requestId ? requestDetailHash(requestId) : '';
        const onDashboard = !isPopoverLocation(win.location);
        if (onDashboard) {
          win.location.hash = hash;
        } else {
          win.open(`/${hash}`, '_blank', 'noopener');
        }
      },
    },
  };
}

/** The Electron bridge when present, else the web fallback. */
export function getBridge(win: Window = window): CcoBridge {
  return win.cco ?? webBridge(win);
}

/** Popover route: `/popover`, `#/popover` (app:// loads) or `?view=popover`. */
export function isPopoverLocation(loc: Pick<Location, 'pathname' | 'hash' | 'search'>): boolean {
  return (
    /\/popover\/?$/.test(loc.pathname) ||
    loc.hash.startsWith('#/popover') ||
    new URLSearchParams(loc.search).get('view') === 'popover'
  );
}

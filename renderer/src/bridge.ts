/**
 * The renderer's only window onto the host. In Electron, preload exposes `window.cco` (implemented in
 * preload/index.ts against this interface); in a plain browser, `webBridge()` is the fallback: same origin,
 * cookie auth, and "open dashboard" is a navigation. The renderer never imports electron.
 */

import type { CcoBridge } from '../../shared/bridge.ts';

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

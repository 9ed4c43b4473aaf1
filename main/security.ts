/**
 * Trust checks (pure, table-tested) and the guards that apply them to every window (Electron's security checklist, docs/tutorial/security.md in electron/electron):
 * CSP, permission requests denied, navigation and new windows blocked (https links go to the OS browser),
 * `<webview>` refused, IPC senders validated. Electron objects are passed in (typed by `import type`).
 */
import type { App, Session, Shell, WebContents, WebFrameMain } from 'electron';

const APP_ORIGIN = 'app://cco';

/** The renderer talks to the daemon on loopback only; everything else is same-origin. */
export function contentSecurityPolicy(): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self'",
    'connect-src \'self\' http://127.0.0.1:* ws://127.0.0.1:* http://localhost:* ws://localhost:*',
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** Only plain https URLs without credentials may be handed to the OS browser. */
export function isSafeExternalUrl(raw: string): boolean {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return false;
  }
  return url.protocol === 'https:' && url.username === '' && url.password === '' && url.hostname !== '';
}

/** The daemon's own dashboard on loopback may be opened in the OS browser too. */
export function isLoopbackDashboardUrl(raw: string): boolean {
  try {
    const url = new URL(raw);
    return url.protocol === 'http:' && (url.hostname === '127.0.0.1' || url.hostname === 'localhost' || url.hostname === '[::1]') &&
      url.username === '' && url.password === '';
  } catch {
    return false;
  }
}

function originOf(raw: string): string | null {
  try {
    const url = new URL(raw);
    // Custom standard schemes report origin "null" in Node's URL; build it by hand.
    return url.origin !== 'null' ? url.origin : `${url.protocol}//${url.host}`;
  } catch {
    return null;
  }
}

/** In-app navigation stays on the app origin (or the dev server origin in development). */
export function isAllowedNavigation(raw: string, allowedOrigins: readonly string[] = [APP_ORIGIN]): boolean {
  const origin = originOf(raw);
  return origin !== null && allowedOrigins.includes(origin);
}

export interface SenderInfo {
  webContentsId: number;
  frameUrl: string | null;
  isMainFrame: boolean;
}

/** IPC is accepted only from the main frame of our own windows showing our own origin. */
export function isTrustedSender(sender: SenderInfo, trustedIds: ReadonlySet<number>, allowedOrigins: readonly string[] = [APP_ORIGIN]): boolean {
  if (!trustedIds.has(sender.webContentsId) || !sender.isMainFrame || sender.frameUrl === null) return false;
  return isAllowedNavigation(sender.frameUrl, allowedOrigins);
}

/** Extracts SenderInfo from an Electron IPC event's parts. */
export function senderInfo(sender: Pick<WebContents, 'id' | 'mainFrame'>, frame: Pick<WebFrameMain, 'url'> | null): SenderInfo {
  return { webContentsId: sender.id, frameUrl: frame?.url ?? null, isMainFrame: frame !== null && frame === sender.mainFrame };
}

/**
 * The one permission the app's own pages get: `clipboard-sanitized-write` (navigator.clipboard.writeText, the
 * first-run "Copy" button; electron/electron#37158). Everything else, and any other origin, is denied.
 */
export function permissionAllowed(permission: string, url: string | null | undefined, allowedOrigins: readonly string[] = [APP_ORIGIN]): boolean {
  return permission === 'clipboard-sanitized-write' && !!url && isAllowedNavigation(url, allowedOrigins);
}

/** Deny every permission request and check (Electron grants all by default) except permissionAllowed's. */
export function denyAllPermissions(
  session: Pick<Session, 'setPermissionRequestHandler' | 'setPermissionCheckHandler'>,
  allowedOrigins: readonly string[] = [APP_ORIGIN],
): void {
  session.setPermissionRequestHandler((wc, permission, callback, details) => {
    const url = details?.requestingUrl ?? wc?.getURL?.();
    callback(permissionAllowed(permission, url, allowedOrigins));
  });
  session.setPermissionCheckHandler((_wc, permission, requestingOrigin) => permissionAllowed(permission, requestingOrigin, allowedOrigins));
}

/** Applies navigation, window-open and webview guards to every web contents the app creates. */
export function guardAllWebContents(
  app: Pick<App, 'on'>,
  shell: Pick<Shell, 'openExternal'>,
  allowedOrigins: readonly string[] = [APP_ORIGIN],
  log: (line: string) => void = () => {},
): void {
  app.on('web-contents-created', (_event, contents) => {
    contents.on('will-navigate', (event, url) => {
      if (!isAllowedNavigation(url, allowedOrigins)) {
        event.preventDefault();
        log(`security: blocked navigation to ${new URL(url).origin}`);
      }
    });
    contents.on('will-redirect', (event, url) => {
      if (!isAllowedNavigation(url, allowedOrigins)) event.preventDefault();
    });
    contents.on('will-attach-webview', (event) => event.preventDefault());
    contents.setWindowOpenHandler(({ url }) => {
      if (isSafeExternalUrl(url)) void shell.openExternal(url);
      else log('security: blocked window.open');
      return { action: 'deny' };
    });
  });
}

/** webPreferences for every window: isolation, sandbox, no node. */
export function secureWebPreferences(preload: string): Electron.WebPreferences {
  return {
    preload,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    experimentalFeatures: false,
    webviewTag: false,
    spellcheck: false,
    backgroundThrottling: true,
  };
}

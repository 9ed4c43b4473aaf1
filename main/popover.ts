/**
 * Popover window: frameless, created lazily, placed at the tray (popover-placement.ts), hidden on blur (native,
 * or reported by the renderer: see onBlur),
 * never in the taskbar/Dock. When hidden for `teardownAfterMs` the window (and its renderer) is destroyed,
 * so an idle app runs no renderer at all; the next show recreates it.
 */
import type { BrowserWindow, BrowserWindowConstructorOptions, Rectangle, Screen } from 'electron';
import { placePopover } from './popover-placement.ts';

export type PopoverWindow = Pick<
  BrowserWindow,
  'loadURL' | 'show' | 'hide' | 'focus' | 'isVisible' | 'isDestroyed' | 'destroy' | 'setPosition' | 'getSize' | 'setVisibleOnAllWorkspaces' | 'setAlwaysOnTop'
> & {
  on(event: 'blur' | 'closed', listener: () => void): unknown;
  webContents: Pick<BrowserWindow['webContents'], 'id' | 'send' | 'isDestroyed'>;
};

export const POPOVER_SIZE = { width: 380, height: 520 };

export function popoverWindowOptions(platform: NodeJS.Platform, webPreferences: Electron.WebPreferences): BrowserWindowConstructorOptions {
  return {
    ...POPOVER_SIZE,
    show: false,
    frame: false,
    resizable: false,
    movable: false,
    minimizable: false,
    maximizable: false,
    fullscreenable: false,
    skipTaskbar: true,
    alwaysOnTop: true,
    hasShadow: true,
    ...(platform === 'darwin' ? { type: 'panel' } : {}),
    webPreferences,
  };
}

export interface PopoverDeps {
  platform: NodeJS.Platform;
  url: string;
  createWindow: () => PopoverWindow;
  screen: Pick<Screen, 'getDisplayMatching' | 'getDisplayNearestPoint' | 'getCursorScreenPoint'>;
  /** Called with each new window (to register its web contents as a trusted IPC sender). */
  onCreated?: (win: PopoverWindow) => void;
  onDestroyed?: (webContentsId: number) => void;
  teardownAfterMs?: number;
  /** Blur events right after showing are ignored (Windows sends a transient one). */
  blurGraceMs?: number;
  /**
   * A tray-click toggle this soon after a blur-hide is ignored: clicking the tray icon of an open popover
   * first blurs (hides) it, then the click's toggle would show it again (electron-menubar does the same).
   */
  reopenGraceMs?: number;
  now?: () => number;
}

export class Popover {
  readonly #deps: PopoverDeps;
  #win: PopoverWindow | null = null;
  #teardown: ReturnType<typeof setTimeout> | undefined;
  #shownAt = 0;
  #blurHiddenAt = Number.NEGATIVE_INFINITY;

  constructor(deps: PopoverDeps) {
    this.#deps = deps;
  }

  get window(): PopoverWindow | null {
    return this.#win && !this.#win.isDestroyed() ? this.#win : null;
  }

  isVisible(): boolean {
    return this.window?.isVisible() ?? false;
  }

  toggle(trayBounds: Rectangle | null): void {
    if (this.isVisible()) this.hide();
    else if (this.#now() - this.#blurHiddenAt < (this.#deps.reopenGraceMs ?? 250)) return;
    else this.show(trayBounds);
  }

  /**
   * The window lost focus: the native `blur` on Windows/Linux, and the renderer's own window blur reported
   * over IPC (a macOS `panel` never becomes key in an LSUIElement app, so its native blur never fires).
   */
  onBlur(): void {
    if (!this.isVisible()) return;
    if (this.#now() - this.#shownAt < (this.#deps.blurGraceMs ?? 150)) return;
    this.#blurHiddenAt = this.#now();
    this.hide();
  }

  show(trayBounds: Rectangle | null): void {
    clearTimeout(this.#teardown);
    const win = this.window ?? this.#create();
    const [width = POPOVER_SIZE.width, height = POPOVER_SIZE.height] = win.getSize();
    const display = trayBounds
      ? this.#deps.screen.getDisplayMatching(trayBounds)
      : this.#deps.screen.getDisplayNearestPoint(this.#deps.screen.getCursorScreenPoint());
    const { x, y } = placePopover({ platform: this.#deps.platform, tray: trayBounds, size: { width, height }, display });
    win.setPosition(x, y, false);
    if (this.#deps.platform === 'darwin') win.setVisibleOnAllWorkspaces(true, { visibleOnFullScreen: true, skipTransformProcessType: true });
    if (this.#deps.platform === 'win32') win.setAlwaysOnTop(true, 'pop-up-menu'); // above the hidden-icons flyout
    this.#shownAt = this.#now();
    win.show();
    win.focus();
  }

  hide(): void {
    const win = this.window;
    if (!win) return;
    if (win.isVisible()) win.hide();
    clearTimeout(this.#teardown);
    this.#teardown = setTimeout(() => this.destroy(), this.#deps.teardownAfterMs ?? 30_000);
  }

  destroy(): void {
    clearTimeout(this.#teardown);
    const win = this.window;
    this.#win = null;
    if (win) win.destroy();
  }

  #now(): number {
    return this.#deps.now ? this.#deps.now() : Date.now();
  }

  #create(): PopoverWindow {
    const win = this.#deps.createWindow();
    this.#win = win;
    const id = win.webContents.id;
    win.on('blur', () => this.onBlur());
    win.on('closed', () => {
      if (this.#win === win) this.#win = null;
      this.#deps.onDestroyed?.(id);
    });
    this.#deps.onCreated?.(win);
    void win.loadURL(this.#deps.url);
    return win;
  }
}

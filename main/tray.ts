/**
 * Tray adapter: applies the pure tray model (tray-state.ts) to an Electron Tray. Icons come from assets/;
 * macOS gets a template image and a live title; left click toggles the popover (mac/win), right click opens
 * the menu; on Linux the menu is always attached (click is unreliable there) and re-set after each change.
 */
import path from 'node:path';
import type { Menu, MenuItemConstructorOptions, NativeImage, Rectangle, Tray } from 'electron';
import type { TrayAction, TrayMenuItem, TrayModel } from './tray-state.ts';
import { trayIconFile, trayIconVariant, trayMenu, trayTitle, trayTooltip } from './tray-state.ts';

export type TrayLike = Pick<
  Tray,
  'setImage' | 'setToolTip' | 'setTitle' | 'setContextMenu' | 'popUpContextMenu' | 'getBounds' | 'destroy' | 'isDestroyed' | 'setIgnoreDoubleClickEvents'
> & { on(event: 'click' | 'right-click', listener: (event: unknown, bounds: Rectangle) => void): unknown };

export interface TrayDeps {
  platform: NodeJS.Platform;
  assetsDir: string;
  createTray: (image: NativeImage) => TrayLike;
  loadImage: (file: string) => NativeImage;
  buildMenu: (template: MenuItemConstructorOptions[]) => Menu;
  onAction: (action: TrayAction) => void;
  onClick: (bounds: Rectangle | null) => void;
}

export function menuTemplate(items: TrayMenuItem[], onAction: (a: TrayAction) => void): MenuItemConstructorOptions[] {
  return items.map((item): MenuItemConstructorOptions => {
    if (item.type === 'separator') return { type: 'separator' };
    const base = { id: item.id, label: item.label, enabled: item.enabled, click: () => onAction(item.id) };
    return item.type === 'checkbox' ? { ...base, type: 'checkbox', checked: item.checked } : { ...base, type: 'normal' };
  });
}

export class TrayController {
  readonly #deps: TrayDeps;
  #tray: TrayLike | null = null;
  #menu: Menu | null = null;
  #iconFile = '';
  #lastBounds: Rectangle | null = null;

  constructor(deps: TrayDeps) {
    this.#deps = deps;
  }

  start(model: TrayModel): void {
    if (this.#tray) return this.update(model);
    const { platform } = this.#deps;
    this.#iconFile = trayIconFile(trayIconVariant(model), platform);
    const tray = this.#deps.createTray(this.#image(this.#iconFile));
    this.#tray = tray;
    if (platform === 'darwin') tray.setIgnoreDoubleClickEvents(true);
    if (platform !== 'linux') {
      tray.on('click', (_e, bounds) => this.#deps.onClick(this.#remember(bounds)));
      tray.on('right-click', () => {
        if (this.#menu) tray.popUpContextMenu(this.#menu);
      });
    } else {
      tray.on('click', () => this.#deps.onClick(null));
    }
    this.update(model);
  }

  update(model: TrayModel): void {
    const tray = this.#tray;
    if (!tray || tray.isDestroyed()) return;
    const { platform } = this.#deps;
    const file = trayIconFile(trayIconVariant(model), platform);
    if (file !== this.#iconFile) {
      this.#iconFile = file;
      tray.setImage(this.#image(file));
    }
    tray.setToolTip(trayTooltip(model));
    if (platform === 'darwin') tray.setTitle(trayTitle(model), { fontType: 'monospacedDigit' });
    this.#menu = this.#deps.buildMenu(menuTemplate(trayMenu(model, platform), this.#deps.onAction));
    if (platform === 'linux') tray.setContextMenu(this.#menu);
  }

  /** Tray bounds for placing the popover (cached: some clicks report x=0). */
  bounds(): Rectangle | null {
    const tray = this.#tray;
    if (!tray || tray.isDestroyed() || this.#deps.platform === 'linux') return this.#lastBounds;
    return this.#remember(tray.getBounds());
  }

  stop(): void {
    if (this.#tray && !this.#tray.isDestroyed()) this.#tray.destroy();
    this.#tray = null;
    this.#menu = null;
  }

  #remember(bounds: Rectangle | null | undefined): Rectangle | null {
    if (bounds && bounds.width > 0 && bounds.height > 0 && !(bounds.x === 0 && bounds.y === 0)) this.#lastBounds = bounds;
    return this.#lastBounds;
  }

  #image(file: string): NativeImage {
    const image = this.#deps.loadImage(path.join(this.#deps.assetsDir, file));
    if (this.#deps.platform === 'darwin') image.setTemplateImage(true);
    return image;
  }
}

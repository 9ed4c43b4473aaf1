import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Menu, MenuItemConstructorOptions, NativeImage, Rectangle } from 'electron';
import type { TrayLike } from './tray.ts';
import { TrayController } from './tray.ts';
import type { TrayAction, TrayModel } from './tray-state.ts';

const model: TrayModel = { daemon: 'ready', lastError: null, todayNanoUsd: 2_500_000_000, monthNanoUsd: 9_000_000_000, unpricedToday: 0, recording: true, launchAtLogin: false };

class FakeTray implements TrayLike {
  calls: string[] = [];
  images: string[] = [];
  contextMenu: Menu | null = null;
  popped = 0;
  destroyed = false;
  listeners = new Map<string, (e: unknown, b: Rectangle) => void>();
  constructor(image: NativeImage) {
    this.images.push((image as unknown as { file: string }).file);
  }
  setImage(image: NativeImage | string) {
    this.images.push((image as unknown as { file: string }).file);
  }
  setToolTip(t: string) { this.calls.push(`tooltip:${t}`); }
  setTitle(t: string) { this.calls.push(`title:${t}`); }
  setContextMenu(m: Menu | null) { this.contextMenu = m; }
  popUpContextMenu() { this.popped++; }
  getBounds(): Rectangle { return { x: 1500, y: 0, width: 22, height: 24 }; }
  destroy() { this.destroyed = true; }
  isDestroyed() { return this.destroyed; }
  setIgnoreDoubleClickEvents() { this.calls.push('ignore-double-click'); }
  on(event: 'click' | 'right-click', l: (e: unknown, b: Rectangle) => void) { this.listeners.set(event, l); return this; }
}

function setup(platform: NodeJS.Platform) {
  let tray: FakeTray | null = null;
  const actions: TrayAction[] = [];
  const clicks: Array<Rectangle | null> = [];
  let template: MenuItemConstructorOptions[] = [];
  const images: Array<{ file: string; template: boolean }> = [];
  const ctl = new TrayController({
    platform,
    assetsDir: '/assets',
    createTray: (img) => (tray = new FakeTray(img)),
    loadImage: (file) => {
      const img = { file, template: false, setTemplateImage(v: boolean) { img.template = v; } };
      images.push(img);
      return img as unknown as NativeImage;
    },
    buildMenu: (t) => ((template = t), { items: t } as unknown as Menu),
    onAction: (a) => actions.push(a),
    onClick: (b) => clicks.push(b),
  });
  ctl.start(model);
  return { ctl, tray: () => tray!, actions, clicks, template: () => template, images };
}

describe('TrayController', () => {
  it('macOS: template icon, live title, right click pops the menu, click toggles with bounds', () => {
    const s = setup('darwin');
    expect(s.images[0]).toMatchObject({ file: path.join('/assets', 'trayTemplate.png'), template: true });
    expect(s.tray().calls).toContain('title:$2.50');
    expect(s.tray().calls).toContain('ignore-double-click');
    expect(s.tray().contextMenu).toBeNull(); // a context menu would swallow the left click on mac
    s.tray().listeners.get('right-click')?.({}, { x: 0, y: 0, width: 0, height: 0 });
    expect(s.tray().popped).toBe(1);
    s.tray().listeners.get('click')?.({}, { x: 1500, y: 0, width: 22, height: 24 });
    s.tray().listeners.get('click')?.({}, { x: 0, y: 0, width: 0, height: 0 }); // bogus bounds → cached
    expect(s.clicks).toEqual([{ x: 1500, y: 0, width: 22, height: 24 }, { x: 1500, y: 0, width: 22, height: 24 }]);
    s.ctl.update({ ...model, todayNanoUsd: 3_000_000_000 });
    expect(s.tray().calls).toContain('title:$3.00');
  });

  it('error state switches the icon; menu clicks reach onAction', () => {
    const s = setup('win32');
    s.ctl.update({ ...model, daemon: 'failed', lastError: 'boom' });
    expect(s.tray().images).toEqual([path.join('/assets', 'tray.ico'), path.join('/assets', 'tray-error.ico')]);
    expect(s.tray().calls.at(-1)).toContain('stopped after repeated crashes');
    expect(s.tray().calls.some((c) => c.startsWith('title:'))).toBe(false); // no title on Windows
    const restart = s.template().find((i) => i.id === 'restart-daemon');
    restart?.click?.({} as never, undefined, {} as never);
    const login = s.template().find((i) => i.id === 'toggle-launch-at-login');
    expect(login).toMatchObject({ type: 'checkbox', checked: false });
    login?.click?.({} as never, undefined, {} as never);
    expect(s.actions).toEqual(['restart-daemon', 'toggle-launch-at-login']);
  });

  it('Linux: menu always attached and re-set on every update', () => {
    const s = setup('linux');
    const first = s.tray().contextMenu;
    expect(first).not.toBeNull();
    expect(s.template()[0]).toMatchObject({ id: 'open-popover', label: 'Open CCO' });
    s.ctl.update({ ...model, recording: false });
    expect(s.tray().contextMenu).not.toBe(first);
    expect(s.tray().images.at(-1)).toBe(path.join('/assets', 'tray-paused.png'));
  });

  it('stop() destroys the tray and later updates are ignored', () => {
    const s = setup('darwin');
    s.ctl.stop();
    expect(s.tray().destroyed).toBe(true);
    const n = s.tray().calls.length;
    s.ctl.update(model);
    expect(s.tray().calls.length).toBe(n);
  });
});

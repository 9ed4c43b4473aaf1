import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Rectangle } from 'electron';
import type { PopoverDeps, PopoverWindow } from './popover.ts';
import { Popover, popoverWindowOptions } from './popover.ts';

let nextId = 1;
class FakeWindow implements PopoverWindow {
  visible = false;
  destroyed = false;
  position: [number, number] | null = null;
  urls: string[] = [];
  listeners = new Map<string, () => void>();
  webContents = { id: nextId++, send: () => {}, isDestroyed: () => this.destroyed };
  async loadURL(url: string) { this.urls.push(url); }
  show() { this.visible = true; }
  hide() { this.visible = false; }
  focus() {}
  isVisible() { return this.visible; }
  isDestroyed() { return this.destroyed; }
  destroy() { this.destroyed = true; this.visible = false; this.listeners.get('closed')?.(); }
  setPosition(x: number, y: number) { this.position = [x, y]; }
  getSize() { return [380, 520]; }
  setVisibleOnAllWorkspaces() {}
  setAlwaysOnTop() {}
  on(event: 'blur' | 'closed', l: () => void) { this.listeners.set(event, l); return this; }
}

const display = { bounds: { x: 0, y: 0, width: 1920, height: 1080 }, workArea: { x: 0, y: 0, width: 1920, height: 1040 } };
const tray: Rectangle = { x: 1700, y: 1045, width: 24, height: 32 };

function setup(platform: NodeJS.Platform = 'win32') {
  const windows: FakeWindow[] = [];
  const created: number[] = [];
  const destroyed: number[] = [];
  const deps: PopoverDeps = {
    platform,
    url: 'app://cco/index.html#/popover',
    createWindow: () => {
      const w = new FakeWindow();
      windows.push(w);
      return w;
    },
    screen: {
      getDisplayMatching: () => display as Electron.Display,
      getDisplayNearestPoint: () => display as Electron.Display,
      getCursorScreenPoint: () => ({ x: 100, y: 100 }),
    },
    onCreated: (w) => created.push(w.webContents.id),
    onDestroyed: (id) => destroyed.push(id),
    teardownAfterMs: 30_000,
  };
  return { p: new Popover(deps), windows, created, destroyed };
}

describe('Popover', () => {
  beforeEach(() => void vi.useFakeTimers());
  afterEach(() => void vi.useRealTimers());

  it('creates lazily, loads the popover route, and places it above a bottom taskbar', () => {
    const { p, windows, created } = setup();
    expect(windows).toHaveLength(0);
    p.toggle(tray);
    expect(windows[0]?.urls).toEqual(['app://cco/index.html#/popover']);
    expect(windows[0]?.position).toEqual([1522, 512]);
    expect(p.isVisible()).toBe(true);
    expect(created).toEqual([windows[0]?.webContents.id]);
    p.toggle(tray);
    expect(p.isVisible()).toBe(false);
  });

  it('hides on blur, but ignores a transient blur right after showing', () => {
    const { p, windows } = setup();
    p.show(tray);
    windows[0]?.listeners.get('blur')?.();
    expect(p.isVisible()).toBe(true);
    vi.advanceTimersByTime(200);
    windows[0]?.listeners.get('blur')?.();
    expect(p.isVisible()).toBe(false);
  });

  it('tears the renderer down after staying hidden, and recreates it on the next show', () => {
    const { p, windows, destroyed } = setup();
    p.show(tray);
    p.hide();
    vi.advanceTimersByTime(29_999);
    expect(windows[0]?.destroyed).toBe(false);
    vi.advanceTimersByTime(1);
    expect(windows[0]?.destroyed).toBe(true);
    expect(destroyed).toEqual([windows[0]?.webContents.id]);
    p.show(null);
    expect(windows).toHaveLength(2);
    expect(windows[1]?.visible).toBe(true);
  });

  it('showing again before the teardown keeps the same window', () => {
    const { p, windows } = setup();
    p.show(tray);
    p.hide();
    vi.advanceTimersByTime(10_000);
    p.show(tray);
    vi.advanceTimersByTime(60_000);
    expect(windows).toHaveLength(1);
    expect(windows[0]?.destroyed).toBe(false);
  });

  it('window options: frameless, no taskbar, secure prefs passed through, panel on mac', () => {
    const prefs = { sandbox: true, contextIsolation: true };
    const mac = popoverWindowOptions('darwin', prefs);
    expect(mac).toMatchObject({ frame: false, skipTaskbar: true, show: false, type: 'panel', webPreferences: prefs });
    expect(popoverWindowOptions('win32', prefs).type).toBeUndefined();
  });

  it('a tray click on an open popover closes it: the click\'s own blur-hide is not undone by its toggle', () => {
    const { p, windows } = setup('win32');
    p.toggle(tray);
    vi.advanceTimersByTime(1_000);
    windows[0]!.listeners.get('blur')!(); // clicking the tray icon takes focus from the popover…
    expect(p.isVisible()).toBe(false);
    vi.advanceTimersByTime(40);
    p.toggle(tray); // …then the click arrives
    expect(p.isVisible()).toBe(false);
    vi.advanceTimersByTime(300);
    p.toggle(tray); // a later click opens it again
    expect(p.isVisible()).toBe(true);
  });

  it('macOS: hides when the renderer reports its window blurred (a panel gets no native blur)', () => {
    const { p } = setup('darwin');
    p.show(tray);
    vi.advanceTimersByTime(1_000);
    p.onBlur();
    expect(p.isVisible()).toBe(false);
  });
});

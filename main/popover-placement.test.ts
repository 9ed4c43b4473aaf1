import { describe, expect, it } from 'vitest';
import type { DisplayLike, Rect } from './popover-placement.ts';
import { placePopover, taskbarEdge } from './popover-placement.ts';

const SIZE = { width: 380, height: 520 };
const screen: Rect = { x: 0, y: 0, width: 1920, height: 1080 };
const display = (workArea: Rect): DisplayLike => ({ bounds: screen, workArea });

const macDisplay = display({ x: 0, y: 25, width: 1920, height: 1055 });
const winBottom = display({ x: 0, y: 0, width: 1920, height: 1040 });
const winTop = display({ x: 0, y: 40, width: 1920, height: 1040 });
const winLeft = display({ x: 60, y: 0, width: 1860, height: 1080 });
const winRight = display({ x: 0, y: 0, width: 1860, height: 1080 });
const noPanel = display(screen);

describe('taskbarEdge', () => {
  it.each([
    [macDisplay, 'top'],
    [winBottom, 'bottom'],
    [winTop, 'top'],
    [winLeft, 'left'],
    [winRight, 'right'],
    [noPanel, 'none'],
  ] as const)('%#: %s', (d, edge) => {
    expect(taskbarEdge(d)).toBe(edge);
  });
});

describe('placePopover', () => {
  it.each([
    // platform, tray, display, expected
    ['darwin', { x: 1500, y: 0, width: 22, height: 24 }, macDisplay, { x: 1321, y: 29 }, 'mac: centred under the icon'],
    ['darwin', { x: 1900, y: 0, width: 22, height: 24 }, macDisplay, { x: 1532, y: 29 }, 'mac: clamped at the right screen edge'],
    ['darwin', null, macDisplay, { x: 1532, y: 29 }, 'mac: no bounds → top right'],
    ['win32', { x: 1700, y: 1045, width: 24, height: 32 }, winBottom, { x: 1522, y: 512 }, 'win bottom taskbar: above the icon'],
    ['win32', { x: 1890, y: 1045, width: 24, height: 32 }, winBottom, { x: 1532, y: 512 }, 'win bottom: clamped right'],
    ['win32', { x: 1700, y: 4, width: 24, height: 32 }, winTop, { x: 1522, y: 48 }, 'win top taskbar: below the icon'],
    ['win32', { x: 18, y: 900, width: 24, height: 24 }, winLeft, { x: 68, y: 552 }, 'win left taskbar: right of it, at icon height (clamped)'],
    ['win32', { x: 18, y: 400, width: 24, height: 24 }, winLeft, { x: 68, y: 152 }, 'win left taskbar: centred on the icon'],
    ['win32', { x: 1878, y: 400, width: 24, height: 24 }, winRight, { x: 1472, y: 152 }, 'win right taskbar: left of it'],
    ['win32', null, winBottom, { x: 1532, y: 512 }, 'win no bounds → bottom right'],
    ['win32', { x: 0, y: 0, width: 0, height: 0 }, winTop, { x: 1532, y: 48 }, 'win zero bounds → top right for a top taskbar'],
    ['linux', null, display({ x: 0, y: 27, width: 1920, height: 1053 }), { x: 1532, y: 35 }, 'linux top panel → top right'],
    ['linux', null, display({ x: 0, y: 0, width: 1920, height: 1040 }), { x: 1532, y: 512 }, 'linux bottom panel → bottom right'],
    ['linux', null, display({ x: 70, y: 0, width: 1850, height: 1080 }), { x: 78, y: 8 }, 'linux left dock → top left'],
    ['linux', { x: 30, y: 1050, width: 24, height: 24 }, display({ x: 0, y: 0, width: 1920, height: 1040 }), { x: 8, y: 512 }, 'linux tray bottom left → that corner'],
  ] as Array<[NodeJS.Platform, Rect | null, DisplayLike, { x: number; y: number }, string]>)('%s %#: %s', (platform, tray, d, expected) => {
    expect(placePopover({ platform, tray, size: SIZE, display: d })).toEqual(expected);
  });

  it('returns integers and stays inside the work area for fractional bounds', () => {
    const p = placePopover({ platform: 'win32', tray: { x: 1700.4, y: 1045.7, width: 23.3, height: 31 }, size: SIZE, display: winBottom });
    expect(Number.isInteger(p.x) && Number.isInteger(p.y)).toBe(true);
  });

  it('respects a secondary display offset', () => {
    const d: DisplayLike = { bounds: { x: -1280, y: 0, width: 1280, height: 1024 }, workArea: { x: -1280, y: 0, width: 1280, height: 984 } };
    const p = placePopover({ platform: 'win32', tray: { x: -100, y: 990, width: 24, height: 32 }, size: SIZE, display: d });
    expect(p).toEqual({ x: -388, y: 456 });
    expect(p.x + SIZE.width).toBeLessThanOrEqual(0);
  });
});

/**
 * Where the popover goes, as a pure function of the platform, the tray icon's bounds and the display.
 * macOS: centred under the menu-bar icon. Windows: at the icon, on the inside of the taskbar, for any
 * taskbar edge. Linux: the work-area corner nearest the tray (tray bounds are often unknown there).
 * Results are integers (setPosition rejects fractions, menubar#233) and inside the work area with a margin.
 */

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface DisplayLike {
  bounds: Rect;
  workArea: Rect;
}

export type TaskbarEdge = 'top' | 'bottom' | 'left' | 'right' | 'none';

export interface PlacementInput {
  platform: NodeJS.Platform;
  /** Tray icon bounds; null or empty when the platform does not report them. */
  tray: Rect | null;
  size: { width: number; height: number };
  display: DisplayLike;
  /** Gap between the popover and the tray / screen edge. */
  margin?: number;
}

/** Which edge the taskbar / menu bar / panel occupies: the side where workArea is inset from bounds. */
export function taskbarEdge(display: DisplayLike): TaskbarEdge {
  const { bounds: b, workArea: w } = display;
  const insets: Array<[TaskbarEdge, number]> = [
    ['top', w.y - b.y],
    ['bottom', b.y + b.height - (w.y + w.height)],
    ['left', w.x - b.x],
    ['right', b.x + b.width - (w.x + w.width)],
  ];
  let best: [TaskbarEdge, number] = ['none', 0];
  for (const inset of insets) if (inset[1] > best[1]) best = inset;
  return best[0];
}

function usable(tray: Rect | null): tray is Rect {
  return tray !== null && tray.width > 0 && tray.height > 0 && !(tray.x === 0 && tray.y === 0);
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.max(lo, Math.min(v, Math.max(lo, hi)));
}

/** Top-left corner for the popover window. */
export function placePopover(input: PlacementInput): { x: number; y: number } {
  const { platform, size, display } = input;
  const m = input.margin ?? 8;
  const wa = display.workArea;
  const right = wa.x + wa.width - size.width - m;
  const bottom = wa.y + wa.height - size.height - m;
  const left = wa.x + m;
  const top = wa.y + m;
  const edge = taskbarEdge(display);
  const tray = usable(input.tray) ? input.tray : null;
  const cx = tray ? tray.x + tray.width / 2 : 0;
  const cy = tray ? tray.y + tray.height / 2 : 0;

  let x: number;
  let y: number;
  if (platform === 'darwin') {
    // Under the icon; the menu bar is the top inset (or the tray's bottom edge when known).
    x = tray ? cx - size.width / 2 : right;
    y = tray ? Math.max(tray.y + tray.height, wa.y) + 4 : top - m + 4;
  } else if (platform === 'win32') {
    if (!tray) {
      [x, y] = edge === 'top' ? [right, top] : edge === 'left' ? [left, bottom] : [right, bottom];
    } else if (edge === 'top') {
      [x, y] = [cx - size.width / 2, top];
    } else if (edge === 'left') {
      [x, y] = [left, cy - size.height / 2];
    } else if (edge === 'right') {
      [x, y] = [right, cy - size.height / 2];
    } else {
      [x, y] = [cx - size.width / 2, bottom];
    }
  } else {
    // Linux and others: a corner of the work area, chosen by the tray position when known, else the panel edge.
    const nearRight = tray ? cx >= display.bounds.x + display.bounds.width / 2 : edge !== 'left';
    const nearBottom = tray ? cy >= display.bounds.y + display.bounds.height / 2 : edge === 'bottom';
    x = nearRight ? right : left;
    y = nearBottom ? bottom : top;
  }
  // Keep a margin from the work-area edges (except under the macOS menu bar, where the gap is fixed).
  return {
    x: Math.round(clamp(x, left, right)),
    y: Math.round(clamp(y, platform === 'darwin' ? wa.y : top, bottom)),
  };
}

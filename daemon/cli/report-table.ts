/**
 * Tables for `cco report`: cli-table3 draws them; this module decides what fits. Each column has a wide
 * and (optionally) a narrow text per cell and a priority. To fit `width` columns: wide texts first, then
 * the narrow ones, then the flexible columns (key, models, project) cut to a readable minimum with "…"
 * while columns are dropped lowest priority first, then cut further. So 80 columns fit, and a wider
 * terminal gets more detail. (cli-table3: the kept table library; the fitting is ours.)
 */
import Table from 'cli-table3';

export interface Column {
  head: string;
  align?: 'left' | 'right';
  /** Higher stays longer; columns with the same priority go together, right to left. */
  priority: number;
  /** May be cut with "…" (one column: the row's key). */
  flex?: boolean;
  /** Where a cut flexible cell loses characters: 'start' keeps the end (paths), default 'end'. */
  cut?: 'start' | 'end';
}

export interface Cell {
  wide: string;
  narrow?: string;
}

export type Row = (string | Cell)[];

const wideOf = (c: string | Cell) => (typeof c === 'string' ? c : c.wide);
const narrowOf = (c: string | Cell) => (typeof c === 'string' ? c : (c.narrow ?? c.wide));

/** Display width (ASCII and the few symbols we print are one column each). */
const len = (s: string) => [...s].length;

/** Width cli-table3 draws for content widths `w`: one space each side, one border between and around. */
export function tableWidth(contentWidths: number[]): number {
  return contentWidths.reduce((a, w) => a + w + 3, 1);
}

export interface Layout {
  /** Indexes of the columns shown, in order. */
  columns: number[];
  narrow: boolean;
  /** Content width per shown column. */
  widths: number[];
}

/** Which columns, which texts and which widths make `rows` fit `width` (column 0, the key, always stays). */
export function fitColumns(columns: Column[], rows: Row[], width: number): Layout {
  const measure = (shown: number[], narrow: boolean) =>
    shown.map((i) => Math.max(len(columns[i]!.head), ...rows.map((r) => len((narrow ? narrowOf : wideOf)(r[i] ?? '')))));
  /** Narrows the flexible columns (widest first) down to `floor` columns each; true when it then fits. */
  const squeeze = (shown: number[], w: number[], floor: (i: number) => number) => {
    for (;;) {
      const excess = tableWidth(w) - width;
      if (excess <= 0) return true;
      let best = -1;
      shown.forEach((i, k) => {
        if (columns[i]!.flex && w[k]! > floor(i) && (best < 0 || w[k]! > w[best]!)) best = k;
      });
      if (best < 0) return false;
      w[best] = Math.max(floor(shown[best]!), w[best]! - excess);
    }
  };
  let shown = columns.map((_, i) => i);
  for (const narrow of [false, true]) {
    const w = measure(shown, narrow);
    if (tableWidth(w) <= width) return { columns: shown, narrow, widths: w };
  }
  // Cut the flexible columns to a readable minimum, dropping the lowest priority columns (the rightmost
  // first among equals) until the rest fits.
  const readable = (i: number) => (i === 0 ? 24 : 14);
  const order = columns
    .map((c, i) => ({ c, i }))
    .filter(({ i }) => i !== 0)
    .sort((x, y) => x.c.priority - y.c.priority || y.i - x.i);
  for (let dropped = 0; dropped <= order.length; dropped++) {
    if (dropped > 0) shown = shown.filter((j) => j !== order[dropped - 1]!.i);
    const w = measure(shown, true);
    if (squeeze(shown, w, (i) => Math.min(readable(i), w[shown.indexOf(i)]!))) return { columns: shown, narrow: true, widths: w };
  }
  const w = measure(shown, true);
  squeeze(shown, w, () => 4);
  return { columns: shown, narrow: true, widths: w };
}

/** The table as text (no colours), rows then an optional totals row below a rule. */
export function renderTable(columns: Column[], rows: Row[], width: number, totals?: Row): string {
  const all = totals ? [...rows, totals] : rows;
  const layout = fitColumns(columns, all, width);
  const pick = (r: Row) =>
    layout.columns.map((i, k) => {
      const text = (layout.narrow ? narrowOf : wideOf)(r[i] ?? '');
      const w = layout.widths[k]!;
      if (len(text) <= w || columns[i]!.cut !== 'start') return text;
      return '…' + [...text].slice(len(text) - w + 1).join('');
    });
  const table = new Table({
    head: layout.columns.map((i) => columns[i]!.head),
    colAligns: layout.columns.map((i) => columns[i]!.align ?? 'left'),
    // cli-table3's widths include the padding.
    colWidths: layout.widths.map((w) => w + 2),
    truncate: '…',
    style: { head: [], border: [] },
  });
  for (const r of rows) table.push(pick(r));
  if (totals) table.push(pick(totals));
  // cli-table3 rules off every row; keep the one under the head and the one above the totals.
  const lines = table.toString().split('\n');
  const rules = lines.flatMap((l, i) => (l.startsWith('├') ? [i] : []));
  const keep = new Set([rules[0], totals ? rules[rules.length - 1] : undefined]);
  const text = lines.filter((l, i) => !l.startsWith('├') || keep.has(i)).join('\n');
  return text + '\n';
}

import { describe, expect, it } from 'vitest';
import { fitColumns, renderTable, tableWidth, type Column, type Row } from './report-table.ts';

const columns: Column[] = [
  { head: 'Project', priority: 100, flex: true, cut: 'start' },
  { head: 'Models', priority: 1, flex: true },
  { head: 'Input', align: 'right', priority: 3 },
  { head: 'Output', align: 'right', priority: 5 },
  { head: 'Cost', align: 'right', priority: 99 },
];
const row = (project: string): Row => [project, 'sonnet-4-5, opus-4-1, haiku-4-5', { wide: '12,345,678', narrow: '12.3M' }, { wide: '1,234,567', narrow: '1.2M' }, '$1,702.47'];
const rows = [row('/home/me/work/clients/acme/my-app'), row('/home/me/b/my-app')];

describe('report tables', () => {
  it('wide terminals get every column with exact counts', () => {
    const layout = fitColumns(columns, rows, 200);
    expect(layout).toMatchObject({ columns: [0, 1, 2, 3, 4], narrow: false });
    const text = renderTable(columns, rows, 200, row('Total'));
    expect(text).toContain('12,345,678');
    expect(text.split('\n').filter((l) => l.startsWith('├'))).toHaveLength(2); // under the head, above the totals
  });
  it('80 columns: compact counts, then low-priority columns dropped, paths cut from the start', () => {
    for (const width of [80, 60, 40]) {
      const text = renderTable(columns, rows, width, row('Total'));
      const lines = text.trimEnd().split('\n');
      expect(lines.every((l) => l.length <= width)).toBe(true);
      expect(text).toContain('$1,702.47'); // cost is never dropped
    }
    const at80 = renderTable(columns, rows, 80);
    expect(at80).toContain('12.3M');
    const at40 = renderTable(columns, rows, 40);
    expect(at40).not.toContain('Models');
    expect(at40).toMatch(/…[a-z/]*my-app/);
  });
  it('tableWidth counts padding and borders', () => {
    expect(tableWidth([3, 4])).toBe(1 + 3 + 3 + 4 + 3);
    const text = renderTable([{ head: 'abc', priority: 1 }, { head: 'defg', priority: 1 }], [['a', 'b']], 80);
    expect(text.split('\n')[0]!.length).toBe(tableWidth([3, 4]));
  });
});

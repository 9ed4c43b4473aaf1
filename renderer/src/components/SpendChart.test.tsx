import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, render, screen } from '@testing-library/react';
import { chartRows, SpendChart, tickInterval, tooltipLines, type ChartRow } from './SpendChart.tsx';
import { makeSummary } from '../test-fixtures.ts';

const rows = (n: number, label: string): ChartRow[] => Array.from({ length: n }, () => ({ label }));

describe('SpendChart', () => {
  afterEach(cleanup);

  it('shows every x label when they fit, and every k-th when they would overlap', () => {
    expect(tickInterval(rows(7, 'Nov 16'), 1046)).toBe(0); // a week of days on a wide chart
    expect(tickInterval(rows(12, '14:00'), 1046)).toBe(0); // half a day of hours
    expect(tickInterval(rows(24, '14:00'), 1046)).toBe(1); // a whole day: every other hour
    const month = tickInterval(rows(31, 'Nov 16'), 1046); // 31 × ~55 px > 1046 px
    expect(month).toBeGreaterThan(0);
    expect(Math.ceil(31 / (month + 1)) * (6 * 6.5 + 16)).toBeLessThanOrEqual(1046); // the shown ones fit
    expect(tickInterval(rows(31, 'Nov 16'), 300)).toBeGreaterThan(month); // narrower: sparser
    expect(tickInterval([], 500)).toBe(0);
    expect(tickInterval(rows(5, 'x'), 0)).toBe(0); // not measured yet
  });

  it('stacks the top keys, folds the rest into "other", and lists them in an HTML legend', () => {
    const base = makeSummary();
    const keys = Array.from({ length: 9 }, (_, i) => `claude-m${i}`);
    const s = {
      ...base,
      byModel: keys.map((key, i) => ({ ...base.totals, key, costNanoUsd: 1000 - i })),
      series: [{ t: base.from, costNanoUsd: 9e9, requests: 9, byModel: Object.fromEntries(keys.map((k) => [k, 1e9])), byProject: {} }],
    };
    const { rows: r, keys: k } = chartRows(s, 'model');
    expect(k).toEqual([...keys.slice(0, 7), 'other']);
    expect(r[0]?.other).toBe(2); // two models folded, 1 USD each
    render(<SpendChart summary={s} by="model" />);
    const legend = screen.getByRole('list', { name: 'Legend' });
    expect([...legend.querySelectorAll('li')].map((li) => li.textContent)).toEqual([...keys.slice(0, 7).map((x) => x.replace('claude-', '')), 'other']);
  });

  it('lists only groups with spend in the range in the stacks and the legend', () => {
    const base = makeSummary();
    const s = {
      ...base,
      byModel: [
        { ...base.totals, key: 'claude-opus-4-6', costNanoUsd: 5e9 },
        { ...base.totals, key: 'claude-haiku-4-5', costNanoUsd: 0, requests: 40 }, // token counts only: free
      ],
      series: [{ t: base.from, costNanoUsd: 5e9, requests: 41, byModel: { 'claude-opus-4-6': 5e9, 'claude-haiku-4-5': 0 }, byProject: {} }],
    };
    const { rows: r, keys: k } = chartRows(s, 'model');
    expect(k).toEqual(['claude-opus-4-6']);
    expect(r[0]).not.toHaveProperty('other');
    render(<SpendChart summary={s} by="model" />);
    expect(screen.getByRole('list', { name: 'Legend' }).textContent).toBe('opus-4-6');
  });

  it('labels project stacks with the labeller it is given', () => {
    const base = makeSummary();
    const s = {
      ...base,
      byProject: [
        { ...base.totals, key: '/h/a/my-app', costNanoUsd: 2e9 },
        { ...base.totals, key: '/h/b/my-app', costNanoUsd: 1e9 },
      ],
      series: [{ t: base.from, costNanoUsd: 3e9, requests: 2, byModel: {}, byProject: { '/h/a/my-app': 2e9, '/h/b/my-app': 1e9 } }],
    };
    render(<SpendChart summary={s} by="project" projectLabel={(k) => k.split('/').slice(-2).join('/')} />);
    const items = [...screen.getByRole('list', { name: 'Legend' }).querySelectorAll('li')];
    expect(items.map((li) => li.textContent)).toEqual(['a/my-app', 'b/my-app']);
    expect(items.map((li) => li.getAttribute('title'))).toEqual(['/h/a/my-app', '/h/b/my-app']);
  });

  it('tooltip: the total first, then the stacks top first, empty ones left out', () => {
    const { total, lines } = tooltipLines([
      { dataKey: 'a', value: 1.5, color: '#1' }, // bottom stack
      { dataKey: 'b', value: 0 },
      { dataKey: 'c', value: 0.25, color: '#3' }, // top stack
    ]);
    expect(total).toBe(1.75);
    expect(lines.map((l) => l.key)).toEqual(['c', 'a']);
  });
});

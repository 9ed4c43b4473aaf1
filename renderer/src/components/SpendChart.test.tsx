import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, render, screen } from '@testing-library/react';
import { chartRows, SpendChart, tickInterval, type ChartRow } from './SpendChart.tsx';
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
});

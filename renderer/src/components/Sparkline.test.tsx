import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, render, screen } from '@testing-library/react';
import type { SeriesPoint } from '../../../shared/contract.ts';
import { Sparkline } from './Sparkline.tsx';
import { sparkRows } from './SparklineChart.tsx';

const point = (hour: number, cost: number): SeriesPoint => ({
  t: new Date(Date.UTC(2026, 0, 10, hour)).toISOString(),
  costNanoUsd: cost,
  requests: 1,
  byModel: {},
  byProject: {},
});

describe('Sparkline', () => {
  afterEach(cleanup);

  it('turns the series into chart rows with hour labels and exact nano-USD', () => {
    const rows = sparkRows([point(9, 0), point(10, 2_500_000_000)], 'UTC');
    expect(rows.map((r) => r.nano)).toEqual([0, 2_500_000_000]);
    expect(rows[1]!.usd).toBe(2.5);
    expect(rows[1]!.label).toMatch(/10/);
  });

  it('reserves its height at once and draws the recharts area when the chart chunk has loaded', async () => {
    render(<Sparkline series={[point(9, 0), point(10, 2_500_000_000), point(11, 40_000_000)]} tz="UTC" height={48} />);
    expect(screen.getByTestId('sparkline').style.height).toBe('48px');
    const chart = await screen.findByTestId('sparkline-chart');
    await new Promise((r) => setTimeout(r, 0));
    expect(chart.querySelector('.recharts-area')).not.toBeNull();
  });
});

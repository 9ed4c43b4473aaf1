import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import type { SeriesPoint } from '../../../daemon/api/contract.ts';
import { Sparkline, sparkPaths } from './Sparkline.tsx';

const point = (hour: number, cost: number): SeriesPoint => ({
  t: new Date(Date.UTC(2026, 0, 10, hour)).toISOString(),
  costNanoUsd: cost,
  requests: 1,
  byModel: {},
  byProject: {},
});

describe('Sparkline', () => {
  afterEach(cleanup);

  it('scales values into the box: the largest at the top, zero at the bottom, evenly spaced', () => {
    const { line, area } = sparkPaths([0, 5, 10], 56);
    expect(line).toBe('M0.00,54.50L120.00,28.00L240.00,1.50');
    expect(area).toBe(`${line}L240,56L0,56Z`);
    expect(sparkPaths([], 56)).toEqual({ line: '', area: '' });
    expect(sparkPaths([0, 0], 40).line).toBe('M0.00,38.50L240.00,38.50'); // nothing spent: a flat line at the bottom
    expect(sparkPaths([3], 40).line).toBe('M0.00,1.50L240,1.50'); // one point still draws a line
  });

  it('shows the hour and its spend for the point picked with the keyboard', () => {
    render(<Sparkline series={[point(9, 0), point(10, 2_500_000_000), point(11, 40_000_000)]} tz="UTC" />);
    expect(screen.queryByTestId('sparkline-tip')).toBeNull();
    const svg = screen.getByTestId('sparkline').querySelector('svg')!;
    fireEvent.keyDown(svg, { key: 'ArrowRight' });
    fireEvent.keyDown(svg, { key: 'ArrowRight' });
    expect(screen.getByTestId('sparkline-tip').textContent).toMatch(/10.00.*\$2\.50/);
    fireEvent.keyDown(svg, { key: 'ArrowRight' });
    fireEvent.keyDown(svg, { key: 'ArrowRight' }); // stays on the last point
    expect(screen.getByTestId('sparkline-tip').textContent).toMatch(/11.00.*\$0\.04/);
    fireEvent.blur(svg);
    expect(screen.queryByTestId('sparkline-tip')).toBeNull();
  });
});

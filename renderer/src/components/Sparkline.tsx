/**
 * Spend-per-hour sparkline for the popover. The chart itself (recharts, SparklineChart.tsx) is loaded
 * lazily: the popover's first paint shows the numbers at once with a placeholder of the same height here,
 * and the chart fills it in when recharts' chunk arrives (it no longer competes with the first numbers).
 */
import { lazy, Suspense } from 'react';
import type { SeriesPoint } from '../../../shared/contract.ts';

const SparklineChart = lazy(() => import('./SparklineChart.tsx'));

export function Sparkline({ series, tz, height = 56 }: { series: SeriesPoint[]; tz: string; height?: number }) {
  return (
    <div className="sparkline" role="img" aria-label="Spend per hour, last 24 hours" data-testid="sparkline" style={{ height }}>
      <Suspense fallback={null}>
        <SparklineChart series={series} tz={tz} height={height} />
      </Suspense>
    </div>
  );
}

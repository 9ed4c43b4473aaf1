/**
 * The popover's spend-per-hour sparkline, drawn by recharts (an AreaChart without axes). Loaded lazily by
 * Sparkline.tsx after the popover's first numbers are on screen, so recharts' code never delays them.
 * Keyboard: recharts' accessibility layer (focus the chart, arrow keys move the tooltip).
 */
import { useLayoutEffect, useMemo, useRef, useState } from 'react';
import { Area, AreaChart, Tooltip, YAxis } from 'recharts';
import type { SeriesPoint } from '../../../shared/contract.ts';
import { formatBucket, formatUsd } from '../format.ts';

export interface SparkRow {
  label: string;
  usd: number;
  nano: number;
}

export function sparkRows(series: readonly SeriesPoint[], tz: string): SparkRow[] {
  return series.map((p) => ({ label: formatBucket(p.t, 'hour', undefined, tz), usd: p.costNanoUsd / 1e9, nano: p.costNanoUsd }));
}

export default function SparklineChart({ series, tz, height }: { series: SeriesPoint[]; tz: string; height: number }) {
  const rows = useMemo(() => sparkRows(series, tz), [series, tz]);
  const ref = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(0);
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    setWidth(el.clientWidth || 340);
    if (typeof ResizeObserver === 'undefined') return;
    const ro = new ResizeObserver(() => setWidth(el.clientWidth || 340));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);
  return (
    <div ref={ref} style={{ height }} data-testid="sparkline-chart">
      {width > 0 && (
        <AreaChart width={width} height={height} data={rows} margin={{ top: 2, right: 0, bottom: 0, left: 0 }} accessibilityLayer>
          <YAxis hide domain={[0, 'dataMax']} />
          <Tooltip
            cursor={{ stroke: 'var(--muted)' }}
            labelFormatter={(_l, payload) => String(payload?.[0]?.payload?.label ?? '')}
            formatter={(_v, _n, item) => [formatUsd(Number((item.payload as SparkRow).nano)), 'spend']}
            contentStyle={{ background: 'var(--panel)', border: '1px solid var(--border)', color: 'var(--text)', fontSize: 12, padding: '2px 6px' }}
          />
          <Area type="monotone" dataKey="usd" stroke="var(--accent)" strokeWidth={1.5} fill="var(--accent-soft)" isAnimationActive={false} dot={false} />
        </AreaChart>
      )}
    </div>
  );
}

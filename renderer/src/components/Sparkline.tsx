import { useMemo } from 'react';
import { Area, AreaChart, Tooltip, XAxis } from 'recharts';
import type { SeriesPoint } from '../../../daemon/api/contract.ts';
import { formatBucket, formatUsd } from '../format.ts';

/** 24-hour spend sparkline for the popover. */
export function Sparkline({ series, tz, height = 56 }: { series: SeriesPoint[]; tz: string; height?: number }) {
  const rows = useMemo(
    () => series.map((p) => ({ label: formatBucket(p.t, 'hour', undefined, tz), usd: p.costNanoUsd / 1e9 })),
    [series, tz],
  );
  return (
    <div className="sparkline" role="img" aria-label="Spend per hour, last 24 hours" data-testid="sparkline">
      <AreaChart responsive style={{ width: '100%', height }} data={rows} margin={{ top: 4, right: 0, left: 0, bottom: 0 }}>
        <XAxis dataKey="label" hide />
        <Tooltip
          formatter={(v) => [formatUsd(Math.round(Number(v) * 1e9)), 'spend']}
          contentStyle={{ background: 'var(--panel)', border: '1px solid var(--border)', color: 'var(--text)', fontSize: 12 }}
        />
        <Area type="monotone" dataKey="usd" stroke="var(--accent)" fill="var(--accent-soft)" strokeWidth={1.5} isAnimationActive={false} />
      </AreaChart>
    </div>
  );
}

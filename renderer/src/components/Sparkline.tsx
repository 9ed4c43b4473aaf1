/**
 * Spend-per-hour sparkline for the popover: one SVG area, drawn in a single render (no chart library).
 * recharts' chunk (~330 kB) used to be fetched, compiled and run while the popover showed its first
 * numbers; a 24-point area needs none of it. Hover (or focus + arrow keys) shows the hour and its spend.
 */
import { useMemo, useState, type KeyboardEvent, type PointerEvent } from 'react';
import type { SeriesPoint } from '../../../daemon/api/contract.ts';
import { formatBucket, formatUsd } from '../format.ts';

const W = 240; // viewBox units; the SVG stretches to the container's width

/** Area and line paths for values scaled into a W × h box (max value at the top, 0 at the bottom). */
export function sparkPaths(values: readonly number[], h: number): { line: string; area: string } {
  if (values.length === 0) return { line: '', area: '' };
  const max = Math.max(0, ...values);
  const step = values.length > 1 ? W / (values.length - 1) : 0;
  const pad = 1.5; // keep the stroke inside the box
  const y = (v: number): number => (max > 0 ? pad + (h - 2 * pad) * (1 - v / max) : h - pad);
  const pts = values.map((v, i) => `${(i * step).toFixed(2)},${y(v).toFixed(2)}`);
  if (values.length === 1) pts.push(`${W},${y(values[0]!).toFixed(2)}`);
  const line = `M${pts.join('L')}`;
  return { line, area: `${line}L${W},${h}L0,${h}Z` };
}

export function Sparkline({ series, tz, height = 56 }: { series: SeriesPoint[]; tz: string; height?: number }) {
  const { line, area } = useMemo(() => sparkPaths(series.map((p) => p.costNanoUsd), height), [series, height]);
  const [at, setAt] = useState<number | null>(null);
  const n = series.length;

  const onMove = (e: PointerEvent<SVGSVGElement>) => {
    const r = e.currentTarget.getBoundingClientRect();
    if (n === 0 || r.width === 0) return;
    setAt(Math.max(0, Math.min(n - 1, Math.round(((e.clientX - r.left) / r.width) * (n - 1)))));
  };
  const onKey = (e: KeyboardEvent<SVGSVGElement>) => {
    if (n === 0) return;
    if (e.key === 'ArrowLeft') setAt((i) => Math.max(0, (i ?? n) - 1));
    else if (e.key === 'ArrowRight') setAt((i) => Math.min(n - 1, (i ?? -1) + 1));
  };
  const p = at === null ? undefined : series[at];

  return (
    <div className="sparkline" role="img" aria-label="Spend per hour, last 24 hours" data-testid="sparkline" style={{ height }}>
      <svg
        viewBox={`0 0 ${W} ${height}`}
        preserveAspectRatio="none"
        width="100%"
        height={height}
        tabIndex={0}
        onPointerMove={onMove}
        onPointerLeave={() => setAt(null)}
        onKeyDown={onKey}
        onBlur={() => setAt(null)}
      >
        <path d={area} fill="var(--accent-soft)" stroke="none" />
        <path d={line} fill="none" stroke="var(--accent)" strokeWidth={1.5} vectorEffect="non-scaling-stroke" />
        {at !== null && n > 1 && (
          <line x1={(at * W) / (n - 1)} x2={(at * W) / (n - 1)} y1={0} y2={height} stroke="var(--muted)" strokeWidth={1} vectorEffect="non-scaling-stroke" />
        )}
      </svg>
      {p && (
        <div className="spark-tip" data-testid="sparkline-tip" style={{ left: `${n > 1 ? (100 * at!) / (n - 1) : 0}%` }}>
          {formatBucket(p.t, 'hour', undefined, tz)} · {formatUsd(p.costNanoUsd)}
        </div>
      )}
    </div>
  );
}

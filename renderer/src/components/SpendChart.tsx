/**
 * Spend over time, stacked by model or project (recharts). Sets the `cco:chart-rendered` performance mark
 * once the first chart with data is in the DOM (read by scripts/bench-renderer.ts).
 *
 * The legend is plain HTML below the chart: recharts' <Legend> is measured after the first render and
 * moves the plot area, which re-runs every chart selector and re-renders the chart (≈60 ms of the
 * ≈140 ms the first chart took with 100 k stored requests).
 */
import { memo, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { Bar, BarChart, CartesianGrid, Tooltip, XAxis, YAxis } from 'recharts';
import type { Summary } from '../../../shared/contract.ts';
import { formatBucket, formatUsd, formatUsdAxis, shortModel, shortProject } from '../format.ts';
import { colorAt } from './palette.ts';

export type StackBy = 'model' | 'project';
const MAX_STACKS = 7;

export interface ChartRow {
  label: string;
  [series: string]: number | string;
}

/** Turn summary series into recharts rows (USD numbers), keeping the top keys and folding the rest into "other". */
export function chartRows(s: Summary, by: StackBy): { rows: ChartRow[]; keys: string[] } {
  // Only groups with spend in the range get a stack and a legend entry (free calls, e.g. token counts, do not).
  const groups = (by === 'model' ? s.byModel : s.byProject).filter((g) => g.costNanoUsd > 0);
  const top = groups.slice(0, MAX_STACKS).map((g) => g.key);
  const topSet = new Set(top);
  let other = false;
  const rows = s.series.map((p) => {
    const row: ChartRow = { label: formatBucket(p.t, s.bucket, undefined, s.tz) };
    const src = by === 'model' ? p.byModel : p.byProject;
    for (const k of top) row[k] = 0;
    for (const [k, v] of Object.entries(src)) {
      if (v === 0) continue;
      const key = topSet.has(k) ? k : 'other';
      if (key === 'other') other = true;
      row[key] = ((row[key] as number | undefined) ?? 0) + v / 1e9;
    }
    return row;
  });
  return { rows, keys: other ? [...top, 'other'] : top };
}

interface TooltipEntry {
  dataKey?: unknown;
  value?: unknown;
  color?: string;
}

/**
 * The bucket's total, then its stacks in the order they are drawn, top first (recharts lists the bottom
 * stack first); stacks with nothing in the bucket are left out.
 */
export function tooltipLines(payload: readonly TooltipEntry[]): { total: number; lines: { key: string; usd: number; color?: string }[] } {
  const lines = payload
    .map((p) => ({ key: String(p.dataKey), usd: Number(p.value) || 0, ...(p.color ? { color: p.color } : {}) }))
    .filter((l) => l.usd > 0)
    .reverse();
  return { total: lines.reduce((a, l) => a + l.usd, 0), lines };
}

function StackTooltip({ active, payload, label, name }: { active?: boolean; payload?: readonly TooltipEntry[]; label?: unknown; name: (k: string) => string }) {
  if (!active || !payload || payload.length === 0) return null;
  const { total, lines } = tooltipLines(payload);
  return (
    <div className="chart-tooltip" role="tooltip">
      <div className="chart-tooltip-head">
        <span>{String(label ?? '')}</span>
        <strong>{formatUsd(Math.round(total * 1e9))}</strong>
      </div>
      <ul>
        {lines.map((l) => (
          <li key={l.key}>
            <span className="swatch" style={{ background: l.color }} aria-hidden="true" />
            <span className="name">{name(l.key)}</span>
            <span className="num">{formatUsd(Math.round(l.usd * 1e9))}</span>
          </li>
        ))}
      </ul>
    </div>
  );
}

/**
 * Every how many labels the x axis shows one (0 = all): from an estimate of the label widths (11 px text,
 * ~6.5 px a character, 16 px apart), so recharts need not measure each label in the DOM (its
 * `minTickGap` does, ~18 ms for the first chart).
 */
export function tickInterval(rows: readonly ChartRow[], plotWidth: number): number {
  if (rows.length === 0 || plotWidth <= 0) return 0;
  const widest = Math.max(...rows.map((r) => r.label.length)) * 6.5 + 16;
  return Math.max(0, Math.ceil((rows.length * widest) / plotWidth) - 1);
}

/**
 * Memoised: the dashboard re-renders for many reasons (prices, live state, the table's pages) and every
 * recharts render runs all its selectors; the chart only changes with its summary and grouping.
 */
export const SpendChart = memo(function SpendChart({
  summary,
  by,
  height = 260,
  projectLabel = shortProject,
}: {
  summary: Summary;
  by: StackBy;
  height?: number;
  /** Label of a project key (the dashboard's unique-suffix labeller). */
  projectLabel?: (key: string) => string;
}) {
  const { rows, keys } = useMemo(() => chartRows(summary, by), [summary, by]);
  const ref = useRef<HTMLDivElement>(null);
  const name = (k: string) => (k === 'other' ? 'other' : by === 'model' ? shortModel(k) : projectLabel(k));

  // Measure the width before paint so the first commit already draws the chart (no resize round trip).
  const [width, setWidth] = useState(0);
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    setWidth(el.clientWidth);
    if (typeof ResizeObserver === 'undefined') return;
    const ro = new ResizeObserver(() => setWidth(el.clientWidth));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  useEffect(() => {
    const el = ref.current;
    if (!el || performance.getEntriesByName('cco:chart-rendered').length > 0) return;
    const done = () => {
      if (el.querySelector('svg.recharts-surface')) {
        performance.mark('cco:chart-rendered');
        return true;
      }
      return false;
    };
    if (done()) return;
    const mo = new MutationObserver(() => {
      if (done()) mo.disconnect();
    });
    mo.observe(el, { childList: true, subtree: true });
    return () => mo.disconnect();
  }, [rows]);

  return (
    <>
    <div ref={ref} className="chart" style={{ height }} role="img" aria-label={`Spend over time by ${by}, ${summary.bucket}ly`} data-testid="spend-chart">
      {width > 0 && (
      <BarChart width={width} height={height} data={rows} margin={{ top: 8, right: 8, left: 0, bottom: 0 }}>
        <CartesianGrid strokeDasharray="3 3" vertical={false} stroke="var(--grid)" />
        <XAxis dataKey="label" tick={{ fill: 'var(--muted)', fontSize: 11 }} stroke="var(--grid)" interval={tickInterval(rows, width - 72)} />
        <YAxis
          tick={{ fill: 'var(--muted)', fontSize: 11 }}
          stroke="var(--grid)"
          width={72}
          tickFormatter={(v: number) => formatUsdAxis(Math.round(v * 1e9))}
        />
        <Tooltip content={<StackTooltip name={name} />} cursor={{ fill: 'var(--hover)' }} />
        {keys.map((k, i) => (
          <Bar key={k} dataKey={k} stackId="spend" fill={colorAt(i)} isAnimationActive={false} name={k} />
        ))}
      </BarChart>
      )}
    </div>
    <ul className="chart-legend" aria-label="Legend">
      {keys.map((k, i) => (
        <li key={k} title={k}>
          <span className="swatch" style={{ background: colorAt(i) }} aria-hidden="true" />
          {name(k)}
        </li>
      ))}
    </ul>
    </>
  );
});

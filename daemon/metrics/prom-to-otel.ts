/**
 * The prom-client registry, read at collection time, as OpenTelemetry metric data: the one definition of
 * every CCO metric (daemon/metrics/metrics.ts) feeds both GET /metrics and the OTLP export, so the two can
 * never list different series.
 *
 * Mapping (cumulative temporality; every point starts when the registry was created):
 * - counter → monotonic Sum, same name (`cco_requests_total`, so a collector's Prometheus exporter with
 *   `add_metric_suffixes: false` gives back the very names /metrics has);
 * - gauge → Gauge;
 * - histogram → explicit-bucket Histogram with prom-client's own bucket bounds (its cumulative `le` counts
 *   become per-bucket counts, the last bucket is `+Inf`), sum and count;
 * - summary → skipped (CCO defines none; the SDK's data model has no summary point).
 * Labels become attributes as they are. Only modules that already loaded the OpenTelemetry SDK import this.
 */
import { ValueType, type HrTime } from '@opentelemetry/api';
import { AggregationTemporality, DataPointType, type DataPoint, type Histogram, type MetricData, type ScopeMetrics } from '@opentelemetry/sdk-metrics';
import type { Registry } from 'prom-client';

/** One family as `registry.getMetricsAsJSON()` gives it (histogram values carry `metricName`: `_bucket`, `_sum`, `_count`). */
export type PromFamily = Awaited<ReturnType<Registry['getMetricsAsJSON']>>[number];

/** Milliseconds since the epoch → OpenTelemetry's [seconds, nanoseconds]. */
export function hrTimeOf(ms: number): HrTime {
  const seconds = Math.floor(ms / 1000);
  return [seconds, Math.round((ms - seconds * 1000) * 1e6)];
}

function unitOf(name: string): string {
  if (name.endsWith('_seconds') || name.endsWith('_seconds_total')) return 's';
  if (name.endsWith('_bytes') || name.endsWith('_bytes_total')) return 'By';
  return '';
}

type Labels = Record<string, string | number>;
const attributesOf = (labels: Labels | undefined): Record<string, string> =>
  Object.fromEntries(Object.entries(labels ?? {}).map(([k, v]) => [k, String(v)]));

function histogramPoints(family: PromFamily, startTime: HrTime, endTime: HrTime): DataPoint<Histogram>[] {
  type Series = { attributes: Record<string, string>; buckets: Map<number, number>; sum: number; count: number };
  const series = new Map<string, Series>();
  const suffixOf = (v: PromFamily['values'][number]) => {
    const name = (v as { metricName?: string }).metricName;
    return name ? name.slice(family.name.length) : '';
  };
  for (const v of family.values) {
    const { le, ...rest } = (v.labels ?? {}) as Labels;
    const attributes = attributesOf(rest);
    const key = JSON.stringify(Object.entries(attributes).sort(([a], [b]) => (a < b ? -1 : 1)));
    let s = series.get(key);
    if (!s) series.set(key, (s = { attributes, buckets: new Map(), sum: 0, count: 0 }));
    const suffix = suffixOf(v);
    if (suffix === '_bucket' && le !== undefined && le !== '+Inf') s.buckets.set(Number(le), v.value);
    else if (suffix === '_sum') s.sum = v.value;
    else if (suffix === '_count') s.count = v.value;
  }
  return [...series.values()].map((s) => {
    const boundaries = [...s.buckets.keys()].sort((a, b) => a - b);
    const counts: number[] = [];
    let below = 0;
    for (const b of boundaries) {
      const cumulative = s.buckets.get(b)!;
      counts.push(cumulative - below);
      below = cumulative;
    }
    counts.push(s.count - below); // (last bound, +Inf)
    return { startTime, endTime, attributes: s.attributes, value: { buckets: { boundaries, counts }, sum: s.sum, count: s.count } };
  });
}

function metricOf(family: PromFamily, startTime: HrTime, endTime: HrTime): MetricData | null {
  const descriptor = { name: family.name, description: family.help, unit: unitOf(family.name), valueType: ValueType.DOUBLE };
  const points = () => family.values.map((v) => ({ startTime, endTime, attributes: attributesOf(v.labels as Labels), value: v.value }));
  switch (String(family.type)) {
    case 'counter':
      return { descriptor, aggregationTemporality: AggregationTemporality.CUMULATIVE, dataPointType: DataPointType.SUM, isMonotonic: true, dataPoints: points() };
    case 'gauge':
      return { descriptor, aggregationTemporality: AggregationTemporality.CUMULATIVE, dataPointType: DataPointType.GAUGE, dataPoints: points().map((p) => ({ ...p, startTime: endTime })) };
    case 'histogram':
      return { descriptor, aggregationTemporality: AggregationTemporality.CUMULATIVE, dataPointType: DataPointType.HISTOGRAM, dataPoints: histogramPoints(family, startTime, endTime) };
    default:
      return null;
  }
}

/** The registry's families (`registry.getMetricsAsJSON()`) as one instrumentation scope of OTel metrics. */
export function toScopeMetrics(families: readonly PromFamily[], scope: { name: string; version: string }, startTime: HrTime, endTime: HrTime): ScopeMetrics {
  const metrics: MetricData[] = [];
  for (const f of families) {
    const m = metricOf(f, startTime, endTime);
    if (m && m.dataPoints.length > 0) metrics.push(m);
  }
  return { scope, metrics };
}

/**
 * Everything the OTLP export runs from the OpenTelemetry SDK, in one module that otlp.ts imports lazily. In the
 * release bundle this module is not part of the bundle's code: `build:daemon` bundles it apart and embeds it
 * gzip-compressed (scripts/build-daemon.ts, `otlpChunk`), and it is inflated and compiled only when an endpoint
 * is configured, so a daemon without one keeps neither its source nor its parse in memory (docs/design.md).
 */
export { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
export { OTLPMetricExporter, AggregationTemporalityPreference } from '@opentelemetry/exporter-metrics-otlp-http';
export { resourceFromAttributes } from '@opentelemetry/resources';
export { ExportResultCode } from '@opentelemetry/core';
export { hrTimeOf, toScopeMetrics } from './prom-to-otel.ts';

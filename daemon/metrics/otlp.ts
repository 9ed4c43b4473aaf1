/**
 * Optional OTLP/HTTP export of the /metrics registry to an OpenTelemetry collector (`[metrics] otlp_endpoint`),
 * with the official OpenTelemetry JS SDK: a PeriodicExportingMetricReader whose one MetricProducer reads the
 * prom-client registry at collection time (prom-to-otel.ts), and the OTLP/HTTP JSON exporter, cumulative.
 *
 * - The SDK (otlp-sdk.ts) is loaded here by dynamic import, only when an endpoint is configured: a daemon
 *   without one never evaluates it, and the release bundle carries it compressed (docs/design.md: idle RSS).
 * - The export never touches the proxy: it runs on its own timer (unref'd), a collector that is down, slow or
 *   answers 500 only costs a failed export (logged once, then again when it recovers), and shutdown waits for a
 *   last export at most `SHUTDOWN_EXPORT_MS`.
 * - Nothing is read from OTEL_EXPORTER_OTLP_* variables: the endpoint, headers and timeouts are CCO's own
 *   configuration. Claude Code's own telemetry is configured with those variables, often in the very shell that
 *   starts CCO, and their headers (collector credentials) must not be sent to another endpoint.
 * - What is sent: CCO's metric names, their labels (state, status, model, category, limit, le) and a resource
 *   of service.name, service.version and service.instance.id (host name:port). No token, key or user name.
 */
import os from 'node:os';
import type { PushMetricExporter, ResourceMetrics } from '@opentelemetry/sdk-metrics';
import type { Logger } from '../log.ts';
import type { Metrics } from './metrics.ts';

export interface OtlpOptions {
  /** Collector URL; a bare origin (`http://collector:4318`) gets the standard `/v1/metrics` path. */
  endpoint: string;
  /** Seconds between exports, in ms (default 60 s, the SDK's own default). */
  intervalMs?: number;
  /** Sent with every export (e.g. the collector's authorization). */
  headers?: Record<string, string>;
  /** One export's time limit (default: the interval, at most 10 s). */
  timeoutMs?: number;
}

export interface OtlpStatus {
  endpoint: string;
  /** Exports the collector accepted / refused or could not be reached for, since start. */
  exported: number;
  failed: number;
  lastError: string | null;
}

export interface OtlpExport {
  /** Collects and exports now; resolves when done, whatever the collector said (see status()). */
  flush(): Promise<void>;
  status(): OtlpStatus;
  /** Stops the timer after one last export (bounded by SHUTDOWN_EXPORT_MS). Idempotent. */
  stop(): Promise<void>;
}

export const DEFAULT_INTERVAL_MS = 60_000;
export const SHUTDOWN_EXPORT_MS = 2_000;

/** `http://host:4318` → `http://host:4318/v1/metrics`; a URL with a path is used as it is. */
export function metricsUrl(endpoint: string): string {
  const u = new URL(endpoint);
  if (u.pathname === '/' || u.pathname === '') u.pathname = '/v1/metrics';
  return u.toString();
}

/** The endpoint for messages: no user-info password, no query (either may carry a credential). */
export function displayUrl(endpoint: string): string {
  try {
    const u = new URL(endpoint);
    if (u.password) u.password = '***';
    u.search = '';
    return u.toString();
  } catch {
    return '(invalid URL)';
  }
}

/** Runs `fn` with every OTEL_EXPORTER_OTLP_* variable hidden from the SDK (it reads them while constructing). */
function withoutOtlpEnv<T>(fn: () => T): T {
  const saved = Object.entries(process.env).filter(([k]) => k.startsWith('OTEL_EXPORTER_OTLP_'));
  for (const [k] of saved) delete process.env[k];
  try {
    return fn();
  } finally {
    for (const [k, v] of saved) process.env[k] = v;
  }
}

export async function startOtlpExport(metrics: Pick<Metrics, 'snapshot' | 'startedAt'>, opts: OtlpOptions & { version: string; port: number; log: Logger }): Promise<OtlpExport> {
  const { MeterProvider, PeriodicExportingMetricReader, OTLPMetricExporter, AggregationTemporalityPreference, resourceFromAttributes, ExportResultCode, hrTimeOf, toScopeMetrics } = await import('./otlp-sdk.ts');
  const { log } = opts;
  const url = metricsUrl(opts.endpoint);
  const shown = displayUrl(url);
  const intervalMs = opts.intervalMs ?? DEFAULT_INTERVAL_MS;
  const timeoutMs = opts.timeoutMs ?? Math.min(intervalMs, 10_000);
  const status: OtlpStatus = { endpoint: shown, exported: 0, failed: 0, lastError: null };

  const inner = withoutOtlpEnv(
    () => new OTLPMetricExporter({ url, headers: { ...opts.headers }, timeoutMillis: timeoutMs, temporalityPreference: AggregationTemporalityPreference.CUMULATIVE }),
  );
  // The exporter as the SDK sees it, noting each result: the first failure is a warning, a recovery an info line.
  const exporter: PushMetricExporter = {
    export(data: ResourceMetrics, done) {
      inner.export(data, (result) => {
        if (result.code === ExportResultCode.SUCCESS) {
          status.exported++;
          if (status.lastError !== null) log.info('OTLP metrics export works again', { endpoint: shown });
          status.lastError = null;
        } else {
          status.failed++;
          const error = result.error?.message ?? 'export failed';
          if (status.lastError === null) log.warn('OTLP metrics export failed; the proxy is not affected, exports go on', { endpoint: shown, error });
          else log.debug('OTLP metrics export failed', { endpoint: shown, error });
          status.lastError = error;
        }
        done(result);
      });
    },
    forceFlush: () => inner.forceFlush(),
    shutdown: () => inner.shutdown(),
    selectAggregationTemporality: (t) => inner.selectAggregationTemporality(t),
    selectAggregation: (t) => inner.selectAggregation(t),
  };
  const scope = { name: 'cco', version: opts.version };
  const startTime = hrTimeOf(metrics.startedAt);
  const reader = new PeriodicExportingMetricReader({
    exporter,
    exportIntervalMillis: intervalMs,
    exportTimeoutMillis: Math.min(timeoutMs, intervalMs),
    metricProducers: [
      {
        async collect() {
          const families = await metrics.snapshot();
          // the SDK keeps the MeterProvider's resource when it merges producers; this one is not used
          return { resourceMetrics: { resource: resourceFromAttributes({}), scopeMetrics: [toScopeMetrics(families, scope, startTime, hrTimeOf(Date.now()))] }, errors: [] };
        },
      },
    ],
  });
  const provider = new MeterProvider({
    resource: resourceFromAttributes({ 'service.name': 'cco', 'service.version': opts.version, 'service.instance.id': `${os.hostname()}:${opts.port}` }),
    readers: [reader],
  });
  log.info('OTLP metrics export started', { endpoint: shown, intervalSeconds: intervalMs / 1000 });

  let stopping: Promise<void> | null = null;
  return {
    async flush() {
      await reader.forceFlush().catch(() => undefined);
    },
    status: () => ({ ...status }),
    stop: () =>
      (stopping ??= (async () => {
        let timer: NodeJS.Timeout | undefined;
        const limit = new Promise<void>((resolve) => (timer = setTimeout(resolve, SHUTDOWN_EXPORT_MS).unref()));
        await Promise.race([provider.shutdown({ timeoutMillis: SHUTDOWN_EXPORT_MS }).catch(() => undefined), limit]);
        clearTimeout(timer);
      })()),
  };
}

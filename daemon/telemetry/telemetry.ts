/**
 * Opt-in telemetry (seed §7.3): off unless `telemetry.enabled = true`. Only counters are kept and sent —
 * version, platform/arch, uptime, request and error counts, cache hit rate — never content, paths,
 * projects, models, keys or tokens. One JSON POST to the configured endpoint every interval and at stop;
 * a failed send is dropped (counters keep accumulating from start, so the next report still holds them).
 */
import { randomUUID } from 'node:crypto';
import type { RequestRecord } from '../../shared/contract.ts';

export interface TelemetryReport {
  schema: 1;
  /** Random per daemon start; not tied to a user or machine. */
  instance: string;
  version: string;
  platform: string;
  arch: string;
  uptime_s: number;
  requests: number;
  errors: number;
  cache_hits: number;
  cache_hit_rate: number;
}

export interface TelemetryOptions {
  enabled: boolean;
  endpoint: string;
  intervalMs: number;
  version: string;
  /** Where send failures go (no payload in them). */
  onError?: (message: string) => void;
}

export interface Telemetry {
  readonly enabled: boolean;
  /** Counts one finished request (cheap; no-op when disabled). */
  record(record: Pick<RequestRecord, 'state' | 'cacheHit'>): void;
  report(): TelemetryReport;
  /** Sends one report now; resolves true on a 2xx. */
  send(): Promise<boolean>;
  start(): void;
  /** Stops the timer and sends a last report (when enabled). */
  stop(): Promise<void>;
}

export function createTelemetry(opts: TelemetryOptions): Telemetry {
  const startedAt = performance.now(); // monotonic: uptime is an interval
  const instance = randomUUID();
  let requests = 0;
  let errors = 0;
  let cacheHits = 0;
  let timer: NodeJS.Timeout | null = null;
  let stopped = false;

  const report = (): TelemetryReport => ({
    schema: 1,
    instance,
    version: opts.version,
    platform: process.platform,
    arch: process.arch,
    uptime_s: Math.round((performance.now() - startedAt) / 1000),
    requests,
    errors,
    cache_hits: cacheHits,
    cache_hit_rate: requests ? Math.round((cacheHits / requests) * 1000) / 1000 : 0,
  });

  const send = async (): Promise<boolean> => {
    if (!opts.enabled) return false;
    try {
      const res = await fetch(opts.endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': `cco/${opts.version}` },
        body: JSON.stringify(report()),
        signal: AbortSignal.timeout(5000),
      });
      await res.arrayBuffer();
      if (!res.ok) opts.onError?.(`telemetry endpoint answered ${res.status}`);
      return res.ok;
    } catch (err) {
      opts.onError?.(`telemetry send failed: ${(err as Error).message}`);
      return false;
    }
  };

  return {
    enabled: opts.enabled,
    record(r) {
      if (!opts.enabled) return;
      requests++;
      if (r.state !== 'complete') errors++;
      if (r.cacheHit) cacheHits++;
    },
    report,
    send,
    start() {
      if (!opts.enabled || timer || stopped) return;
      timer = setInterval(() => void send(), opts.intervalMs);
      timer.unref();
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      if (timer) clearInterval(timer);
      timer = null;
      if (opts.enabled) await send();
    },
  };
}

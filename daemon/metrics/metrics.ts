/**
 * `GET /metrics`: Prometheus text format through prom-client (the standard Node client). Counters are fed
 * by every finished record (`observe`), store figures are read at scrape time, and plan-limit utilization
 * is pushed through a hook (`setLimitUtilization`) by whoever knows the limits.
 *
 * Names (all prefixed `cco_`): requests_total{state,status,model}, tokens_total{category,model},
 * cost_usd_total{model}, unpriced_requests_total{model}, proxy_added_latency_seconds (histogram: from the
 * client's request to CCO issuing it upstream), upstream_latency_seconds (histogram: upstream time to first
 * byte), request_duration_seconds (histogram), store_dropped_writes_total, store_queue_depth (PostgreSQL
 * outbox: records not yet committed), store_journal_bytes, plan_limit_utilization{limit} (0..1), and the
 * process metrics of prom-client's collectDefaultMetrics (prefix cco_).
 */
import client from 'prom-client';
import type { RequestRecord, TeamStatus } from '../../shared/contract.ts';
import type { Store } from '../store/index.ts';

export interface Metrics {
  /** Counts one finished request; `proxyAddedMs` is CCO's own time before the request left for the upstream. */
  observe(record: RequestRecord, proxyAddedMs?: number | null): void;
  /** Plan-limit utilization (0..1) of a named limit; null removes it (limit unknown). */
  setLimitUtilization(limit: string, ratio: number | null): void;
  render(): Promise<string>;
  readonly contentType: string;
  /** The same registry as data (collect callbacks run, as for a scrape): what the OTLP export sends (otlp.ts). */
  snapshot(): ReturnType<client.Registry['getMetricsAsJSON']>;
  /** When the counters started (ms since the epoch): the start time of every cumulative point. */
  readonly startedAt: number;
}

const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];
const UPSTREAM_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60];
const DURATION_BUCKETS = [0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600];

const TOKEN_CATEGORIES = [
  ['input', (r: RequestRecord) => r.tokens.input],
  ['cache_write_5m', (r: RequestRecord) => r.tokens.cacheWrite5m],
  ['cache_write_1h', (r: RequestRecord) => r.tokens.cacheWrite1h],
  ['cache_read', (r: RequestRecord) => r.tokens.cacheRead],
  ['output', (r: RequestRecord) => r.tokens.output],
] as const;

/** Counter increments not yet handed to prom-client, per label set (bounded by the labels' cardinality, as prom-client's own map). */
class Tally {
  private readonly pending = new Map<string, { labels: Record<string, string>; value: number; handed: boolean }>();
  add(key: string, labels: () => Record<string, string>, value: number): void {
    const p = this.pending.get(key);
    if (p) p.value += value;
    else this.pending.set(key, { labels: labels(), value, handed: false });
  }
  flush(counter: client.Counter<string>): void {
    for (const p of this.pending.values()) {
      // a label set's first increment is handed over even when 0 (prom-client then shows the series at 0, as before)
      if (p.value > 0 || !p.handed) counter.inc(p.labels, p.value);
      p.value = 0;
      p.handed = true;
    }
  }
}

/** Histogram values not yet observed by prom-client (at most FLUSH_EVERY). */
const FLUSH_EVERY = 256;
class Pending {
  private values: number[] = [];
  push(h: client.Histogram, value: number): void {
    this.values.push(value);
    if (this.values.length >= FLUSH_EVERY) this.flush(h);
  }
  flush(h: client.Histogram): void {
    const values = this.values;
    this.values = [];
    for (const v of values) h.observe(v);
  }
}

export function createMetrics(opts: {
  store: () => Store | null;
  defaultMetrics?: boolean;
  /** Federated team mode's shipping state (daemon/team/shipper.ts); absent = off, its series are not exported. */
  team?: () => TeamStatus;
}): Metrics {
  const startedAt = Date.now();
  const registry = new client.Registry();
  if (opts.defaultMetrics ?? true) client.collectDefaultMetrics({ register: registry, prefix: 'cco_' });
  const reg = [registry];
  // The per-request counters and histograms are tallied here (a Map lookup per labelled counter) and handed
  // to prom-client when the registry is read (each metric's `collect`), or every FLUSH_EVERY values: prom-client
  // builds and checks a label key on every inc/observe, which was a measurable share of a request's bookkeeping.
  const requestsTally = new Tally();
  const tokensTally = new Tally();
  const costTally = new Tally();
  const unpricedTally = new Tally();
  const requests: client.Counter<string> = new client.Counter({ name: 'cco_requests_total', help: 'Proxied requests by final state, upstream HTTP status and model', labelNames: ['state', 'status', 'model'], registers: reg, collect: () => requestsTally.flush(requests) });
  const tokens: client.Counter<string> = new client.Counter({ name: 'cco_tokens_total', help: 'Tokens by billing category and model', labelNames: ['category', 'model'], registers: reg, collect: () => tokensTally.flush(tokens) });
  const cost: client.Counter<string> = new client.Counter({ name: 'cco_cost_usd_total', help: 'Cost of priced requests in US dollars, by model', labelNames: ['model'], registers: reg, collect: () => costTally.flush(cost) });
  const unpriced: client.Counter<string> = new client.Counter({ name: 'cco_unpriced_requests_total', help: 'Billable requests that could not be priced, by model', labelNames: ['model'], registers: reg, collect: () => unpricedTally.flush(unpriced) });
  const addedValues = new Pending();
  const upstreamValues = new Pending();
  const durationValues = new Pending();
  const added: client.Histogram = new client.Histogram({ name: 'cco_proxy_added_latency_seconds', help: 'Time CCO spent on a request before issuing it to the upstream', buckets: LATENCY_BUCKETS, registers: reg, collect: () => addedValues.flush(added) });
  const upstream: client.Histogram = new client.Histogram({ name: 'cco_upstream_latency_seconds', help: 'Upstream time to first response byte', buckets: UPSTREAM_BUCKETS, registers: reg, collect: () => upstreamValues.flush(upstream) });
  const duration: client.Histogram = new client.Histogram({ name: 'cco_request_duration_seconds', help: 'Whole request duration as the client saw it', buckets: DURATION_BUCKETS, registers: reg, collect: () => durationValues.flush(duration) });
  const limits = new client.Gauge({ name: 'cco_plan_limit_utilization', help: 'Plan-limit utilization (0..1), when known', labelNames: ['limit'], registers: reg });

  // Read at scrape time from the store.
  type StoreFigures = { dropped: number; queue: number | null; journal: number };
  let last: StoreFigures | null = null;
  const readStore = async (): Promise<StoreFigures | null> => {
    const store = opts.store();
    if (!store) return null;
    try {
      const s = (await store.stats()) as Awaited<ReturnType<Store['stats']>> & { outboxWaiting?: number };
      last = { dropped: s.droppedWrites, queue: s.outboxWaiting ?? null, journal: s.journalBytes };
    } catch {
      // the database is unreachable: keep the last figures (the queue depth is still known locally)
      const w = (store as { outbox?: { waiting(): number } }).outbox?.waiting();
      if (last && w !== undefined) last = { ...last, queue: w };
    }
    return last;
  };
  let pendingRead: Promise<StoreFigures | null> | null = null;
  const storeFigures = () => (pendingRead ??= readStore().finally(() => setImmediate(() => (pendingRead = null))));
  new client.Counter({
    name: 'cco_store_dropped_writes_total',
    help: 'Records the store could not take (journal write failed, or refused by the database)',
    registers: reg,
    async collect() {
      const f = await storeFigures();
      this.reset();
      if (f) this.inc(f.dropped);
    },
  });
  new client.Gauge({
    name: 'cco_store_queue_depth',
    help: 'Records waiting in the PostgreSQL outbox (0 with the embedded store: records are applied as they come)',
    registers: reg,
    async collect() {
      const f = await storeFigures();
      this.set(f?.queue ?? 0);
    },
  });
  new client.Gauge({
    name: 'cco_store_journal_bytes',
    help: 'Bytes of journal (embedded store) or outbox (PostgreSQL store) segments on disk',
    registers: reg,
    async collect() {
      const f = await storeFigures();
      this.set(f?.journal ?? 0);
    },
  });

  const team = opts.team;
  if (team) {
    new client.Gauge({
      name: 'cco_team_outbox_waiting',
      help: 'Federated mode: records on disk not yet committed in the team PostgreSQL',
      registers: reg,
      collect() {
        this.set(team().waiting);
      },
    });
    new client.Gauge({
      name: 'cco_team_up',
      help: 'Federated mode: 1 while the team PostgreSQL takes records, 0 while shipping fails',
      registers: reg,
      collect() {
        this.set(team().lastError === null ? 1 : 0);
      },
    });
    new client.Counter({
      name: 'cco_team_shipped_records_total',
      help: 'Federated mode: records committed in the team PostgreSQL by this run (re-sent duplicates not counted)',
      registers: reg,
      collect() {
        this.reset();
        this.inc(team().shipped);
      },
    });
  }

  return {
    contentType: registry.contentType,
    observe(r, proxyAddedMs) {
      const model = r.model ?? r.modelRequested ?? '(none)';
      const status = r.status === null ? 'none' : String(r.status);
      requestsTally.add(`${r.state}\0${status}\0${model}`, () => ({ state: r.state, status, model }), 1);
      for (const [category, get] of TOKEN_CATEGORIES) {
        const n = get(r);
        if (n > 0) tokensTally.add(`${category}\0${model}`, () => ({ category, model }), n);
      }
      if (r.costNanoUsd !== null) costTally.add(model, () => ({ model }), r.costNanoUsd / 1e9);
      else if (r.billable) unpricedTally.add(model, () => ({ model }), 1);
      if (proxyAddedMs !== undefined && proxyAddedMs !== null) addedValues.push(added, proxyAddedMs / 1000);
      if (r.ttfbMs !== null) upstreamValues.push(upstream, r.ttfbMs / 1000);
      durationValues.push(duration, r.durationMs / 1000);
    },
    setLimitUtilization(limit, ratio) {
      if (ratio === null || !Number.isFinite(ratio)) limits.remove({ limit });
      else limits.set({ limit }, ratio);
    },
    render: () => registry.metrics(),
    snapshot: () => registry.getMetricsAsJSON(),
    startedAt,
  };
}

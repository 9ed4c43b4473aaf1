/**
 * OTLP/HTTP export of the /metrics registry, with real parts: a real daemon on a real port (hostDaemon, so
 * config.toml's [metrics] keys are what turn it on), the fake upstream, the official SDK as client, and a real
 * OTLP/HTTP receiver (test/otlp-receiver.ts) that decodes what the OpenTelemetry exporter sends. What it
 * received must equal what GET /metrics says (read with a Prometheus text-format parser) for the same series.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Anthropic from '@anthropic-ai/sdk';
import parsePrometheusTextFormat, { type PromFamily } from 'parse-prometheus-text-format';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startDaemon, type RunningDaemon } from '../index.ts';
import { hostDaemon, type HostedDaemon } from '../host.ts';
import { silentLogger, type Logger } from '../log.ts';
import { configCommand } from '../cli/config-cmd.ts';
import { ConfigError, loadConfig } from '../config/load.ts';
import { startFakeUpstream, type FakeUpstream } from '../../test/fake-upstream/server.ts';
import { attrs, metricsByName, startOtlpReceiver, type OtlpMetric, type OtlpReceiver, type ReceivedExport } from '../../test/otlp-receiver.ts';
import type { RequestPage } from '../../shared/contract.ts';

const CUMULATIVE = 2; // AggregationTemporality in the OTLP protocol
const dirs: string[] = [];
const tmp = (p = 'cco-otlp-') => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), p));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

function home(config: string): NodeJS.ProcessEnv {
  const root = tmp('cco-otlp-home-');
  fs.mkdirSync(path.join(root, 'config'));
  fs.writeFileSync(path.join(root, 'config', 'config.toml'), config);
  return { HOME: root, CCO_DATA_DIR: path.join(root, 'data'), CCO_CONFIG_DIR: path.join(root, 'config'), CCO_CREDENTIALS_BACKEND: 'file', CCO_HISTORY: 'off' };
}

async function scrape(d: RunningDaemon): Promise<PromFamily[]> {
  const res = await fetch(`${d.url}/metrics`, { headers: { authorization: `Bearer ${d.token}` } });
  expect(res.status).toBe(200);
  return parsePrometheusTextFormat(await res.text());
}

async function traffic(d: RunningDaemon, apiKey: string) {
  const sdk = new Anthropic({ apiKey, baseURL: d.url, maxRetries: 0 });
  await sdk.messages.create({ model: 'claude-haiku-4-5', max_tokens: 32, messages: [{ role: 'user', content: 'a' }] });
  await sdk.messages.stream({ model: 'claude-sonnet-4-6', max_tokens: 32, messages: [{ role: 'user', content: 'b' }] }).finalMessage();
  await d.store.flush();
}

const last = (r: OtlpReceiver): ReceivedExport => r.received[r.received.length - 1]!;
const sorted = (a: Record<string, string>) => Object.fromEntries(Object.entries(a).sort());

/** Every sample /metrics has for `family`, found with the same value in the OTLP metric of the same name. */
function expectSameSeries(family: PromFamily, m: OtlpMetric | undefined) {
  const name = family.name;
  expect(m, name).toBeDefined();
  for (const s of family.metrics) {
    const match = (p: { attributes?: Parameters<typeof attrs>[0] }) => JSON.stringify(sorted(attrs(p.attributes))) === JSON.stringify(sorted(s.labels ?? {}));
    if (family.type === 'COUNTER') {
      expect(m!.sum?.aggregationTemporality, name).toBe(CUMULATIVE);
      expect(m!.sum?.isMonotonic, name).toBe(true);
      const p = m!.sum!.dataPoints.find(match);
      expect(p, `${name} ${JSON.stringify(s.labels)}`).toBeDefined();
      expect(p!.asDouble, `${name} ${JSON.stringify(s.labels)}`).toBeCloseTo(Number(s.value), 12);
    } else if (family.type === 'GAUGE') {
      const p = m!.gauge!.dataPoints.find(match);
      expect(p?.asDouble, `${name} ${JSON.stringify(s.labels)}`).toBeCloseTo(Number(s.value), 12);
    } else if (family.type === 'HISTOGRAM') {
      expect(m!.histogram?.aggregationTemporality, name).toBe(CUMULATIVE);
      const p = m!.histogram!.dataPoints.find(match)!;
      expect(p, name).toBeDefined();
      const bounds = Object.keys(s.buckets!).filter((b) => b !== '+Inf').map(Number).sort((a, b) => a - b);
      expect(p.explicitBounds, name).toEqual(bounds);
      // Prometheus buckets are cumulative (le); OTLP's are per bucket, the last one above the last bound
      const cumulative = [...bounds.map((b) => Number(Object.entries(s.buckets!).find(([k]) => k !== '+Inf' && Number(k) === b)![1])), Number(s.buckets!['+Inf'])];
      const perBucket = cumulative.map((c, i) => c - (i === 0 ? 0 : cumulative[i - 1]!));
      expect(p.bucketCounts.map(Number), name).toEqual(perBucket);
      expect(Number(p.count), name).toBe(Number(s.count));
      expect(p.sum, name).toBeCloseTo(Number(s.sum), 9);
    }
  }
}

describe('OTLP/HTTP export: the same metrics as GET /metrics', () => {
  let fake: FakeUpstream;
  let receiver: OtlpReceiver;
  let hosted: HostedDaemon;
  const otelEnvBefore = process.env.OTEL_EXPORTER_OTLP_HEADERS;

  beforeAll(async () => {
    fake = await startFakeUpstream({ seed: 19 });
    receiver = await startOtlpReceiver();
    // what Claude Code's own telemetry uses: must not reach CCO's collector
    process.env.OTEL_EXPORTER_OTLP_HEADERS = 'x-claude-collector-key=must-not-leak';
    const env = home(
      `[server]\nport = 0\nupstream_url = "${fake.url}"\n[metrics]\notlp_endpoint = "${receiver.url}"\notlp_interval_seconds = 3600\notlp_headers = "authorization=Bearer collector-secret-19,x-team=core"\n`,
    );
    hosted = await hostDaemon({ env, history: false });
  });
  afterAll(async () => {
    await hosted?.close();
    await receiver?.close();
    await fake?.close();
    if (otelEnvBefore === undefined) delete process.env.OTEL_EXPORTER_OTLP_HEADERS;
    else process.env.OTEL_EXPORTER_OTLP_HEADERS = otelEnvBefore;
  });

  it('cumulative sums, gauges and histograms (with their buckets) equal /metrics, series by series', async () => {
    const d = hosted.daemon;
    expect(d.otlp).not.toBeNull();
    await traffic(d, 'sk-ant-api03-otlp-key');
    const before = await scrape(d);
    await d.otlp!.flush();
    const families = await scrape(d);
    expect(receiver.received).toHaveLength(1);
    const sent = last(receiver);
    expect(sent.path).toBe('/v1/metrics');
    expect(sent.headers['content-type']).toMatch(/application\/json/);
    const got = metricsByName(sent);

    // one definition: the same families (every one with a sample), nothing more, nothing less. A process
    // family can get its first sample between the export and a scrape (a garbage collection gives
    // cco_nodejs_gc_duration_seconds its first one), so the export lies between a scrape before and one after.
    const sampled = (list: PromFamily[]): string[] => list.filter((f) => f.metrics.length > 0).map((f) => f.name).sort();
    const exported = [...got.keys()].sort();
    expect(exported).toEqual(expect.arrayContaining(sampled(before)));
    expect(sampled(families)).toEqual(expect.arrayContaining(exported));
    expect(sampled(families).filter((n) => !exported.includes(n)).filter((n) => !/^cco_(process|nodejs)_/.test(n))).toEqual([]);
    // process metrics move between two reads; CCO's own are still once traffic has stopped
    const own = families.filter((f) => f.metrics.length > 0 && !/^cco_(process|nodejs)_/.test(f.name));
    expect(own.map((f) => f.name)).toEqual(expect.arrayContaining(['cco_requests_total', 'cco_tokens_total', 'cco_cost_usd_total', 'cco_proxy_added_latency_seconds', 'cco_upstream_latency_seconds', 'cco_request_duration_seconds', 'cco_store_queue_depth']));
    for (const f of own) expectSameSeries(f, got.get(f.name));

    const requests = got.get('cco_requests_total')!.sum!.dataPoints;
    expect(requests.reduce((a, p) => a + p.asDouble!, 0)).toBe(2);
    const resource = attrs(sent.body.resourceMetrics[0]!.resource?.attributes);
    expect(resource).toMatchObject({ 'service.name': 'cco', 'service.instance.id': `${os.hostname()}:${d.port}` });
    expect(sent.body.resourceMetrics[0]!.scopeMetrics.map((s) => s.scope?.name)).toEqual(['cco']);
  });

  it('sends the configured headers, and no token, key or OTEL_EXPORTER_OTLP_* header', async () => {
    const sent = last(receiver);
    expect(sent.headers.authorization).toBe('Bearer collector-secret-19');
    expect(sent.headers['x-team']).toBe('core');
    expect(sent.headers['x-claude-collector-key']).toBeUndefined();
    for (const secret of [hosted.daemon.token, 'sk-ant-api03-otlp-key', 'collector-secret-19', 'must-not-leak']) expect(sent.raw).not.toContain(secret);
    expect(fs.readFileSync(hosted.log.file, 'utf8')).not.toContain('collector-secret-19');
    // `cco config show` names the header, never its value
    let shown = '';
    configCommand(['show'], { out: (t) => (shown += t), err: () => {}, env: { ...process.env, CCO_CONFIG_DIR: hosted.loaded.dirs.configDir, CCO_DATA_DIR: hosted.loaded.dirs.dataDir } });
    expect(shown).toContain('otlp_headers = "authorization=***,x-team=***"');
    expect(shown).not.toContain('collector-secret-19');
  });

  it('is cumulative: a later export carries the totals since start, from the same start time', async () => {
    const d = hosted.daemon;
    const first = metricsByName(last(receiver)).get('cco_requests_total')!.sum!.dataPoints;
    await traffic(d, 'sk-ant-api03-otlp-key');
    await d.otlp!.flush();
    const second = metricsByName(last(receiver)).get('cco_requests_total')!.sum!.dataPoints;
    expect(second.reduce((a, p) => a + p.asDouble!, 0)).toBe(4);
    for (const p of first) {
      const q = second.find((x) => JSON.stringify(attrs(x.attributes)) === JSON.stringify(attrs(p.attributes)))!;
      expect(q.asDouble).toBe(p.asDouble! * 2);
      expect(String(q.startTimeUnixNano)).toBe(String(p.startTimeUnixNano));
      expect(BigInt(q.timeUnixNano)).toBeGreaterThan(BigInt(p.timeUnixNano));
    }
    const hist = metricsByName(last(receiver)).get('cco_request_duration_seconds')!.histogram!.dataPoints[0]!;
    expect(Number(hist.count)).toBe(4);
    expect(hist.bucketCounts.map(Number).reduce((a, b) => a + b, 0)).toBe(4);
    expect(d.otlp!.status()).toMatchObject({ exported: 2, failed: 0, lastError: null });
  });
});

describe('OTLP/HTTP export: a broken collector never disturbs the proxy', () => {
  let fake: FakeUpstream;
  let daemon: RunningDaemon | null = null;
  afterEach(async () => {
    await daemon?.close();
    daemon = null;
  });
  beforeAll(async () => {
    fake = await startFakeUpstream({ seed: 20 });
  });
  afterAll(async () => {
    await fake?.close();
  });

  it('answers 500, is down, hangs: requests are forwarded and recorded; the next good export has every count', async () => {
    const receiver = await startOtlpReceiver();
    const warnings: string[] = [];
    const log: Logger = { ...silentLogger, warn: (m: string) => warnings.push(m) };
    daemon = await startDaemon({ port: 0, upstreamUrl: fake.url, dataDir: tmp(), log, apiKey: '', pidDir: false, otlp: { endpoint: `${receiver.url}/v1/metrics`, intervalMs: 3_600_000, timeoutMs: 1_000 } });
    const d = daemon;

    receiver.mode = 'error500';
    await traffic(d, 'sk-ant-api03-down');
    await d.otlp!.flush();
    expect(receiver.received.length).toBeGreaterThan(0);
    expect(d.otlp!.status()).toMatchObject({ exported: 0, failed: 1 });
    expect(d.otlp!.status().lastError).not.toBeNull();

    receiver.mode = 'hang';
    await traffic(d, 'sk-ant-api03-down');
    await d.otlp!.flush(); // bounded by the export timeout
    await receiver.close(); // down: connection refused from now on
    await traffic(d, 'sk-ant-api03-down');
    await d.otlp!.flush();
    expect(d.otlp!.status().failed).toBeGreaterThanOrEqual(3);
    expect(d.otlp!.status().exported).toBe(0);
    // one warning for the whole outage, not one per export
    expect(warnings.filter((w) => w.startsWith('OTLP metrics export failed'))).toHaveLength(1);

    // every request was forwarded and recorded all along
    const page = (await (await fetch(`${d.url}/api/requests`, { headers: { authorization: `Bearer ${d.token}` } })).json()) as RequestPage;
    expect(page.items.filter((r) => r.state === 'complete')).toHaveLength(6);
    const total = (await scrape(d)).find((f) => f.name === 'cco_requests_total')!.metrics.reduce((a, s) => a + Number(s.value), 0);
    expect(total).toBe(6);

    // the collector is back (same port): the next export carries all six, cumulative
    const back = await startOtlpReceiver(receiver.port);
    try {
      await d.otlp!.flush();
      const sent = metricsByName(last(back)).get('cco_requests_total')!.sum!.dataPoints;
      expect(sent.reduce((a, p) => a + p.asDouble!, 0)).toBe(6);
      expect(d.otlp!.status()).toMatchObject({ exported: 1, lastError: null });
    } finally {
      await daemon.close();
      daemon = null;
      await back.close();
    }
  });

  it('an endpoint that is not an http(s) URL stops the start with one plain message', async () => {
    const err = await startDaemon({ port: 0, upstreamUrl: fake.url, dataDir: tmp(), log: silentLogger, apiKey: '', pidDir: false, otlp: { endpoint: 'collector:4318' } }).catch((e: unknown) => e);
    expect((err as Error).message).toBe('Invalid OTLP endpoint ([metrics] otlp_endpoint / CCO_OTLP_ENDPOINT): use http(s)://host[:port][/path]');
  });
});

describe('[metrics] otlp_* configuration', () => {
  const load = (toml: string, env: NodeJS.ProcessEnv = {}) => {
    const e = home(toml);
    return loadConfig({ env: { ...e, ...env } });
  };
  const message = (f: () => unknown) => {
    try {
      f();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      return (err as Error).message;
    }
    throw new Error('no error');
  };

  it('is off by default; the file and CCO_OTLP_* turn it on', () => {
    expect(load('').config.metrics).toEqual({ open: false, otlp_endpoint: '', otlp_interval_seconds: 60, otlp_headers: '' });
    const c = load('[metrics]\notlp_endpoint = "http://collector:4318"\n', { CCO_OTLP_INTERVAL_SECONDS: '15', CCO_OTLP_HEADERS: 'authorization=Bearer%20x' }).config.metrics;
    expect(c).toMatchObject({ otlp_endpoint: 'http://collector:4318', otlp_interval_seconds: 15, otlp_headers: 'authorization=Bearer%20x' });
    expect(load('', { CCO_OTLP_ENDPOINT: 'https://otel.example.test/v1/metrics' }).config.metrics.otlp_endpoint).toBe('https://otel.example.test/v1/metrics');
    // the standard OTel variable does not turn CCO's export on (Claude Code's telemetry uses it)
    expect(load('', { OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: 'http://claude-collector:4318' }).config.metrics.otlp_endpoint).toBe('');
  });

  it('bad values give one plain message naming the file or variable, the key and what is allowed', () => {
    expect(message(() => load('[metrics]\notlp_endpoint = "collector:4318"\n'))).toMatch(/config\.toml: \[metrics\] otlp_endpoint = "collector:4318" is not allowed; expected an http\(s\) URL or ""$/);
    expect(message(() => load('[metrics]\notlp_interval_seconds = 0\n'))).toMatch(/\[metrics\] otlp_interval_seconds = 0 is not allowed; expected an integer from 1 to 86400$/);
    expect(message(() => load('[metrics]\notlp_headers = "authorization"\n'))).toMatch(/\[metrics\] otlp_headers = "authorization" is not allowed; expected comma-separated name=value pairs/);
    expect(message(() => load('[metrics]\notlp_headers = "bad name=1"\n'))).toMatch(/otlp_headers/);
    expect(message(() => load('', { CCO_OTLP_ENDPOINT: 'ftp://collector' }))).toBe('CCO_OTLP_ENDPOINT: "ftp://collector" is not allowed for metrics.otlp_endpoint; expected an http(s) URL or ""');
  });
});

describe('the OpenTelemetry SDK is loaded only when an endpoint is configured', () => {
  const CHILD = fileURLToPath(new URL('./otlp-lazy-child.ts', import.meta.url));
  const run = (withEndpoint: boolean) =>
    new Promise<{ sdk: number; exporter: number }>((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', CHILD, tmp(), withEndpoint ? 'http://127.0.0.1:9/v1/metrics' : ''], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      child.stdout.on('data', (c: Buffer) => (out += c.toString()));
      child.on('error', reject);
      child.on('exit', () => {
        try {
          resolve(JSON.parse(out) as { sdk: number; exporter: number });
        } catch {
          reject(new Error(`child said: ${out}`));
        }
      });
    });

  it('not loaded without [metrics] otlp_endpoint, loaded with it', async () => {
    expect(await run(false)).toEqual({ sdk: 0, exporter: 0 });
    const loaded = await run(true);
    expect(loaded.sdk).toBeGreaterThan(0);
    expect(loaded.exporter).toBeGreaterThan(0);
  }, 120_000);
});

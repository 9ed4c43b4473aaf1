/**
 * packaging/team (compose.yaml, otel-collector.yaml, prometheus.yml, Grafana provisioning and dashboard) parsed
 * with real parsers and checked against the real daemon: every series a dashboard query names is one a real
 * daemon's GET /metrics exposes (read with a Prometheus text-format parser) and one its OTLP export sends (read
 * by a real OTLP/HTTP receiver), and the files the stack mounts exist. No Docker engine runs here: the stack
 * itself is not started.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Anthropic from '@anthropic-ai/sdk';
import yaml from 'js-yaml';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDaemon, type RunningDaemon } from '../daemon/index.ts';
import { silentLogger } from '../daemon/log.ts';
import { loadConfig } from '../daemon/config/load.ts';
import { startFakeUpstream, type FakeUpstream } from '../test/fake-upstream/server.ts';
import { metricsByName, startOtlpReceiver, type OtlpReceiver } from '../test/otlp-receiver.ts';

const dir = fileURLToPath(new URL('../packaging/team/', import.meta.url));
const read = (p: string) => fs.readFileSync(path.join(dir, p), 'utf8');

interface Compose {
  services: Record<string, { image?: string; environment?: Record<string, string>; volumes?: string[]; command?: string[]; depends_on?: unknown; user?: string; expose?: string[] }>;
  volumes: Record<string, unknown>;
}
interface Panel {
  title: string;
  datasource: { uid: string };
  targets: { expr: string }[];
}

describe('packaging/team: the compose stack', () => {
  const compose = yaml.load(read('compose.yaml')) as Compose;

  it('has PostgreSQL, a central CCO on it, an OpenTelemetry collector, Prometheus and Grafana; every bind mount exists', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['cco', 'grafana', 'otel-collector', 'postgres', 'prometheus']);
    const cco = compose.services.cco!;
    const pgEnv = compose.services.postgres!.environment!;
    expect(cco.environment!.CCO_DATABASE_URL).toBe(`postgres://${pgEnv.POSTGRES_USER}:${pgEnv.POSTGRES_PASSWORD}@postgres:5432/${pgEnv.POSTGRES_DB}`);
    expect(cco.command).toEqual(['node', '/opt/cco/cco-daemon.cjs', 'run', '--host', '0.0.0.0', '--port', '3000', '--no-browser']);
    for (const [name, svc] of Object.entries(compose.services)) {
      for (const v of svc.volumes ?? []) {
        const [src] = v.split(':');
        if (src!.startsWith('.')) {
          // ../../dist is built by `npm run build:daemon`; the rest ships with the repo
          if (!src!.endsWith('dist')) expect(fs.existsSync(path.join(dir, src!)), `${name}: ${src}`).toBe(true);
        } else expect(compose.volumes, `${name}: named volume ${src}`).toHaveProperty(src!);
      }
    }
  });

  it('CCO pushes OTLP/HTTP to the collector, which exposes it to Prometheus with the names unchanged', () => {
    interface Collector {
      receivers: { otlp: { protocols: { http: { endpoint: string } } } };
      exporters: { prometheus: { endpoint: string; add_metric_suffixes: boolean } };
      service: { pipelines: { metrics: { receivers: string[]; processors?: string[]; exporters: string[] } } };
      processors?: Record<string, unknown>;
    }
    const collectorSvc = compose.services['otel-collector']!;
    const configMount = collectorSvc.volumes!.find((v) => v.startsWith('./otel-collector.yaml:'))!;
    expect(collectorSvc.command).toEqual([`--config=${configMount.split(':')[1]}`]);
    const col = yaml.load(read('otel-collector.yaml')) as Collector;
    const pipeline = col.service.pipelines.metrics;
    expect(pipeline.receivers).toEqual(['otlp']);
    expect(pipeline.exporters).toEqual(['prometheus']);
    for (const p of pipeline.processors ?? []) expect(col.processors, p).toHaveProperty(p);
    const otlpPort = col.receivers.otlp.protocols.http.endpoint.split(':')[1]!;
    const promPort = col.exporters.prometheus.endpoint.split(':')[1]!;
    expect(col.receivers.otlp.protocols.http.endpoint).toBe(`0.0.0.0:${otlpPort}`); // not the collector's localhost default
    expect(col.exporters.prometheus.add_metric_suffixes).toBe(false);
    expect(collectorSvc.expose).toEqual(expect.arrayContaining([otlpPort, promPort]));
    // CCO's environment names config keys that exist, pointing at the collector's OTLP port
    const env = compose.services.cco!.environment!;
    expect(env.CCO_OTLP_ENDPOINT).toBe(`http://otel-collector:${otlpPort}`);
    const loaded = loadConfig({ env: { ...env, HOME: fs.mkdtempSync(path.join(os.tmpdir(), 'cco-stack-env-')), CCO_CONFIG_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'cco-stack-cfg-')) } });
    expect(loaded.config.metrics.otlp_endpoint).toBe(env.CCO_OTLP_ENDPOINT);
    expect(loaded.config.metrics.otlp_interval_seconds).toBe(Number(env.CCO_OTLP_INTERVAL_SECONDS));
    expect(loaded.config.database.url).toBe(env.CCO_DATABASE_URL);
    const prom = yaml.load(read('prometheus.yml')) as { scrape_configs: { job_name: string; honor_labels?: boolean; static_configs: { targets: string[] }[] }[] };
    const jobs = prom.scrape_configs.filter((j) => j.job_name === 'cco');
    expect(jobs).toHaveLength(1); // one path only: scraping CCO as well would count every request twice
    expect(jobs[0]!.static_configs[0]!.targets).toEqual([`otel-collector:${promPort}`]);
    expect(jobs[0]!.honor_labels).toBe(true);
  });

  it('Grafana provisions the datasource the dashboard uses, from the folder the dashboard is mounted in', () => {
    const ds = yaml.load(read('grafana/provisioning/datasources/prometheus.yaml')) as { datasources: { uid: string; url: string }[] };
    const provider = yaml.load(read('grafana/provisioning/dashboards/cco.yaml')) as { providers: { options: { path: string } }[] };
    const dashboard = JSON.parse(read('grafana/dashboards/cco.json')) as { panels: Panel[] };
    expect(ds.datasources[0]!.url).toBe('http://prometheus:9090');
    expect(compose.services.grafana!.volumes).toContain(`./grafana/dashboards:${provider.providers[0]!.options.path}:ro`);
    for (const p of dashboard.panels) expect(p.datasource.uid, p.title).toBe(ds.datasources[0]!.uid);
  });
});

describe('packaging/team: the Grafana dashboard against a real daemon /metrics and OTLP export', () => {
  let fake: FakeUpstream;
  let receiver: OtlpReceiver;
  let daemon: RunningDaemon;
  beforeAll(async () => {
    fake = await startFakeUpstream({ seed: 191 });
    receiver = await startOtlpReceiver();
    daemon = await startDaemon({ port: 0, upstreamUrl: fake.url, dataDir: fs.mkdtempSync(path.join(os.tmpdir(), 'cco-stack-')), log: silentLogger, apiKey: '', pidDir: false, otlp: { endpoint: receiver.url, intervalMs: 3_600_000 } });
  });
  afterAll(async () => {
    await daemon?.close();
    await receiver?.close();
    await fake?.close();
  });
  const dashboardSeries = () => {
    const dashboard = JSON.parse(read('grafana/dashboards/cco.json')) as { panels: Panel[] };
    const used = new Set<string>();
    for (const p of dashboard.panels) {
      expect(p.targets.length, p.title).toBeGreaterThan(0);
      for (const t of p.targets) for (const m of t.expr.matchAll(/\bcco_[a-z0-9_]+/g)) used.add(m[0]);
    }
    return used;
  };

  it('every series a panel queries is exposed by GET /metrics', async () => {
    const sdk = new Anthropic({ apiKey: 'sk-ant-stack', baseURL: daemon.url, maxRetries: 0 });
    await sdk.messages.create({ model: 'claude-haiku-4-5', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] });
    daemon.metrics.setLimitUtilization('five_hour', 0.5);
    const res = await fetch(`${daemon.url}/metrics`, { headers: { authorization: `Bearer ${daemon.token}` } });
    expect(res.status).toBe(200);
    const families = parsePrometheusTextFormat(await res.text());
    const exposed = new Set<string>();
    for (const f of families) {
      exposed.add(f.name);
      if (f.type === 'HISTOGRAM') for (const s of ['_bucket', '_sum', '_count']) exposed.add(f.name + s);
    }
    const used = dashboardSeries();
    expect(used.size).toBeGreaterThan(8);
    expect([...used].filter((m) => !exposed.has(m))).toEqual([]);
  });

  it('and by the OTLP export, as the collector exposes it (names kept: counters as sent, histograms + _bucket/_sum/_count)', async () => {
    // an unpriced request, so every family the dashboard reads has a series (a family with none is sent by neither path)
    const sdk = new Anthropic({ apiKey: 'sk-ant-stack', baseURL: daemon.url, maxRetries: 0 });
    await sdk.messages.create({ model: 'claude-test-unpriced', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] });
    await daemon.store.flush();
    await daemon.otlp!.flush();
    const sent = metricsByName(receiver.received[receiver.received.length - 1]!);
    const exposed = new Set<string>();
    for (const [name, m] of sent) {
      exposed.add(name);
      if (m.histogram) for (const s of ['_bucket', '_sum', '_count']) exposed.add(name + s);
    }
    expect([...dashboardSeries()].filter((m) => !exposed.has(m))).toEqual([]);
  });
});

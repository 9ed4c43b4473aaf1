/**
 * packaging/team (compose.yaml, prometheus.yml, Grafana provisioning and dashboard) parsed with real parsers
 * and checked against the real daemon: every series a dashboard query names is one a real daemon's
 * GET /metrics exposes (read with a Prometheus text-format parser), and the files the stack mounts exist.
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
import { startFakeUpstream, type FakeUpstream } from '../test/fake-upstream/server.ts';

const dir = fileURLToPath(new URL('../packaging/team/', import.meta.url));
const read = (p: string) => fs.readFileSync(path.join(dir, p), 'utf8');

interface Compose {
  services: Record<string, { image?: string; environment?: Record<string, string>; volumes?: string[]; command?: string[]; depends_on?: unknown; user?: string }>;
  volumes: Record<string, unknown>;
}
interface Panel {
  title: string;
  datasource: { uid: string };
  targets: { expr: string }[];
}

describe('packaging/team: the compose stack', () => {
  const compose = yaml.load(read('compose.yaml')) as Compose;

  it('has PostgreSQL, a central CCO on it, Prometheus and Grafana; every bind mount exists', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['cco', 'grafana', 'postgres', 'prometheus']);
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

  it('Prometheus scrapes the CCO service with the daemon token from its volume', () => {
    const prom = yaml.load(read('prometheus.yml')) as { scrape_configs: { job_name: string; authorization: { credentials_file: string }; static_configs: { targets: string[] }[] }[] };
    const job = prom.scrape_configs.find((j) => j.job_name === 'cco')!;
    expect(job.static_configs[0]!.targets).toEqual(['cco:3000']);
    const tokenMount = compose.services.prometheus!.volumes!.find((v) => v.startsWith('cco-data:'))!;
    expect(job.authorization.credentials_file).toBe(`${tokenMount.split(':')[1]}/token`);
    expect(compose.services.cco!.volumes).toContain(`cco-data:${compose.services.cco!.environment!.CCO_DATA_DIR}`);
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

describe('packaging/team: the Grafana dashboard against a real daemon /metrics', () => {
  let fake: FakeUpstream;
  let daemon: RunningDaemon;
  beforeAll(async () => {
    fake = await startFakeUpstream({ seed: 191 });
    daemon = await startDaemon({ port: 0, upstreamUrl: fake.url, dataDir: fs.mkdtempSync(path.join(os.tmpdir(), 'cco-stack-')), log: silentLogger, apiKey: '', pidDir: false });
  });
  afterAll(async () => {
    await daemon?.close();
    await fake?.close();
  });

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
    const dashboard = JSON.parse(read('grafana/dashboards/cco.json')) as { panels: Panel[] };
    const used = new Set<string>();
    for (const p of dashboard.panels) {
      expect(p.targets.length, p.title).toBeGreaterThan(0);
      for (const t of p.targets) for (const m of t.expr.matchAll(/\bcco_[a-z0-9_]+/g)) used.add(m[0]);
    }
    expect(used.size).toBeGreaterThan(8);
    expect([...used].filter((m) => !exposed.has(m))).toEqual([]);
  });
});

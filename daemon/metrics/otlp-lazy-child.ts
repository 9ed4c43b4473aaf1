/**
 * Test child (otlp.test.ts): starts a daemon in a fresh process, with or without an OTLP endpoint
 * (argv: dataDir, endpoint or ""), and prints how many modules of the OpenTelemetry SDK and exporter the
 * process has loaded (they are CommonJS, so they show in the require cache even when imported from ESM).
 */
import { createRequire } from 'node:module';
import { startDaemon } from '../index.ts';
import { silentLogger } from '../log.ts';

const [dataDir, endpoint] = process.argv.slice(2);
const daemon = await startDaemon({
  port: 0,
  upstreamUrl: 'http://127.0.0.1:9',
  dataDir: dataDir!,
  log: silentLogger,
  apiKey: '',
  pidDir: false,
  rateLimit: false,
  ...(endpoint ? { otlp: { endpoint, intervalMs: 3_600_000 } } : {}),
});
const cache = Object.keys(createRequire(import.meta.url).cache);
const count = (pkg: string) => cache.filter((f) => f.includes(`${pkg}/`)).length;
process.stdout.write(JSON.stringify({ sdk: count('@opentelemetry/sdk-metrics'), exporter: count('@opentelemetry/exporter-metrics-otlp-http') }));
await daemon.close();

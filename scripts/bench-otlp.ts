/**
 * `npm run bench:otlp [bundle…]` (not a test): idle RSS of the release bundle without and with the OTLP metrics
 * export (issue 14 keeps the idle footprint in check; the OpenTelemetry SDK is loaded only when configured).
 * Each bundle given (default dist/cco-daemon.cjs, built if missing) starts `rounds` times without an endpoint,
 * alternating with starts of the first bundle exporting every second to a local OTLP receiver; RSS and
 * anonymous RSS are read from /proc/<pid>/status once /ready answered, a few exports went out and 3 s passed.
 * Pass an older bundle as a second argument to see what the SDK's code costs a daemon that does not use it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startOtlpReceiver } from '../test/otlp-receiver.ts';
import { buildDaemonBundle, startBundleDaemon, statusKb } from './bench-kit.ts';

const root = path.resolve(import.meta.dirname, '..');
const args = process.argv.slice(2);
const rounds = Number(process.env.ROUNDS ?? 3);
const bundles = args.length > 0 ? args.map((a) => path.resolve(a)) : [path.join(root, 'dist', 'cco-daemon.cjs')];

async function idle(bundle: string, endpoint: string | null, exported: () => number): Promise<{ rss: number; anon: number }> {
  const d = await startBundleDaemon(bundle, { env: endpoint ? { CCO_OTLP_ENDPOINT: endpoint, CCO_OTLP_INTERVAL_SECONDS: '1' } : {} });
  try {
    const before = exported();
    if (endpoint) for (let i = 0; exported() < before + 2; i++) {
      if (i > 300) throw new Error('no OTLP export arrived');
      await sleep(100);
    }
    await sleep(3000);
    return { rss: statusKb(d.child.pid!, 'VmRSS'), anon: statusKb(d.child.pid!, 'RssAnon') };
  } finally {
    await d.stop();
  }
}

async function main(): Promise<void> {
  if (args.length === 0) buildDaemonBundle(root, bundles[0]!); // given bundles are A/B builds, measured as they are
  const receiver = await startOtlpReceiver();
  const exported = () => receiver.received.length;
  const mb = (kb: number) => `${(kb / 1024).toFixed(1)} MB`;
  console.log(`bench:otlp node ${process.version}, ${os.cpus().length} cpus, load ${os.loadavg()[0]!.toFixed(1)}, ${rounds} rounds`);
  const rows: Record<string, { rss: number; anon: number }[]> = {};
  for (let r = 0; r < rounds; r++) {
    for (const b of bundles) (rows[`${path.basename(b)} (${fs.statSync(b).size} B), no endpoint`] ??= []).push(await idle(b, null, exported));
    (rows[`${path.basename(bundles[0]!)}, OTLP every 1 s`] ??= []).push(await idle(bundles[0]!, `${receiver.url}/v1/metrics`, exported));
  }
  for (const [name, samples] of Object.entries(rows)) {
    console.log(`${name}: RSS ${samples.map((s) => mb(s.rss)).join(' / ')}; anon ${samples.map((s) => mb(s.anon)).join(' / ')}`);
  }
  console.log(`exports received: ${receiver.received.length}`);
  await receiver.close();
}

await main();

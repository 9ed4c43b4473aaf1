/**
 * Child-process entry of the fake upstream (`npm run fake-upstream`, or spawned by process.ts).
 * Flags: --port N (default 0 = any), --host H, --seed N, --no-gzip, --min-cache-tokens N,
 * --ping-interval-ms N, --exit-with-stdin (exit when stdin closes: set by process.ts). Prints one JSON line {"port":N} on stdout when listening; SIGTERM/SIGINT close.
 */
import { parseArgs } from 'node:util';
import { startFakeUpstream } from './server.ts';
import type { FakeUpstreamOptions } from './types.ts';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    host: { type: 'string', default: '127.0.0.1' },
    seed: { type: 'string', default: '1' },
    'no-gzip': { type: 'boolean', default: false },
    'min-cache-tokens': { type: 'string' },
    'ping-interval-ms': { type: 'string' },
    'exit-with-stdin': { type: 'boolean', default: false },
  },
});

const opts: FakeUpstreamOptions = { port: Number(values.port), host: values.host, seed: Number(values.seed), gzip: !values['no-gzip'] };
if (values['min-cache-tokens'] !== undefined) opts.minCacheTokens = Number(values['min-cache-tokens']);
if (values['ping-interval-ms'] !== undefined) opts.pingIntervalMs = Number(values['ping-interval-ms']);

const up = await startFakeUpstream(opts);
process.stdout.write(`${JSON.stringify({ port: up.port, url: up.url, pid: process.pid })}\n`);

let closing = false;
const shutdown = (): void => {
  if (closing) return;
  closing = true;
  void up.close().then(() => process.exit(0));
};
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
if (values['exit-with-stdin']) {
  // Spawned by process.ts: exit with the parent when it closes our stdin pipe.
  process.stdin.on('end', shutdown);
  process.stdin.resume();
}

/**
 * `npm run bench:cache`: the response cache's hit latency on a ~50 KB answer.
 * - disk: DiskStore.get (read + sha256 check + decode) of one 50 KB entry, p50/p99 over many reads;
 * - HTTP through a real daemon: a hit (served from disk) against a miss (forwarded to the fake upstream) and
 *   against the fake upstream called directly, sequential requests on a keep-alive connection;
 * - bytes on disk per entry.
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { IncomingMessage } from 'node:http';
import { DiskStore } from '../daemon/cache/disk-store.ts';
import { takeCacheMode } from '../daemon/cache/key.ts';
import { createResponseCache } from '../daemon/cache/response-cache.ts';
import { startDaemon } from '../daemon/index.ts';
import { silentLogger } from '../daemon/log.ts';
import { startFakeUpstream } from '../test/fake-upstream/server.ts';

const N = Number(process.argv[2] ?? 2000);
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

function post(url: string, body: string, headers: Record<string, string>): Promise<{ ms: number; bytes: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = http.request(url, { method: 'POST', agent, headers }, (res) => {
      let bytes = 0;
      res.on('data', (c: Buffer) => (bytes += c.length));
      res.on('end', () => resolve({ ms: performance.now() - t0, bytes }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;
const fmt = (xs: number[]) => `p50 ${pct(xs, 50).toFixed(3)} ms, p99 ${pct(xs, 99).toFixed(3)} ms`;

async function main() {
  const fake = await startFakeUpstream({ seed: 30 });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cco-bench-cache-'));
  const daemon = await startDaemon({ port: 0, upstreamUrl: fake.url, dataDir: path.join(dir, 'data'), log: silentLogger, apiKey: '', pidDir: false, rateLimit: false, cache: { enabled: true, dir: path.join(dir, 'cache') } });
  const headers = { 'x-api-key': 'sk-ant-test', 'anthropic-version': '2023-06-01', 'content-type': 'application/json', 'accept-encoding': 'identity', 'x-mock-scenario': 'output_tokens:12000' };
  const body = (i: number) => JSON.stringify({ model: 'claude-sonnet-4-6', max_tokens: 16000, messages: [{ role: 'user', content: `bench ${i}` }] });

  const first = await post(`${daemon.url}/v1/messages`, body(0), headers);
  await new Promise((r) => setTimeout(r, 200)); // the entry's write
  const entries = fs.readdirSync(path.join(dir, 'cache', 'responses'));
  const entryBytes = fs.statSync(path.join(dir, 'cache', 'responses', entries[0]!)).size;
  console.log(`response body ${first.bytes} bytes; entry on disk ${entryBytes} bytes (${entryBytes - first.bytes} bytes of header and meta)`);

  const hits: number[] = [];
  const misses: number[] = [];
  const direct: number[] = [];
  for (let i = 0; i < 50; i++) await post(`${daemon.url}/v1/messages`, body(0), headers); // warm up
  for (let i = 0; i < N; i++) hits.push((await post(`${daemon.url}/v1/messages`, body(0), headers)).ms);
  const M = Math.min(N, 300);
  for (let i = 1; i <= M; i++) misses.push((await post(`${daemon.url}/v1/messages`, body(i), { ...headers, 'x-cco-cache': 'off' })).ms);
  for (let i = 1; i <= M; i++) direct.push((await post(`${fake.url}/v1/messages`, body(i), headers)).ms);
  console.log(`HTTP hit through the daemon (${N}):        ${fmt(hits)}`);
  console.log(`HTTP miss, forwarded to the fake (${M}):  ${fmt(misses)}`);
  console.log(`fake upstream called directly (${M}):     ${fmt(direct)}`);

  const store = new DiskStore({ dir: path.join(dir, 'cache'), maxBytes: 1 << 30, ttlMs: 3_600_000 });
  const key = entries[0]!.slice(0, -'.entry'.length);
  const reads: number[] = [];
  for (let i = 0; i < N; i++) {
    const t0 = performance.now();
    const e = await store.get(key);
    reads.push(performance.now() - t0);
    if (!e) throw new Error('entry vanished');
  }
  console.log(`DiskStore.get of the entry (${N}):        ${fmt(reads)}`);

  // What the cache costs a request while it is off: taking x-cco-cache off the headers and the plan's "no".
  const off = createResponseCache({ dir: path.join(dir, 'off'), enabled: false, maxBytes: 1 << 30, ttlSeconds: 3600 });
  const raw = ['Host', '127.0.0.1:3000', 'Accept', 'application/json', 'X-Stainless-Retry-Count', '0', 'X-Stainless-Timeout', '600', 'X-Stainless-Lang', 'js',
    'X-Stainless-Package-Version', '0.60.0', 'X-Stainless-OS', 'Linux', 'X-Stainless-Arch', 'x64', 'X-Stainless-Runtime', 'node', 'X-Stainless-Runtime-Version', 'v20.19.0',
    'anthropic-dangerous-direct-browser-access', 'true', 'anthropic-version', '2023-06-01', 'authorization', 'Bearer sk-ant-oat01-x', 'x-app', 'cli',
    'User-Agent', 'claude-cli/2.1.332 (external, cli)', 'content-type', 'application/json', 'anthropic-beta', 'claude-code-20250219,oauth-2025-04-20',
    'x-claude-code-session-id', 'abc', 'accept-encoding', 'gzip, deflate, br, zstd', 'content-length', '123456'];
  const K = 1_000_000;
  const reqs = Array.from({ length: 1000 }, () => ({ method: 'POST', url: '/v1/messages?beta=true', rawHeaders: [...raw], headers: {} }) as unknown as IncomingMessage);
  const t0 = performance.now();
  for (let i = 0; i < K; i++) {
    const req = reqs[i % 1000]!;
    if (off.plan(req, takeCacheMode(req)) !== null) throw new Error('planned while off');
  }
  console.log(`cache off, per request (x-cco-cache scan + plan, ${raw.length / 2} headers): ${(((performance.now() - t0) / K) * 1000).toFixed(3)} µs`);

  agent.destroy();
  await daemon.close();
  await fake.close();
  fs.rmSync(dir, { recursive: true, force: true });
}

await main();

/**
 * The response cache end to end: a real daemon on a real port, the fake upstream, real files in a temporary
 * cache folder, the official SDK and raw HTTP (so bytes are compared as they came off the wire).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RequestRecord, ResponseCacheStatus, Summary } from '../../shared/contract.ts';
import { startDaemon, type DaemonOptions, type RunningDaemon } from '../index.ts';
import { silentLogger } from '../log.ts';
import { createTelemetry } from '../telemetry/telemetry.ts';
import { startFakeUpstream, type FakeUpstream } from '../../test/fake-upstream/server.ts';
import { JSON_HEADERS, rawRequest, type RawResponse } from '../../test/fake-upstream/testkit.ts';

process.env.CCO_CONFIG_DIR ??= fs.mkdtempSync(path.join(os.tmpdir(), 'cco-config-'));
const tmp = (p: string) => fs.mkdtempSync(path.join(os.tmpdir(), p));

interface Harness {
  daemon: RunningDaemon;
  records: RequestRecord[];
  cacheDir: string;
  clock: { now: number };
  post(body: string, headers?: Record<string, string>): Promise<RawResponse>;
  status(): Promise<ResponseCacheStatus>;
  entryFiles(): string[];
  /** Waits until the cache folder holds n entries (writes finish after the response). */
  entries(n: number): Promise<string[]>;
}

let fake: FakeUpstream;
const open: RunningDaemon[] = [];

beforeAll(async () => {
  fake = await startFakeUpstream({ seed: 20 });
});
afterEach(async () => {
  while (open.length) await open.pop()!.close();
});
afterAll(async () => {
  await fake?.close();
});

async function harness(cache: DaemonOptions['cache'] = { enabled: true }, extra: Partial<DaemonOptions> = {}): Promise<Harness> {
  fake.reset();
  const cacheDir = tmp('cco-rcache-');
  const clock = { now: Date.now() };
  const records: RequestRecord[] = [];
  const daemon = await startDaemon({
    port: 0, upstreamUrl: fake.url, dataDir: tmp('cco-rcache-data-'), log: silentLogger, apiKey: '', pidDir: false, rateLimit: false,
    onRecord: (r) => void records.push(r), cache: { dir: cacheDir, now: () => clock.now, ...cache }, ...extra,
  });
  open.push(daemon);
  const post = (body: string, headers: Record<string, string> = {}) =>
    rawRequest(`${daemon.url}/v1/messages`, { body, headers: { ...JSON_HEADERS, 'accept-encoding': 'gzip', ...headers } });
  const status = async () => (await (await fetch(`${daemon.url}/api/cache`, { headers: { authorization: `Bearer ${daemon.token}` } })).json()) as ResponseCacheStatus;
  const entryFiles = () => {
    const d = path.join(cacheDir, 'responses');
    return fs.existsSync(d) ? fs.readdirSync(d).filter((n) => n.endsWith('.entry')).map((n) => path.join(d, n)) : [];
  };
  const entries = async (n: number) => {
    for (let i = 0; i < 500 && entryFiles().length !== n; i++) await new Promise((r) => setTimeout(r, 10));
    return entryFiles();
  };
  return { daemon, records, cacheDir, clock, post, status, entryFiles, entries };
}

const body = (text: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ model: 'claude-sonnet-4-6', max_tokens: 64, messages: [{ role: 'user', content: text }], ...extra });
const header = (r: RawResponse, name: string) => r.headers[name];
/** Response headers that must replay exactly (date changes on every real answer, so it proves the replay). */
const replayed = (r: RawResponse) => ({ rid: header(r, 'request-id'), enc: header(r, 'content-encoding'), ct: header(r, 'content-type'), date: header(r, 'date'), org: header(r, 'anthropic-organization-id') });

describe('response cache (opt-in)', () => {
  it('answers a second identical JSON call from disk, byte for byte (gzip, headers, request-id), and records it as a $0 hit', async () => {
    const h = await harness();
    const first = await h.post(body('hello json'));
    const second = await h.post(body('hello json'));
    expect(first.status).toBe(200);
    expect(header(first, 'content-encoding')).toBe('gzip');
    expect(fake.requests()).toHaveLength(1);
    expect(second.raw.equals(first.raw)).toBe(true);
    expect(replayed(second)).toEqual(replayed(first));
    await h.daemon.store.flush();
    const [miss, hit] = h.records;
    expect(miss!.cacheHit).toBe(false);
    expect(miss!.costNanoUsd).toBeGreaterThan(0);
    expect(hit).toMatchObject({ cacheHit: true, costNanoUsd: 0, billable: false, upstreamRequestId: null, status: 200, state: 'complete' });
    expect(hit!.cacheSavingsNanoUsd).toBe(miss!.costNanoUsd); // "would have cost" = what the upstream call cost
    expect(hit!.messageId).toBe(miss!.messageId);
    const s = await h.status();
    expect(s).toMatchObject({ enabled: true, entries: 1, lookups: 2, hits: 1, misses: 1, stores: 1, hitRate: 0.5, savedNanoUsd: miss!.costNanoUsd });
    const [file] = await h.entries(1);
    expect(s.bytes).toBe(fs.statSync(file!).size);
    // the day's summary shows the hit apart
    const summary = (await (await fetch(`${h.daemon.url}/api/summary?range=today&tz=UTC`, { headers: { authorization: `Bearer ${h.daemon.token}` } })).json()) as Summary;
    expect(summary.totals.requests).toBe(2);
    expect(summary.totals).toMatchObject({ responseCacheHits: 1, responseCacheSavedNanoUsd: miss!.costNanoUsd });
    expect(summary.totals.costNanoUsd).toBe(miss!.costNanoUsd);
    expect(fs.statSync(file!).mode & 0o777).toBe(0o600);
  });

  it('a summary narrowed to one session shows the hits of that session apart, and so do its groups', async () => {
    const h = await harness();
    const as = (session: string) => ({ 'x-claude-code-session-id': session });
    await h.post(body('session a'), as('sess-a'));
    await h.post(body('session a'), as('sess-a')); // hit
    await h.post(body('session a'), as('sess-a')); // hit
    await h.post(body('session b'), as('sess-b'));
    await h.post(body('session b') + ' ', as('sess-b')); // one byte more: a miss
    expect(fake.requests()).toHaveLength(3);
    await h.daemon.store.flush();
    const wouldHaveCost = h.records.find((r) => r.sessionId === 'sess-a' && !r.cacheHit)!.costNanoUsd!;
    const get = async (q: string) =>
      (await (await fetch(`${h.daemon.url}/api/summary?range=today&tz=UTC${q}`, { headers: { authorization: `Bearer ${h.daemon.token}` } })).json()) as Summary;
    const a = await get('&session=sess-a');
    expect(a.session).toBe('sess-a');
    expect(a.totals).toMatchObject({ requests: 3, responseCacheHits: 2, responseCacheSavedNanoUsd: 2 * wouldHaveCost, costNanoUsd: wouldHaveCost });
    expect(a.byModel).toEqual([expect.objectContaining({ key: 'claude-sonnet-4-6', responseCacheHits: 2 })]);
    expect(a.bySession).toEqual([expect.objectContaining({ key: 'sess-a', requests: 3, responseCacheHits: 2 })]);
    const b = await get('&session=sess-b');
    expect(b.totals).toMatchObject({ requests: 2, responseCacheHits: 0, responseCacheSavedNanoUsd: 0 });
    const all = await get('');
    expect(all.totals).toMatchObject({ requests: 5, responseCacheHits: 2 });
    expect(Object.fromEntries(all.bySession!.map((g) => [g.key, g.responseCacheHits]))).toEqual({ 'sess-a': 2, 'sess-b': 0 });
  });

  it('replays an SSE stream byte-identical (gzip and plain), and the SDK reads the same message', async () => {
    const h = await harness();
    const b = body('hello stream', { stream: true });
    const first = await h.post(b);
    const second = await h.post(b);
    expect(header(first, 'content-type')).toMatch(/^text\/event-stream/);
    expect(second.raw.equals(first.raw)).toBe(true);
    expect(replayed(second)).toEqual(replayed(first));
    const plain1 = await h.post(b, { 'accept-encoding': 'identity' });
    const plain2 = await h.post(b, { 'accept-encoding': 'identity' });
    // a client that takes no gzip never gets the gzip entry (accept-encoding is part of the key)
    expect(header(plain1, 'content-encoding')).toBeUndefined();
    expect(plain2.raw.equals(plain1.raw)).toBe(true);
    expect(fake.requests()).toHaveLength(2);
    const sdk = new Anthropic({ apiKey: 'sk-ant-test', baseURL: h.daemon.url, maxRetries: 0 });
    const ask = () => sdk.messages.stream({ model: 'claude-haiku-4-5', max_tokens: 32, messages: [{ role: 'user', content: 'sdk stream' }] }).finalMessage();
    const a = await ask();
    expect(await ask()).toEqual(a);
    expect(fake.requests()).toHaveLength(3);
  });

  it('misses on any byte of difference, and keys differ by credential, anthropic-beta and anthropic-version', async () => {
    const h = await harness();
    await h.post(body('k'));
    await h.post(body('k') + ' '); // one byte more
    await h.post(body('k'), { 'x-api-key': 'sk-ant-other-credential' });
    await h.post(body('k'), { 'anthropic-beta': 'prompt-caching-scope-2026-01-05' });
    await h.post(body('k'), { 'anthropic-version': '2026-10-21' });
    expect(fake.requests()).toHaveLength(5);
    await h.post(body('k'), { 'x-api-key': 'sk-ant-other-credential' });
    await h.post(body('k') + ' ');
    expect(fake.requests()).toHaveLength(5);
    expect(await h.entries(5)).toHaveLength(5);
  });

  it('the SDK gets identical answers; x-cco-cache is never forwarded', async () => {
    const h = await harness({ enabled: false });
    const sdk = new Anthropic({ apiKey: 'sk-ant-test', baseURL: h.daemon.url, maxRetries: 0, defaultHeaders: { 'x-cco-cache': 'on' } });
    const ask = () => sdk.messages.create({ model: 'claude-haiku-4-5', max_tokens: 32, messages: [{ role: 'user', content: 'sdk' }] });
    const a = await ask();
    const b = await ask();
    expect(b).toEqual(a);
    expect(fake.requests()).toHaveLength(1);
    expect(fake.requests()[0]!.rawHeaders.some(([k]) => k.toLowerCase() === 'x-cco-cache')).toBe(false);
  });

  it('never stores errors, truncated streams, streams with an error event, or no-store requests', async () => {
    const h = await harness();
    for (let i = 0; i < 2; i++) {
      expect((await h.post(body('e'), { 'x-mock-scenario': 'status:500' })).status).toBe(500);
      expect((await h.post(body('t', { stream: true }), { 'x-mock-scenario': 'truncate:1' })).status).toBe(200);
      expect((await h.post(body('m', { stream: true }), { 'x-mock-scenario': 'mid_error:1' })).status).toBe(200);
      expect((await h.post(body('n'), { 'cache-control': 'no-store' })).status).toBe(200);
    }
    expect(fake.requests()).toHaveLength(8);
    expect(h.entryFiles()).toHaveLength(0);
    // the same bodies without the failure now go upstream once and are kept
    await h.post(body('t', { stream: true }));
    await h.post(body('t', { stream: true }));
    expect(fake.requests()).toHaveLength(9);
  });

  it('a corrupt entry is a miss (deleted), never a wrong answer', async () => {
    const h = await harness();
    const first = await h.post(body('corrupt me'));
    const [file] = await h.entries(1);
    const bytes = fs.readFileSync(file!);
    bytes[bytes.length - 3]! ^= 0xff; // one bit-flip in the stored body
    fs.writeFileSync(file!, bytes);
    const second = await h.post(body('corrupt me'));
    expect(fake.requests()).toHaveLength(2);
    expect(header(second, 'request-id')).not.toBe(header(first, 'request-id')); // a fresh upstream answer
    expect(second.text).toContain('"usage"');
    await h.daemon.store.flush();
    expect(h.records.map((r) => r.cacheHit)).toEqual([false, false]);
    // and the fresh answer replaced it
    const third = await h.post(body('corrupt me'));
    expect(third.raw.equals(second.raw)).toBe(true);
    expect(fake.requests()).toHaveLength(2);
  });

  it('enforces the TTL', async () => {
    const h = await harness({ enabled: true, ttlSeconds: 60 });
    await h.post(body('ttl'));
    h.clock.now += 59_000;
    await h.post(body('ttl'));
    expect(fake.requests()).toHaveLength(1);
    h.clock.now += 1_000;
    await h.post(body('ttl'));
    expect(fake.requests()).toHaveLength(2);
  });

  it('keeps the total under the size bound, evicting the least recently used entry', async () => {
    const probe = await harness();
    await probe.post(body('size-a'));
    const one = fs.statSync((await probe.entries(1))[0]!).size;
    const h = await harness({ enabled: true, maxBytes: Math.floor(one * 2.5) });
    const stored = async (n: number) => {
      for (let i = 0; i < 500 && (await h.status()).stores < n; i++) await new Promise((r) => setTimeout(r, 10));
    };
    await h.post(body('size-a'));
    await h.post(body('size-b'));
    await stored(2); // b's place in the LRU order is taken when its write lands
    await h.post(body('size-a')); // a hit: a becomes the most recently used
    expect(fake.requests()).toHaveLength(2);
    await h.post(body('size-c')); // needs room: b goes
    await stored(3);
    const s = await h.status();
    expect(s.entries).toBe(2);
    expect(s.bytes).toBeLessThanOrEqual(Math.floor(one * 2.5));
    await h.post(body('size-a'));
    expect(fake.requests()).toHaveLength(3);
    await h.post(body('size-b'));
    expect(fake.requests()).toHaveLength(4);
  });

  it('off by default: nothing stored, nothing read; x-cco-cache: off bypasses an enabled cache; refresh forwards and replaces', async () => {
    const off = await harness({});
    await off.post(body('off'));
    await off.post(body('off'));
    expect(fake.requests()).toHaveLength(2);
    expect(fs.existsSync(path.join(off.cacheDir, 'responses'))).toBe(false);
    expect((await off.status())).toMatchObject({ enabled: false, entries: 0, lookups: 0 });

    const on = await harness();
    await on.post(body('mode'));
    await on.post(body('mode'), { 'x-cco-cache': 'off' });
    expect(fake.requests()).toHaveLength(2);
    const refreshed = await on.post(body('mode'), { 'x-cco-cache': 'refresh' });
    expect(fake.requests()).toHaveLength(3);
    const replay = await on.post(body('mode'));
    expect(fake.requests()).toHaveLength(3);
    expect(header(replay, 'request-id')).toBe(header(refreshed, 'request-id'));
    expect(fake.requests().every((r) => r.rawHeaders.every(([k]) => k.toLowerCase() !== 'x-cco-cache'))).toBe(true);
  });

  it('survives a restart (index rebuilt from the folder) and telemetry reports the real hit rate', async () => {
    const telemetry = createTelemetry({ enabled: true, endpoint: 'http://127.0.0.1:9/', intervalMs: 3_600_000, version: 'test' });
    const h = await harness({ enabled: true }, { onRecord: (r) => telemetry.record(r) });
    await h.post(body('restart'));
    await h.daemon.close();
    open.length = 0;
    const again = await startDaemon({
      port: 0, upstreamUrl: fake.url, dataDir: tmp('cco-rcache-data-'), log: silentLogger, apiKey: '', pidDir: false, rateLimit: false,
      onRecord: (r) => telemetry.record(r), cache: { dir: h.cacheDir, enabled: true },
    });
    open.push(again);
    await rawRequest(`${again.url}/v1/messages`, { body: body('restart'), headers: { ...JSON_HEADERS, 'accept-encoding': 'gzip' } });
    expect(fake.requests()).toHaveLength(1);
    expect(telemetry.report()).toMatchObject({ requests: 2, cache_hits: 1, cache_hit_rate: 0.5 });
    const cleared = await (await fetch(`${again.url}/api/cache/clear`, { method: 'POST', headers: { authorization: `Bearer ${again.token}` } })).json();
    expect(cleared).toMatchObject({ entries: 1 });
    expect(fs.readdirSync(path.join(h.cacheDir, 'responses'))).toEqual([]);
  });
});

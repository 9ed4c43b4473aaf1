/**
 * The coach end to end: a real daemon, the fake upstream's prompt-cache emulation, the official SDK. One
 * Claude-Code-like session whose system block is stable (write, then reads), one whose system block changes on
 * every call (a cache buster), then GET /api/cache-coach and `cco coach --json` against the same daemon.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CacheCoachReport, RequestRecord } from '../../shared/contract.ts';
import { startDaemon, type RunningDaemon } from '../index.ts';
import { silentLogger } from '../log.ts';
import { main } from '../cli/main.ts';
import { startFakeUpstream, type FakeUpstream } from '../../test/fake-upstream/server.ts';

process.env.CCO_CONFIG_DIR ??= fs.mkdtempSync(path.join(os.tmpdir(), 'cco-config-'));

const SYSTEM = 'You are a careful assistant working in a large repository. '.repeat(100);

describe('prompt-cache coach end to end', () => {
  let fake: FakeUpstream;
  let daemon: RunningDaemon;
  let dataDir: string;
  const records: RequestRecord[] = [];

  beforeAll(async () => {
    fake = await startFakeUpstream({ seed: 22 });
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cco-coach-'));
    daemon = await startDaemon({ port: 0, upstreamUrl: fake.url, dataDir, log: silentLogger, apiKey: '', rateLimit: false, onRecord: (r) => void records.push(r), cache: { dir: path.join(dataDir, 'rc') } });
  });
  afterAll(async () => {
    await daemon?.close();
    await fake?.close();
  });

  it('finds the reads, their savings, and the session that rewrites its cache on every turn', async () => {
    const sdk = (session: string) => new Anthropic({ apiKey: 'sk-ant-test', baseURL: daemon.url, maxRetries: 0, defaultHeaders: { 'x-claude-code-session-id': session } });
    const turn = (session: string, system: string, question: string) =>
      sdk(session).messages.create({ model: 'claude-sonnet-4-6', max_tokens: 32, system: [{ type: 'text', text: system, cache_control: { type: 'ephemeral' } }], messages: [{ role: 'user', content: question }] });
    for (const q of ['one', 'two', 'three']) await turn('steady-session', SYSTEM, q);
    for (const i of [1, 2, 3]) await turn('buster-session', `Current time: 10:0${i}. ${SYSTEM}`, `q${i}`);
    await daemon.store.flush();

    const ledger = fake.ledger();
    const steady = ledger.slice(0, 3).map((e) => e.usage!);
    expect(steady[0]!.cache_creation_input_tokens).toBeGreaterThan(0);
    expect(steady[1]!.cache_read_input_tokens).toBe(steady[0]!.cache_creation_input_tokens);

    const res = await fetch(`${daemon.url}/api/cache-coach?range=today&tz=UTC`, { headers: { authorization: `Bearer ${daemon.token}` } });
    expect(res.status).toBe(200);
    const r = (await res.json()) as CacheCoachReport;
    const byId = new Map(records.map((x) => [x.id, x]));
    const reads = ledger.reduce((s, e) => s + e.usage!.cache_read_input_tokens, 0);
    const writes = ledger.reduce((s, e) => s + e.usage!.cache_creation_input_tokens, 0);
    const input = ledger.reduce((s, e) => s + e.usage!.input_tokens, 0);
    expect(r.totals.requests).toBe(6);
    expect(r.totals.hitRatio).toBeCloseTo(reads / (reads + input + writes), 12);
    expect(r.totals.savedNanoUsd).toBe(records.reduce((s, x) => s + x.cacheSavingsNanoUsd, 0));
    expect(r.totals.savedNanoUsd).toBe(reads * (3000 - 300)); // Sonnet 4.6: input $3, read $0.30 per MTok
    expect(r.bySession.find((g) => g.key === 'steady-session')!.hitRatio).toBeGreaterThan(0.5);
    expect(r.bySession.find((g) => g.key === 'buster-session')!.tokens.cacheRead).toBe(0);

    expect(r.busters).toHaveLength(1);
    const b = r.busters[0]!;
    expect(b).toMatchObject({ sessionId: 'buster-session', model: 'claude-sonnet-4-6', turns: 3, cause: 'prefix-changes' });
    expect(b.requestIds.map((id) => byId.get(id)!.sessionId)).toEqual(['buster-session', 'buster-session', 'buster-session']);
    expect(r.advice[0]!.text).toMatch(/^Session buster-s… on claude-sonnet-4-6: 3 turns in a row/);

    let out = '';
    const code = await main(['coach', '--json', '--range', 'today', '--tz', 'UTC'], { out: (t) => void (out += t), err: (t) => void (out += t), env: { ...process.env, CCO_DATA_DIR: dataDir } });
    expect(code).toBe(0);
    expect((JSON.parse(out) as CacheCoachReport).busters).toEqual(r.busters);
    out = '';
    await main(['coach', '--range', 'today', '--tz', 'UTC'], { out: (t) => void (out += t), err: (t) => void (out += t), env: { ...process.env, CCO_DATA_DIR: dataDir } });
    expect(out).toMatch(/hit ratio \d+\.\d%/);
    expect(out).toContain(`requests: ${b.requestIds.join(', ')}`);
  });
});

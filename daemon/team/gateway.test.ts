/**
 * Central gateway mode end to end: a daemon listening beyond loopback (0.0.0.0), the fake upstream, the
 * official SDK sending `x-cco-token` as Claude Code does through ANTHROPIC_CUSTOM_HEADERS.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RequestRecord, Summary } from '../../shared/contract.ts';
import { startDaemon, type RunningDaemon } from '../index.ts';
import { silentLogger } from '../log.ts';
import { startFakeUpstream, type FakeUpstream } from '../../test/fake-upstream/server.ts';
import { pgAvailability, startPgCluster, type PgCluster } from '../../test/pg/cluster.ts';
import { addUser } from './users.ts';

process.env.CCO_CONFIG_DIR ??= fs.mkdtempSync(path.join(os.tmpdir(), 'cco-config-'));

const STORED_KEY = 'sk-ant-api03-stored-gateway-key';
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'cco-gw-'));

describe('central gateway (listening beyond loopback)', () => {
  let fake: FakeUpstream;
  let daemon: RunningDaemon;
  let cluster: PgCluster | null = null;
  const seen: RequestRecord[] = [];
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    fake = await startFakeUpstream({ seed: 11 });
    const dataDir = tmp();
    tokens.alice = addUser(dataDir, 'alice');
    tokens.bob = addUser(dataDir, 'bob');
    // With PostgreSQL here, the records go to it (where users are stored and summed); else the embedded store.
    let databaseUrl: string | undefined;
    if (pgAvailability().ok) {
      cluster = await startPgCluster();
      databaseUrl = await cluster.createDatabase();
    }
    daemon = await startDaemon({
      host: '0.0.0.0', port: 0, upstreamUrl: fake.url, dataDir, log: silentLogger, apiKey: STORED_KEY, pidDir: false,
      rateLimit: false, onRecord: (r) => void seen.push(r), ...(databaseUrl ? { databaseUrl } : {}),
    });
  });
  afterAll(async () => {
    await daemon?.close();
    await fake?.close();
    await cluster?.destroy();
  });
  beforeEach(() => {
    fake.reset();
    seen.length = 0;
  });

  const sdk = (token?: string) =>
    new Anthropic({ apiKey: 'sk-ant-api03-client-own', baseURL: daemon.url, maxRetries: 0, ...(token ? { defaultHeaders: { 'x-cco-token': token } } : {}) });
  const ask = (c: Anthropic, text: string) => c.messages.create({ model: 'claude-haiku-4-5', max_tokens: 16, messages: [{ role: 'user', content: text }] });

  it('attributes two clients to their users and never forwards the token', async () => {
    await ask(sdk(tokens.alice), 'one');
    await ask(sdk(tokens.alice), 'two');
    await sdk(tokens.bob).messages.stream({ model: 'claude-haiku-4-5', max_tokens: 16, messages: [{ role: 'user', content: 'three' }] }).finalMessage();
    expect(seen.map((r) => r.user).sort()).toEqual(['alice', 'alice', 'bob']);
    const upstream = fake.requests();
    expect(upstream).toHaveLength(3);
    for (const r of upstream) {
      expect(r.rawHeaders.some(([k]) => k.toLowerCase() === 'x-cco-token')).toBe(false);
      expect(JSON.stringify(r.rawHeaders)).not.toContain(tokens.alice!);
      expect(JSON.stringify(r.rawHeaders)).not.toContain(tokens.bob!);
    }
    if (cluster) {
      await daemon.store.flush();
      const res = await fetch(`${daemon.url}/api/summary?range=today`, { headers: { authorization: `Bearer ${daemon.token}` } });
      const s = (await res.json()) as Summary;
      expect(Object.fromEntries(s.byUser!.map((g) => [g.key, g.requests]))).toEqual({ alice: 2, bob: 1 });
    }
  });

  it('answers 401 in the Anthropic envelope without a token or with a wrong one, and forwards nothing', async () => {
    for (const c of [sdk(), sdk('cco_wrong-token')]) {
      const err = await ask(c, 'x').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(Anthropic.AuthenticationError);
      expect((err as InstanceType<typeof Anthropic.AuthenticationError>).error).toMatchObject({ type: 'error', error: { type: 'authentication_error' } });
    }
    const raw = await fetch(`${daemon.url}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"model":"claude-haiku-4-5","max_tokens":1,"messages":[]}' });
    expect(raw.status).toBe(401);
    expect(((await raw.json()) as { error: { message: string } }).error.message).toMatch(/x-cco-token/);
    expect(fake.requests()).toHaveLength(0);
    expect(seen).toHaveLength(0);
  });

  it('gives the stored key only to a request with a valid token (a tokenless one never reaches the upstream)', async () => {
    const body = JSON.stringify({ model: 'claude-haiku-4-5', max_tokens: 8, messages: [{ role: 'user', content: 'k' }] });
    const headers = { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' };
    const withToken = await fetch(`${daemon.url}/v1/messages`, { method: 'POST', headers: { ...headers, 'x-cco-token': tokens.bob! }, body });
    expect(withToken.status).toBe(200);
    const without = await fetch(`${daemon.url}/v1/messages`, { method: 'POST', headers, body });
    expect(without.status).toBe(401);
    const upstream = fake.requests();
    expect(upstream).toHaveLength(1);
    expect(upstream[0]!.rawHeaders.find(([k]) => k.toLowerCase() === 'x-api-key')?.[1]).toBe(STORED_KEY);
    expect(seen.map((r) => r.user)).toEqual(['bob']);
  });
});

describe('gateway on a loopback daemon', () => {
  it('a token is optional there: sent, it attributes and is stripped; absent, requests pass as before', async () => {
    const fake = await startFakeUpstream({ seed: 12 });
    const dataDir = tmp();
    const token = addUser(dataDir, 'carol');
    const seen: RequestRecord[] = [];
    const d = await startDaemon({ port: 0, upstreamUrl: fake.url, dataDir, log: silentLogger, apiKey: '', pidDir: false, onRecord: (r) => void seen.push(r) });
    try {
      const c = (h: Record<string, string>) => new Anthropic({ apiKey: 'sk-ant-api03-x', baseURL: d.url, maxRetries: 0, defaultHeaders: h });
      await c({ 'x-cco-token': token }).messages.create({ model: 'claude-haiku-4-5', max_tokens: 8, messages: [{ role: 'user', content: 'a' }] });
      await c({}).messages.create({ model: 'claude-haiku-4-5', max_tokens: 8, messages: [{ role: 'user', content: 'b' }] });
      expect(seen.map((r) => r.user ?? null)).toEqual(['carol', null]);
      expect(fake.requests().some((r) => r.rawHeaders.some(([k]) => k.toLowerCase() === 'x-cco-token'))).toBe(false);
    } finally {
      await d.close();
      await fake.close();
    }
  });
});

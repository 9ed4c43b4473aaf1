/**
 * Per-user budgets end to end on a central gateway: a daemon listening beyond loopback (0.0.0.0) on a real
 * throwaway PostgreSQL cluster, the fake upstream, two users with their proxy tokens sent as Claude Code does
 * (ANTHROPIC_CUSTOM_HEADERS → `x-cco-token`), the official SDK. Alice over her hard cap is refused without
 * anything reaching the upstream while bob goes through; a restart reads each user's spend back from the
 * database, so alice stays refused.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Anthropic, { APIError } from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BudgetsResponse, RequestPage } from '../../shared/contract.ts';
import { startDaemon, type RunningDaemon } from '../index.ts';
import { silentLogger } from '../log.ts';
import { addUser } from '../team/users.ts';
import { startFakeUpstream, type FakeUpstream } from '../../test/fake-upstream/server.ts';
import { pgSkipReason, startPgCluster, type PgCluster } from '../../test/pg/cluster.ts';

describe.skipIf(pgSkipReason() !== null)('per-user budgets on a central gateway (real PostgreSQL)', () => {
  let fake: FakeUpstream;
  let cluster: PgCluster;
  let databaseUrl: string;
  let daemon: RunningDaemon;
  const dirs: string[] = [];
  const tokens: Record<string, string> = {};
  let dataDir: string;
  let configDir: string;

  const start = () =>
    startDaemon({ host: '0.0.0.0', port: 0, upstreamUrl: fake.url, dataDir, configDir, databaseUrl, log: silentLogger, apiKey: '', pidDir: false, rateLimit: false });

  beforeAll(async () => {
    fake = await startFakeUpstream({ seed: 19 });
    cluster = await startPgCluster();
    databaseUrl = await cluster.createDatabase();
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cco-userbudget-data-'));
    configDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cco-userbudget-config-'));
    dirs.push(dataDir, configDir);
    tokens.alice = addUser(dataDir, 'alice');
    tokens.bob = addUser(dataDir, 'bob');
    // One 2000-token Sonnet 4.6 answer costs $0.03: over alice's own $0.02 hard daily cap, under the $0.05
    // per-user default that caps bob (alice's own cap replaces the default's daily cap for her).
    fs.writeFileSync(
      path.join(configDir, 'config.toml'),
      '[budgets.users."alice"]\ndaily_usd = 0.02\ndaily_hard = true\n\n[budgets.per_user]\ndaily_usd = 0.05\ndaily_hard = true\n',
    );
    daemon = await start();
  }, 120_000);
  afterAll(async () => {
    await daemon?.close();
    await fake?.close();
    await cluster?.destroy();
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  let attempts = 0;
  const sdk = (user: string) =>
    new Anthropic({
      apiKey: 'sk-ant-api03-team-client',
      baseURL: daemon.url,
      maxRetries: 2,
      defaultHeaders: { 'x-cco-token': tokens[user]! },
      fetch: (url, init) => {
        attempts++;
        return fetch(url, init);
      },
    });
  const ask = (user: string, outputTokens: number) =>
    sdk(user).messages.create(
      { model: 'claude-sonnet-4-6', max_tokens: 4000, messages: [{ role: 'user', content: `hello from ${user}` }] },
      { headers: { 'x-mock-scenario': `output_tokens:${outputTokens}` } },
    );
  const api = async <T>(p: string): Promise<T> => {
    const res = await fetch(daemon.url + p, { headers: { authorization: `Bearer ${daemon.token}` } });
    expect(res.status, p).toBe(200);
    return (await res.json()) as T;
  };
  /** Alice's next request: refused by CCO in one attempt (the SDK does not retry), nothing forwarded. */
  const expectAliceRefused = async () => {
    const before = fake.requests().length;
    attempts = 0;
    const err = await ask('alice', 10).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(APIError);
    const e = err as APIError;
    expect(e.status).toBe(400);
    expect(e.headers?.get('x-should-retry')).toBe('false');
    expect(e.error).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
    expect((e.error as { error: { message: string } }).error.message).toMatch(/the daily budget of user alice of \$0\.02 is spent \(\$0\.03\), so CCO refuses alice's new requests/);
    expect(attempts).toBe(1);
    expect(fake.requests().length).toBe(before); // the fake upstream's ledger: nothing reached it
  };

  it('alice over her hard cap is refused (nothing forwarded), bob still goes through; /api/budgets shows both', async () => {
    await ask('alice', 2000); // crosses her $0.02 cap (in flight when crossed: completes, booked)
    await expectAliceRefused();
    const bob = await ask('bob', 2000); // $0.03 of his $0.05
    expect(bob.usage.output_tokens).toBe(2000);
    expect(fake.requests().map((r) => (JSON.parse(Buffer.from(r.bodyBase64, 'base64').toString()) as { messages: { content: string }[] }).messages[0]!.content)).toEqual(['hello from alice', 'hello from bob']);

    const budgets = await api<BudgetsResponse>('/api/budgets');
    expect(budgets.budgets.map((b) => [b.user, b.perUser ?? false, b.hard, b.state])).toEqual([
      ['alice', false, true, 'exceeded'],
      ['bob', true, true, 'ok'],
    ]);
    expect(budgets.rules).toContainEqual({ period: 'daily', usd: 0.05, project: null, user: '*', hard: true });
    await daemon.store.flush();
    const refused = await api<RequestPage>('/api/requests?state=refused&user=alice');
    expect(refused.items).toHaveLength(1);
    expect(refused.items[0]).toMatchObject({ state: 'refused', user: 'alice', costNanoUsd: 0, billable: false });
  });

  it('after a restart each user spend is read back from PostgreSQL: alice stays refused, bob goes through until the default cap', async () => {
    const spentBefore = (await api<BudgetsResponse>('/api/budgets')).budgets.map((b) => [b.user, b.spentNanoUsd]);
    await daemon.close();
    daemon = await start();
    const after = await api<BudgetsResponse>('/api/budgets');
    expect(after.ready).toBe(true);
    expect(after.budgets.map((b) => [b.user, b.spentNanoUsd])).toEqual(spentBefore);
    await expectAliceRefused();
    await ask('bob', 2000); // $0.06 now: over the $0.05 per-user default
    const err = (await ask('bob', 10).catch((e: unknown) => e)) as APIError;
    expect(err.status).toBe(400);
    expect((err.error as { error: { message: string } }).error.message).toMatch(/daily budget of user bob \(the per-user budget\) of \$0\.05/);
    expect(fake.requests()).toHaveLength(3);
  });
});

describe('per-user budgets in the federated mode ([team] user)', () => {
  it("every request of the laptop is its [team] user's: over the user cap it is refused, also after a restart (spend from the embedded store)", async () => {
    const fake = await startFakeUpstream({ seed: 20 });
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cco-fedbudget-data-'));
    const configDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cco-fedbudget-config-'));
    // dana's own cap; the per-user default would let her spend more
    fs.writeFileSync(path.join(configDir, 'config.toml'), '[budgets.users."dana"]\ndaily_usd = 0.02\ndaily_hard = true\n\n[budgets.per_user]\ndaily_usd = 5\ndaily_hard = true\n');
    // The team database is not reachable (nothing listens on port 1): records wait in the outbox, forwarding goes on.
    const start = () =>
      startDaemon({ port: 0, upstreamUrl: fake.url, dataDir, configDir, team: { url: 'postgres://cco@127.0.0.1:1/team', user: 'dana', retryMinMs: 60_000 }, log: silentLogger, apiKey: '', pidDir: false, rateLimit: false });
    let daemon = await start();
    const ask = (max_tokens: number, outputTokens: number) =>
      new Anthropic({ apiKey: 'sk-ant-api03-fed', baseURL: daemon.url, maxRetries: 0 }).messages.create(
        { model: 'claude-sonnet-4-6', max_tokens, messages: [{ role: 'user', content: 'hi' }] },
        { headers: { 'x-mock-scenario': `output_tokens:${outputTokens}` } },
      );
    try {
      await ask(4000, 2000); // $0.03 of dana's $0.02
      const refused = async () => {
        const before = fake.requests().length;
        const err = (await ask(10, 10).catch((e: unknown) => e)) as APIError;
        expect(err.status).toBe(400);
        expect((err.error as { error: { message: string } }).error.message).toMatch(/daily budget of user dana of \$0\.02 is spent/);
        expect(fake.requests().length).toBe(before);
      };
      await refused();
      const budgets = (await (await fetch(`${daemon.url}/api/budgets`, { headers: { authorization: `Bearer ${daemon.token}` } })).json()) as BudgetsResponse;
      expect(budgets.budgets.map((b) => [b.user, b.state])).toEqual([['dana', 'exceeded']]);
      await daemon.close();
      daemon = await start();
      await refused();
    } finally {
      await daemon.close();
      await fake.close();
      for (const d of [dataDir, configDir]) fs.rmSync(d, { recursive: true, force: true });
    }
  });
});

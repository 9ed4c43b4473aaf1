/**
 * buildRecord's privacy rule, through the real daemon: a credential in a proxied query string is forwarded
 * as sent but never reaches the journal, the snapshot or the API.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RequestPage } from '../api/contract.ts';
import { startDaemon, type RunningDaemon } from '../index.ts';
import { silentLogger } from '../log.ts';
import { startFakeUpstream, type FakeUpstream } from '../../test/fake-upstream/server.ts';

process.env.CCO_CONFIG_DIR ??= fs.mkdtempSync(path.join(os.tmpdir(), 'cco-config-'));

const KEY_IN_QUERY = 'sk-ant-api03-query-string-secret-0123456789';
const TOKEN_IN_QUERY = 'opaque-access-token-value-42';

let fake: FakeUpstream;
let daemon: RunningDaemon;
let dataDir: string;

beforeAll(async () => {
  fake = await startFakeUpstream({ seed: 9 });
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cco-record-'));
  daemon = await startDaemon({ port: 0, upstreamUrl: fake.url, dataDir, log: silentLogger, apiKey: '', rateLimit: false, pidDir: false });
});
afterAll(async () => {
  await daemon?.close();
  await fake?.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe('a credential in a proxied query string', () => {
  it('is forwarded unchanged but never stored: journal, snapshot, API list, detail and export are clean', async () => {
    const headers = { 'x-api-key': 'sk-ant-api03-header-key-is-fine-000', 'anthropic-version': '2023-06-01', 'content-type': 'application/json' };
    const models = await fetch(`${daemon.url}/v1/models?key=${KEY_IN_QUERY}&limit=5`, { headers });
    expect(models.status).toBe(200);
    const msg = await fetch(`${daemon.url}/v1/messages?beta=true&access_token=${TOKEN_IN_QUERY}`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ model: 'claude-haiku-4-5', max_tokens: 8, messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(msg.status).toBe(200);
    await msg.text();
    // byte for byte upstream
    expect(fake.requests().map((r) => r.url)).toEqual([`/v1/models?key=${KEY_IN_QUERY}&limit=5`, `/v1/messages?beta=true&access_token=${TOKEN_IN_QUERY}`]);

    await daemon.store.flush();
    const auth = { authorization: `Bearer ${daemon.token}` };
    const page = (await (await fetch(`${daemon.url}/api/requests?limit=10`, { headers: auth })).json()) as RequestPage;
    expect(page.items.map((r) => r.path).sort()).toEqual(['/v1/messages?beta=true&access_token=[redacted]', '/v1/models?key=[redacted]&limit=5']);
    const texts = [JSON.stringify(page)];
    for (const r of page.items) texts.push(await (await fetch(`${daemon.url}/api/requests/${r.id}`, { headers: auth })).text());
    texts.push(await (await fetch(`${daemon.url}/api/export.csv`, { headers: auth })).text());
    texts.push(await (await fetch(`${daemon.url}/api/export.json`, { headers: auth })).text());
    for (const t of texts) {
      expect(t).not.toContain(KEY_IN_QUERY);
      expect(t).not.toContain(TOKEN_IN_QUERY);
    }

    // journal before the snapshot, then the snapshot
    const scanDisk = () => {
      for (const f of fs.readdirSync(dataDir, { recursive: true }).map(String)) {
        const full = path.join(dataDir, f);
        if (!fs.statSync(full).isFile()) continue;
        const bytes = fs.readFileSync(full);
        expect(bytes.includes(KEY_IN_QUERY), f).toBe(false);
        expect(bytes.includes(TOKEN_IN_QUERY), f).toBe(false);
        expect(bytes.includes('sk-ant-api03-query'), f).toBe(false);
      }
    };
    scanDisk();
    await daemon.store.snapshot();
    scanDisk();
  });
});

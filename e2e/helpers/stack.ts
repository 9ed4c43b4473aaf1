/**
 * The real stack for browser tests: the fake Anthropic upstream, the real daemon serving a fresh renderer
 * build, and helpers to push requests through the proxy with the official SDK and read the API.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import { startDaemon, type RunningDaemon } from '../../daemon/index.ts';
import { silentLogger } from '../../daemon/log.ts';
import { startFakeUpstream, type FakeUpstream } from '../../test/fake-upstream/server.ts';
import { buildRenderer } from './build.ts';

export interface Stack {
  upstream: FakeUpstream;
  daemon: RunningDaemon;
  sdk: Anthropic;
  staticDir: string;
  api<T>(p: string): Promise<T>;
  /** One non-streaming (or streaming) message through the proxy. */
  send(model: string, opts?: { stream?: boolean; text?: string }): Promise<void>;
  close(): Promise<void>;
}

export async function startStack(opts: { staticDir?: string } = {}): Promise<Stack> {
  const staticDir = opts.staticDir ?? (await buildRenderer());
  const upstream = await startFakeUpstream({ seed: 11 });
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cco-e2e-'));
  const daemon = await startDaemon({ host: '127.0.0.1', port: 0, upstreamUrl: upstream.url, dataDir, staticDir, log: silentLogger, apiKey: '' });
  const sdk = new Anthropic({ apiKey: 'sk-ant-test', baseURL: daemon.url, maxRetries: 0 });
  return {
    upstream,
    daemon,
    sdk,
    staticDir,
    async api<T>(p: string): Promise<T> {
      const res = await fetch(daemon.url + p, { headers: { authorization: `Bearer ${daemon.token}` } });
      if (!res.ok) throw new Error(`${p} → ${res.status}`);
      return (await res.json()) as T;
    },
    async send(model, o = {}) {
      const params = { model, max_tokens: 64, messages: [{ role: 'user' as const, content: o.text ?? 'Hello from the e2e test' }] };
      if (o.stream) {
        const s = await sdk.messages.create({ ...params, stream: true });
        for await (const _ of s) {
          /* drain */
        }
      } else {
        await sdk.messages.create(params);
      }
    },
    async close() {
      await daemon.close();
      await upstream.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
      if (!opts.staticDir) fs.rmSync(staticDir, { recursive: true, force: true });
    },
  };
}

/**
 * DaemonProvider against a real daemon that follows a Claude Code transcript folder: the history import's
 * live `import` frames reach the views (progress, the "imported N" notice) and a finished import that
 * stored requests makes the data hooks refetch (epoch), without any polling.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cleanup, render, screen, waitFor } from '@testing-library/react';
import { startDaemon, type RunningDaemon } from '../../../daemon/index.ts';
import { silentLogger } from '../../../daemon/log.ts';
import type { CcoBridge } from '../../../shared/bridge.ts';
import { LIVE_SEQ_HEADER } from '../../../shared/contract.ts';
import { ApiClient } from '../api/client.ts';
import { DaemonProvider, useDaemon } from './daemon.tsx';

let daemon: RunningDaemon;
let dir: string;
let root: string;

const transcriptLine = (n: number): string =>
  JSON.stringify({
    parentUuid: null, isSidechain: false, userType: 'external', cwd: '/p', sessionId: 'live-import-session', version: '2.0.40',
    type: 'assistant', uuid: `u-${n}`, timestamp: new Date(Date.now() - 60_000).toISOString(), requestId: `req_live_${n}`,
    message: { id: `msg_live_${n}`, model: 'claude-sonnet-4-5', role: 'assistant', type: 'message', content: [{ type: 'text', text: 'ok' }], usage: { input_tokens: 10, output_tokens: 5 } },
  }) + '\n';

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cco-provider-'));
  root = path.join(dir, 'projects');
  fs.mkdirSync(path.join(root, '-p'), { recursive: true });
  daemon = await startDaemon({
    port: 0, upstreamUrl: 'http://127.0.0.1:9', dataDir: path.join(dir, 'data'), configDir: path.join(dir, 'config'), log: silentLogger, apiKey: '',
    // jsdom's WebSocket sends the test document's origin, which the daemon refuses unless allowed.
    allowedOrigins: [window.location.origin],
    history: { roots: [root], followIntervalMs: 200, settleMs: 0 },
  });
});

afterAll(async () => {
  cleanup();
  await daemon?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function Probe() {
  const { live, epoch, importStatus, version } = useDaemon();
  return (
    <dl>
      <dd data-testid="live">{live}</dd>
      <dd data-testid="hello">{version ?? 'none'}</dd>
      <dd data-testid="epoch">{epoch}</dd>
      <dd data-testid="imported">{importStatus?.last?.imported ?? 'none'}</dd>
    </dl>
  );
}

const bridge = (): CcoBridge => ({
  daemon: { info: async () => ({ baseUrl: daemon.url, token: daemon.token }) },
  app: { openDashboard: async () => {} },
});

/** A proxied request (the upstream refuses the connection): the daemon records and publishes it. */
async function publishOne(): Promise<void> {
  const res = await fetch(`${daemon.url}/v1/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': 'sk-ant-test' },
    body: JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 1, messages: [{ role: 'user', content: 'hi' }] }),
  });
  await res.arrayBuffer();
}

async function liveSeqNow(): Promise<number> {
  const res = await fetch(`${daemon.url}/api/prices`, { headers: { authorization: `Bearer ${daemon.token}` } });
  await res.arrayBuffer();
  return Number(res.headers.get(LIVE_SEQ_HEADER));
}

describe('DaemonProvider and the live feed', () => {
  afterEach(() => cleanup());

  it('refetches when a record finished between its first reads and the socket’s open, and only then', async () => {
    const info = { baseUrl: daemon.url, token: daemon.token };
    // No record in between: the hello's seq equals the reads', the first load is not asked twice.
    const quiet = new ApiClient(info);
    await quiet.summary({ range: 'today' });
    render(
      <DaemonProvider bridge={bridge()} initialClient={quiet}>
        <Probe />
      </DaemonProvider>,
    );
    await waitFor(() => expect(screen.getByTestId('hello').textContent).not.toBe('none'), { timeout: 10_000 });
    expect(screen.getByTestId('epoch').textContent).toBe('0');
    cleanup();

    // A record published after the read, before the socket opened: neither the answer nor the feed has it.
    const before = await liveSeqNow();
    const gap = new ApiClient(info);
    await gap.summary({ range: 'today' });
    await publishOne();
    expect(await liveSeqNow()).toBe(before + 1);
    render(
      <DaemonProvider bridge={bridge()} initialClient={gap}>
        <Probe />
      </DaemonProvider>,
    );
    await waitFor(() => expect(screen.getByTestId('hello').textContent).not.toBe('none'), { timeout: 10_000 });
    await waitFor(() => expect(screen.getByTestId('epoch').textContent).toBe('1'));
  });

  it('hands the history import’s live frames to the views and refetches when an import stored requests', async () => {
    render(
      <DaemonProvider bridge={bridge()}>
        <Probe />
      </DaemonProvider>,
    );
    await waitFor(() => expect(screen.getByTestId('live').textContent).toBe('open'), { timeout: 10_000 });
    const epoch = Number(screen.getByTestId('epoch').textContent);
    fs.writeFileSync(path.join(root, '-p', 'live-import-session.jsonl'), transcriptLine(1) + transcriptLine(2));
    await waitFor(() => expect(screen.getByTestId('imported').textContent).toBe('2'), { timeout: 15_000 });
    await waitFor(() => expect(Number(screen.getByTestId('epoch').textContent)).toBeGreaterThan(epoch));
  });
});

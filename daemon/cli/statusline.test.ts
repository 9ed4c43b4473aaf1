/**
 * `cco statusline` against a real daemon: the session figure is that session's exact spend from the
 * daemon's per-session rollups (GET /api/summary?session=), however many requests the session made.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatUsd, pidDir } from './common.ts';
import { fetchBudgetMs, statuslineCommand } from './statusline.ts';
import { startDaemon, type RunningDaemon } from '../index.ts';
import { silentLogger } from '../log.ts';
import { makeRecord } from '../store/test-fixtures.ts';

const home = fs.mkdtempSync(path.join(os.tmpdir(), 'cco-statusline-'));
const env: NodeJS.ProcessEnv = { HOME: home, XDG_DATA_HOME: path.join(home, 'data'), XDG_CONFIG_HOME: path.join(home, 'config'), TZ: 'UTC', CCO_STATUSLINE_BUDGET_MS: '10000' };
let daemon: RunningDaemon;

async function statusline(session: string): Promise<string> {
  const stdin = new PassThrough();
  let out = '';
  const done = statuslineCommand([], { out: (t) => void (out += t), err: () => {}, env }, stdin as unknown as NodeJS.ReadStream);
  stdin.end(JSON.stringify({ session_id: session }));
  await done;
  return out;
}

beforeAll(async () => {
  daemon = await startDaemon({
    port: 0,
    upstreamUrl: 'http://127.0.0.1:9', // never called: records are added to the store directly
    dataDir: path.join(home, 'daemon-data'),
    configDir: path.join(home, 'config'),
    pidDir: pidDir(env),
    log: silentLogger,
    apiKey: '',
  });
  const now = Date.now();
  // 600 requests in one session: more than one /api/requests page (500), the old way of summing.
  for (let i = 0; i < 600; i++) daemon.store.add(makeRecord({ sessionId: 'big', startedAt: now - i * 10, costNanoUsd: 12_345_678 }));
  daemon.store.add(makeRecord({ sessionId: 'big', startedAt: now - 1000, costNanoUsd: null })); // unpriced: adds nothing
  daemon.store.add(makeRecord({ sessionId: 'other', startedAt: now, costNanoUsd: 3_000_000_000 }));
  await daemon.store.flush();
});

afterAll(async () => {
  await daemon?.close();
  fs.rmSync(home, { recursive: true, force: true });
});

describe('cco statusline', () => {
  it('waits 80 ms for the daemon unless CCO_STATUSLINE_BUDGET_MS says otherwise', () => {
    expect(fetchBudgetMs({})).toBe(80);
    expect(fetchBudgetMs({ CCO_STATUSLINE_BUDGET_MS: '500' })).toBe(500);
    expect(fetchBudgetMs({ CCO_STATUSLINE_BUDGET_MS: 'soon' })).toBe(80);
  });

  it("shows this session's exact spend beside today's", async () => {
    const session = formatUsd(600 * 12_345_678); // $7.41
    const today = formatUsd(600 * 12_345_678 + 3_000_000_000);
    expect(await statusline('big')).toBe(`CCO ${today} today · ${session} session · 1 unpriced\n`);
    expect(await statusline('other')).toBe(`CCO ${today} today · $3.00 session · 1 unpriced\n`);
    expect(await statusline('never-seen')).toBe(`CCO ${today} today · $0.00 session · 1 unpriced\n`);
  });
});

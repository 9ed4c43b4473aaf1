/**
 * zod is loaded at the first API call that validates input, not at the daemon's start (its evaluation and the
 * schemas cost every start ~50 ms of CPU). A real daemon on a real port; zod's module is wrapped only to see
 * when it is first imported.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import type { ApiError, Summary } from '../../shared/contract.ts';
import { startDaemon, type RunningDaemon } from '../index.ts';
import { silentLogger } from '../log.ts';
import { parseInput } from './parse-query.ts';

const zod = vi.hoisted(() => ({ imported: false }));
vi.mock('zod', async (importOriginal) => {
  zod.imported = true;
  return importOriginal();
});

const dirs: string[] = [];
let daemon: RunningDaemon | null = null;
afterAll(async () => {
  await daemon?.close();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

describe('API input validation', () => {
  it('a daemon (without pricing.json) starts without zod; the first query loads it and validates as before', async () => {
    const configDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cco-parsequery-config-'));
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cco-parsequery-data-'));
    dirs.push(configDir, dataDir);
    daemon = await startDaemon({ port: 0, upstreamUrl: 'http://127.0.0.1:9', dataDir, configDir, pidDir: false, rateLimit: false, log: silentLogger, apiKey: '' });
    expect(zod.imported).toBe(false);
    const get = (p: string) => fetch(daemon!.url + p, { headers: { authorization: `Bearer ${daemon!.token}` } });
    const ok = await get('/api/summary?range=today&tz=Europe/Paris');
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as Summary).totals.requests).toBe(0);
    expect(zod.imported).toBe(true);
    const bad = await get('/api/summary?tz=Mars/Olympus_Mons');
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as ApiError).error.message).toBe('tz: unknown time zone (use an IANA name such as Europe/Paris)');
    const badLimit = await get('/api/requests?limit=0');
    expect(badLimit.status).toBe(400);
    expect(((await badLimit.json()) as ApiError).error.message).toMatch(/^limit: /);
  });

  it('parseInput gives the parsed value or the first issue as "field: message"', async () => {
    expect(await parseInput('requestsQuery', { limit: '20' })).toMatchObject({ ok: true, data: { limit: 20, sort: 'time', order: 'desc' } });
    expect(await parseInput('importBody', { paths: [] , extra: 1 })).toEqual({ ok: false, message: expect.stringMatching(/extra/) as unknown as string });
    expect(await parseInput('summaryQuery', { range: 'custom', from: '5', to: '1' })).toEqual({ ok: false, message: 'query: range=custom needs from < to (epoch milliseconds)' });
  });
});

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { CredentialLimits } from '../../shared/contract.ts';
import { parseRateLimitHeaders } from './parse.ts';
import { createLimitTracker, LIMITS_FILE, NO_CREDENTIAL } from './tracker.ts';

const S = 1_795_000_000;
const T = S * 1000 - 3 * 3_600_000;
const unified = (u5: string, status = 'allowed', reset5 = S) =>
  parseRateLimitHeaders([
    'anthropic-ratelimit-unified-status', status,
    'anthropic-ratelimit-unified-5h-utilization', u5,
    'anthropic-ratelimit-unified-5h-reset', String(reset5),
    'anthropic-ratelimit-unified-5h-status', status,
    'anthropic-ratelimit-unified-7d-utilization', '0.1',
    'anthropic-ratelimit-unified-7d-reset', String(S + 86400 * 3),
  ]);

const dirs: string[] = [];
const tmp = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'cco-limits-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

describe('limit tracker', () => {
  it('keeps the latest state per credential, merges garbled fields with the last good value, and a history', () => {
    const t = createLimitTracker({ dataDir: null });
    t.observe('abc', unified('0.2'), 1e9, T);
    t.observe('abc', unified('0.2'), 1e9, T + 1000); // unchanged value, too soon: no new sample
    t.observe('abc', parseRateLimitHeaders(['anthropic-ratelimit-unified-5h-utilization', 'garbage', 'anthropic-ratelimit-unified-status', 'allowed_warning']), null, T + 2000);
    t.observe('abc', unified('0.35', 'allowed_warning'), 2e9, T + 60_000);
    t.observe(null, unified('0.9'), null, T);
    const c = t.get('abc', T + 60_000)!;
    expect(c.unified!.status).toBe('allowed_warning');
    expect(c.unified!.windows['5h']!.utilization).toBe(0.35);
    expect(c.history['5h']!.map((x) => x.u)).toEqual([0.2, 0.35]);
    expect(c.history['7d']!.map((x) => x.u)).toEqual([0.1]);
    expect(c.forecasts.find((f) => f.window === '5h')!.spendNanoUsd).toBe(4e9);
    expect(t.get(NO_CREDENTIAL)!.unified!.windows['5h']!.utilization).toBe(0.9);
    const snap = t.snapshot(T + 60_000);
    expect(snap.credentials.map((x) => x.credentialId)).toEqual(['abc', NO_CREDENTIAL]);
    expect(snap.binding).toMatchObject({ credentialId: 'abc', window: '5h', utilization: 0.35 });
  });

  it('resets the window spend when the reset time moves', () => {
    const t = createLimitTracker({ dataDir: null });
    t.observe('a', unified('0.5'), 5e9, T);
    t.observe('a', unified('0.01', 'allowed', S + 5 * 3600), 1e9, S * 1000 + 1000);
    const f = t.get('a')!.forecasts.find((x) => x.window === '5h')!;
    expect(f.spendNanoUsd).toBe(1e9);
  });

  it('spend alone never starts tracking a credential; standard buckets are kept', () => {
    const t = createLimitTracker({ dataDir: null });
    t.observe('k', null, 1e9, T);
    expect(t.get('k')).toBeNull();
    t.observe('k', parseRateLimitHeaders(['anthropic-ratelimit-tokens-remaining', '1000', 'anthropic-ratelimit-tokens-limit', '2000']), null, T);
    expect(t.get('k')!.standard).toEqual({ tokens: { limit: 2000, remaining: 1000, resetsAt: null } });
    expect(t.snapshot(T).binding).toBeNull();
  });

  it('persists to limits.json (0600, atomic) and reads it back; a damaged file starts empty', () => {
    const dir = tmp();
    const a = createLimitTracker({ dataDir: dir });
    a.observe('abc', unified('0.4'), 3e9, T);
    a.close();
    const file = path.join(dir, LIMITS_FILE);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.readdirSync(dir)).toEqual([LIMITS_FILE]);
    const b = createLimitTracker({ dataDir: dir });
    expect(b.get('abc', T)!.unified!.windows['5h']!.utilization).toBe(0.4);
    expect(b.get('abc', T)!.history['5h']).toHaveLength(1);
    fs.writeFileSync(file, '{"version":1,"credentials":[{"oops":1}]');
    const warnings: string[] = [];
    const c = createLimitTracker({ dataDir: dir, warn: (m) => warnings.push(m) });
    expect(c.snapshot(T).credentials).toEqual([]);
    expect(warnings[0]).toMatch(/limits\.json: ignored/);
  });

  it('announces changes, throttled, and not when nothing changed', async () => {
    const seen: CredentialLimits[] = [];
    const t = createLimitTracker({ dataDir: null, onChange: (c) => seen.push(c), changeDelayMs: 10 });
    t.observe('a', unified('0.1'), null, T);
    t.observe('a', unified('0.2'), null, T + 1);
    await new Promise((r) => setTimeout(r, 40));
    expect(seen).toHaveLength(1);
    expect(seen[0]!.unified!.windows['5h']!.utilization).toBe(0.2);
    t.observe('a', unified('0.2'), null, T + 2);
    await new Promise((r) => setTimeout(r, 40));
    expect(seen).toHaveLength(1);
    t.close();
  });
});

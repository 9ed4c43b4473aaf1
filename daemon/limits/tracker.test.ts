import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { CredentialLimits, UnifiedLimits } from '../../shared/contract.ts';
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

describe('limit tracker merging (copy on change, no structuredClone)', () => {
  // The merge as it was written first (structuredClone, then JSON.stringify to tell a change): the reference.
  const refUnified = (prev: UnifiedLimits | null, next: UnifiedLimits): UnifiedLimits => {
    if (!prev) return structuredClone(next);
    const out = structuredClone(prev);
    out.status = next.status ?? out.status;
    out.resetsAt = next.resetsAt ?? out.resetsAt;
    out.representativeClaim = next.representativeClaim ?? out.representativeClaim;
    out.fallback = next.fallback ?? out.fallback;
    out.fallbackPercentage = next.fallbackPercentage ?? out.fallbackPercentage;
    for (const w of Object.values(next.windows)) {
      const o = (out.windows[w.name] ??= { name: w.name, utilization: null, resetsAt: null, status: null });
      o.utilization = w.utilization ?? o.utilization;
      o.resetsAt = w.resetsAt ?? o.resetsAt;
      o.status = w.status ?? o.status;
    }
    out.overage.status = next.overage.status ?? out.overage.status;
    out.overage.resetsAt = next.overage.resetsAt ?? out.overage.resetsAt;
    out.overage.inUse = next.overage.inUse ?? out.overage.inUse;
    out.overage.disabledReason = next.overage.disabledReason ?? out.overage.disabledReason;
    Object.assign(out.overage.other, next.overage.other);
    return out;
  };
  type Std = NonNullable<CredentialLimits['standard']>;
  const refStandard = (prev: Std | null, next: Std): Std => {
    const out: Std = prev ? structuredClone(prev) : {};
    for (const [name, b] of Object.entries(next) as [keyof Std, NonNullable<Std[keyof Std]>][]) {
      const o = (out[name] ??= { limit: null, remaining: null, resetsAt: null });
      o.limit = b.limit ?? o.limit;
      o.remaining = b.remaining ?? o.remaining;
      o.resetsAt = b.resetsAt ?? o.resetsAt;
    }
    return out;
  };

  /** Deterministic random header sets: a few values each, some garbled, some absent. */
  const rng = (seed: number) => () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const headers = (r: () => number): string[] => {
    const pick = <T,>(xs: T[]): T => xs[Math.floor(r() * xs.length)]!;
    const raw: string[] = [];
    const maybe = (name: string, values: string[]) => {
      if (r() < 0.6) raw.push(name, pick(values));
    };
    maybe('anthropic-ratelimit-unified-status', ['allowed', 'allowed_warning', 'rejected', '??']);
    maybe('anthropic-ratelimit-unified-reset', [String(S), String(S + 3600), 'x']);
    maybe('anthropic-ratelimit-unified-representative-claim', ['five_hour', 'seven_day']);
    maybe('anthropic-ratelimit-unified-fallback-percentage', ['0.5', '0.25']);
    for (const w of ['5h', '7d', '7d_opus']) {
      maybe(`anthropic-ratelimit-unified-${w}-utilization`, ['0.1', '0.5', '0.93', 'bad']);
      maybe(`anthropic-ratelimit-unified-${w}-reset`, [String(S), String(S + 7200)]);
      maybe(`anthropic-ratelimit-unified-${w}-status`, ['allowed', 'rejected']);
    }
    maybe('anthropic-ratelimit-unified-overage-status', ['allowed', 'rejected']);
    maybe('anthropic-ratelimit-unified-overage-in-use', ['true', 'false']);
    maybe('anthropic-ratelimit-unified-overage-extra', ['a', 'b']);
    for (const b of ['requests', 'tokens', 'input-tokens', 'output-tokens']) {
      maybe(`anthropic-ratelimit-${b}-limit`, ['4000', '2000000']);
      maybe(`anthropic-ratelimit-${b}-remaining`, ['3999', '3998', '1980000', 'x']);
      maybe(`anthropic-ratelimit-${b}-reset`, ['2026-12-07T09:20:51Z', '2026-12-07T09:21:51Z']);
    }
    return raw;
  };

  it('gives what the structuredClone merge gave, and hands onUnified the previous state untouched', () => {
    const r = rng(7);
    for (let run = 0; run < 40; run++) {
      const seen: { before: string; beforeNow: UnifiedLimits | null; after: UnifiedLimits }[] = [];
      const t = createLimitTracker({ dataDir: null, onUnified: (_id, before, after) => seen.push({ before: JSON.stringify(before), beforeNow: before, after }) });
      let refU: UnifiedLimits | null = null;
      let refS: Std | null = null;
      for (let i = 0; i < 30; i++) {
        const parsed = parseRateLimitHeaders(headers(r));
        t.observe('cred', parsed, null, T + i * 1000);
        if (parsed?.unified) refU = refUnified(refU, parsed.unified);
        if (parsed?.standard) refS = refStandard(refS, parsed.standard);
        const got = t.get('cred', T + i * 1000);
        if (!got) continue;
        expect(got.unified).toEqual(refU);
        expect(got.standard).toEqual(refS);
      }
      // `before` as it was when handed over, never edited by a later merge
      for (const s of seen) expect(JSON.stringify(s.beforeNow)).toBe(s.before);
    }
  });

  it('an unchanged standard state is not a change: nothing is saved for it', () => {
    const dir = tmp();
    const file = path.join(dir, LIMITS_FILE);
    const t = createLimitTracker({ dataDir: dir, saveDelayMs: 60_000 });
    const std = parseRateLimitHeaders(['anthropic-ratelimit-requests-limit', '4000', 'anthropic-ratelimit-requests-remaining', '3999']);
    t.observe('k', std, null, T);
    t.flush();
    expect(fs.existsSync(file)).toBe(true);
    fs.rmSync(file);
    t.observe('k', std, null, T + 1);
    t.flush();
    expect(fs.existsSync(file)).toBe(false);
    t.observe('k', parseRateLimitHeaders(['anthropic-ratelimit-requests-remaining', '3998']), null, T + 2);
    t.flush();
    expect(t.get('k')!.standard!.requests).toEqual({ limit: 4000, remaining: 3998, resetsAt: null });
    expect(fs.existsSync(file)).toBe(true);
    t.close();
  });
});

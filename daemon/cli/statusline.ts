/**
 * `cco statusline`: one line for Claude Code's status line (settings.json `statusLine: {type: "command",
 * command: "cco statusline"}`). Reads Claude Code's JSON on stdin (`session_id`, …) and prints today's
 * spend and this session's. Budget: well under 100 ms inside the process — tiny imports (no express, no
 * sql.js, no config parser), a 60 ms cap on the daemon calls, and a 5 s per-session cache file so a busy
 * status line costs the daemon at most a few requests a minute. Prints a neutral line when the daemon
 * is down or slow; never fails.
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { LimitsResponse, Summary } from '../api/contract.ts';
import { MAX_RETRY_AFTER_MS, retryAfterMs } from '../api/retry-after.ts';
import { findDaemon, formatUsd, RateLimitedError, type Io } from './common.ts';

export const NEUTRAL = 'CCO: not running';
const CACHE_TTL_MS = 5000;
const FETCH_BUDGET_MS = 80;

/** The daemon's time to answer: 80 ms, or `CCO_STATUSLINE_BUDGET_MS` (a slow machine, or a test on a loaded one). */
export function fetchBudgetMs(env: NodeJS.ProcessEnv): number {
  const v = Number(env.CCO_STATUSLINE_BUDGET_MS);
  return Number.isInteger(v) && v > 0 ? v : FETCH_BUDGET_MS;
}

/** Claude Code's status-line JSON (every field may be missing or of another type). */
export interface StatusInput {
  session_id?: string;
  model?: { display_name?: string; id?: string };
  rate_limits?: {
    five_hour?: { used_percentage?: unknown; resets_at?: unknown };
    seven_day?: { used_percentage?: unknown; resets_at?: unknown };
  };
}

/** The binding plan limit for the line: window label, used fraction, reset (epoch ms or null). */
export interface LineLimit {
  label: string;
  used: number;
  resetsAt: number | null;
}

/** `resets_at` as Claude Code may send it: unix seconds, epoch ms or an ISO date. */
function resetMs(v: unknown): number | null {
  if (typeof v === 'number' && Number.isFinite(v) && v > 0) return v < 1e12 ? v * 1000 : v;
  if (typeof v === 'string' && v.trim() !== '') {
    if (/^\d+(\.\d+)?$/.test(v.trim())) return resetMs(Number(v));
    const t = Date.parse(v);
    return Number.isFinite(t) ? t : null;
  }
  return null;
}

/** The fuller of Claude Code's own five_hour / seven_day windows on stdin, or null when it sent none. */
export function limitFromInput(input: StatusInput): LineLimit | null {
  const rl = input.rate_limits;
  if (typeof rl !== 'object' || rl === null) return null;
  let best: LineLimit | null = null;
  for (const [key, label] of [['five_hour', '5h'], ['seven_day', '7d']] as const) {
    const w = rl[key];
    if (typeof w !== 'object' || w === null) continue;
    const pct = typeof w.used_percentage === 'number' ? w.used_percentage : typeof w.used_percentage === 'string' ? Number(w.used_percentage) : NaN;
    if (!Number.isFinite(pct) || pct < 0) continue;
    if (!best || pct / 100 > best.used) best = { label, used: pct / 100, resetsAt: resetMs(w.resets_at) };
  }
  return best;
}

/** The daemon's binding window (from the rate-limit headers it saw). */
export function limitFromDaemon(r: LimitsResponse | null): LineLimit | null {
  const b = r?.binding;
  if (!b) return null;
  const label = b.window.replace(/^7d[_-](.+)$/, (_m, model: string) => `7d ${model[0]!.toUpperCase()}${model.slice(1)}`);
  return { label, used: b.utilization, resetsAt: b.resetsAt };
}

function hhmm(t: number): string {
  const d = new Date(t);
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
}

/** Reads stdin JSON when piped (Claude Code closes it after writing); gives up after `ms`. */
export function readStdinJson(stream: NodeJS.ReadStream, ms: number): Promise<StatusInput> {
  if (stream.isTTY) return Promise.resolve({});
  return new Promise((resolve) => {
    let text = '';
    const done = () => {
      clearTimeout(timer);
      stream.off('data', onData);
      stream.off('end', done);
      stream.pause();
      try {
        const v = JSON.parse(text) as unknown;
        resolve(typeof v === 'object' && v !== null ? (v as StatusInput) : {});
      } catch {
        resolve({});
      }
    };
    const onData = (d: Buffer | string) => (text += String(d));
    const timer = setTimeout(done, ms);
    stream.on('data', onData);
    stream.once('end', done);
    stream.once('error', done);
  });
}

export function renderStatus(today: Summary, sessionNano: number | null, limit: LineLimit | null = null, now = Date.now()): string {
  const parts = [`CCO ${formatUsd(today.totals.costNanoUsd)} today`];
  if (sessionNano !== null) parts.push(`${formatUsd(sessionNano)} session`);
  if (today.totals.unpricedRequests) parts.push(`${today.totals.unpricedRequests} unpriced`);
  if (limit) {
    const live = limit.resetsAt === null || limit.resetsAt > now;
    parts.push(`${limit.label} ${Math.round((live ? limit.used : 0) * 100)}%${live && limit.resetsAt !== null ? ` (resets ${hhmm(limit.resetsAt)})` : ''}`);
  }
  return parts.join(' · ');
}

/** GET JSON with node:http (fetch's first call loads undici, which alone costs tens of ms). */
function getJson<T>(base: string, p: string, token: string, deadline: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const req = http.get(new URL(p, base), { headers: { authorization: `Bearer ${token}` }, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => {
        if (res.statusCode === 429) return reject(new RateLimitedError('HTTP 429', retryAfterMs(res.headers['retry-after'])));
        if (res.statusCode !== 200) return reject(new Error(`HTTP ${res.statusCode}`));
        try {
          resolve(JSON.parse(body) as T);
        } catch (err) {
          reject(err as Error);
        }
      });
      res.on('error', reject);
    });
    req.setTimeout(Math.max(1, deadline - performance.now()), () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

async function compute(url: string, token: string, session: string | undefined, budgetMs: number, stdinLimit: LineLimit | null): Promise<string> {
  const deadline = performance.now() + budgetMs;
  const tz = Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  const q = `tz=${encodeURIComponent(tz)}`;
  // This session's spend, exactly: the daemon's per-session rollups over all time (one small query).
  const [today, mine, limits] = await Promise.all([
    getJson<Summary>(url, `/api/summary?range=today&${q}`, token, deadline),
    session
      ? getJson<Summary>(url, `/api/summary?range=all&${q}&session=${encodeURIComponent(session)}`, token, deadline)
      : Promise.resolve(null),
    // Claude Code's own rate_limits on stdin win; otherwise the daemon's view (an older daemon has none).
    stdinLimit ? Promise.resolve(null) : getJson<LimitsResponse>(url, '/api/limits', token, deadline).catch(() => null),
  ]);
  // A daemon too old for ?session= answers the unfiltered summary without echoing `session`: show no figure
  // rather than everyone's spend as this session's.
  const sessionNano = mine && mine.session === session ? mine.totals.costNanoUsd : null;
  return renderStatus(today, sessionNano, stdinLimit ?? limitFromDaemon(limits));
}

interface CacheEntry {
  at: number;
  session: string;
  text: string;
  /** Wall time before which the daemon asked not to be called again (its Retry-After), for every session. */
  retryAt?: number;
}

export async function statuslineCommand(_argv: string[], io: Io, stdin: NodeJS.ReadStream = process.stdin): Promise<number> {
  const input = await readStdinJson(stdin, 30);
  const session = typeof input.session_id === 'string' ? input.session_id : undefined;
  const port = io.env.CCO_PORT && /^\d+$/.test(io.env.CCO_PORT) ? Number(io.env.CCO_PORT) : undefined;
  let entry;
  try {
    entry = findDaemon(io.env, port) ?? (port !== undefined ? findDaemon(io.env) : null);
  } catch {
    entry = null;
  }
  if (!entry) {
    io.out(NEUTRAL + '\n');
    return 0;
  }
  const dataDir = entry.record.data_dir ?? '';
  const cacheFile = path.join(dataDir, 'cache', `statusline-${entry.record.port}.json`);
  let cached: CacheEntry | null = null;
  let retryAt = 0;
  try {
    const c = JSON.parse(fs.readFileSync(cacheFile, 'utf8')) as CacheEntry;
    if (c.session === (session ?? '')) cached = c;
    retryAt = c.retryAt ?? 0;
  } catch {
    // no cache yet
  }
  if (cached && Date.now() - cached.at < CACHE_TTL_MS && Date.now() >= cached.at) {
    io.out(cached.text + '\n');
    return 0;
  }
  // Slow, failing or busy daemon: the last known line (up to 10 minutes old) beats an empty one.
  const fallback = () => io.out(cached && Date.now() - cached.at < 600_000 ? `${cached.text} (stale)\n` : 'CCO: …\n');
  // The daemon said 429 with Retry-After: do not ask again before then (a wall-clock step back cannot
  // stretch the wait past the longest Retry-After a client accepts).
  if (Date.now() < retryAt && retryAt - Date.now() <= MAX_RETRY_AFTER_MS) {
    fallback();
    return 0;
  }
  let text: string;
  try {
    const token = fs.readFileSync(path.join(dataDir, 'token'), 'utf8').trim();
    text = await compute(entry.record.url, token, session, fetchBudgetMs(io.env), limitFromInput(input));
  } catch (err) {
    fallback();
    if (err instanceof RateLimitedError) {
      try {
        fs.mkdirSync(path.dirname(cacheFile), { recursive: true, mode: 0o700 });
        const keep: CacheEntry = cached ?? { at: 0, session: session ?? '', text: '' };
        fs.writeFileSync(cacheFile, JSON.stringify({ ...keep, retryAt: Date.now() + err.retryAfterMs } satisfies CacheEntry));
      } catch {
        // cache is best effort
      }
    }
    return 0;
  }
  io.out(text + '\n');
  try {
    fs.mkdirSync(path.dirname(cacheFile), { recursive: true, mode: 0o700 });
    fs.writeFileSync(cacheFile, JSON.stringify({ at: Date.now(), session: session ?? '', text } satisfies CacheEntry));
  } catch {
    // cache is best effort
  }
  return 0;
}

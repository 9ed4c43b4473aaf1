/**
 * `cco statusline [--data-dir DIR]`: one line for Claude Code's status line. Reads Claude Code's JSON on
 * stdin (`session_id`, `model`, `rate_limits`) and prints today's spend, this session's (with this
 * session's unpriced requests), the binding plan limit or else the active 5-hour block, and the model.
 * `cco setup claude` writes a fast command for it (statusline-install.ts): the tiny bundle with
 * `--data-dir`, so the daemon's PID file and token are found whatever HOME the status line runs with
 * (`CCO_DATA_DIR` does the same). Budget: well under 100 ms inside the process — tiny imports (no express, no
 * sql.js, no config parser), a 60 ms cap on the daemon calls, and a 5 s per-session cache file so a busy
 * status line costs the daemon at most a few requests a minute. Prints a neutral line when the daemon
 * is down or slow; never fails.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { BlocksResponse, LimitsResponse, Summary, UsageBlock } from '../../shared/contract.ts';
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
  /** What the line shows last: `display_name` (e.g. "Sonnet 4.5"), else `id`. */
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

const asInput = (v: unknown): StatusInput => (typeof v === 'object' && v !== null ? (v as StatusInput) : {});

/**
 * Claude Code's JSON from file descriptor 0 without `process.stdin` (whose first use loads net and the
 * streams: milliseconds on every status update). Reads until the text parses or the writer closes. Null
 * when fd 0 is a terminal or cannot be read this way (then the stream path runs).
 */
export function readStdinSync(fd = 0): StatusInput | null {
  let st: fs.Stats;
  try {
    st = fs.fstatSync(fd);
  } catch {
    return {};
  }
  if (!st.isFIFO() && !st.isFile() && !st.isSocket()) return null;
  const buf = Buffer.alloc(64 * 1024);
  let text = '';
  for (;;) {
    let n: number;
    try {
      n = fs.readSync(fd, buf, 0, buf.length, null);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EAGAIN' && text === '') return null;
      break;
    }
    if (n === 0) break;
    text += buf.toString('utf8', 0, n);
    try {
      return asInput(JSON.parse(text));
    } catch {
      // not all of it yet
    }
  }
  try {
    return asInput(JSON.parse(text));
  } catch {
    return {};
  }
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

/** This session's figures (null: no session, or a daemon too old to narrow a summary to one). */
export interface SessionSpend {
  costNanoUsd: number;
  unpricedRequests: number;
}

function left(ms: number): string {
  const m = Math.max(0, Math.round(ms / 60_000));
  return m >= 60 ? `${Math.floor(m / 60)}h ${m % 60}m` : `${m}m`;
}

/**
 * `CCO $4.20 today · $0.85 session (1 unpriced) · 5h 63% (resets 16:00)`, or with no plan limit known
 * `… · block $2.10, 2h 10m left`. The model is added by the caller (it is not cached).
 */
export function renderStatus(today: Summary, session: SessionSpend | null, limit: LineLimit | null = null, block: UsageBlock | null = null, now = Date.now()): string {
  const parts = [`CCO ${formatUsd(today.totals.costNanoUsd)} today`];
  if (session !== null) parts.push(`${formatUsd(session.costNanoUsd)} session${session.unpricedRequests ? ` (${session.unpricedRequests} unpriced)` : ''}`);
  if (limit) {
    const live = limit.resetsAt === null || limit.resetsAt > now;
    parts.push(`${limit.label} ${Math.round((live ? limit.used : 0) * 100)}%${live && limit.resetsAt !== null ? ` (resets ${hhmm(limit.resetsAt)})` : ''}`);
  } else if (block && block.active && block.end > now) {
    parts.push(`block ${formatUsd(block.costNanoUsd)}, ${left(block.end - now)} left`);
  }
  return parts.join(' · ');
}

/** The model Claude Code says it runs, for the end of the line. */
export function modelOf(input: StatusInput): string | null {
  const m = input.model;
  if (typeof m !== 'object' || m === null) return null;
  const name = typeof m.display_name === 'string' && m.display_name ? m.display_name : typeof m.id === 'string' ? m.id : '';
  return name ? name.slice(0, 40) : null;
}

/** GET JSON with node:http (fetch's first call loads undici, which alone costs tens of ms). */
async function getJson<T>(base: string, p: string, token: string, deadline: number): Promise<T> {
  const http = await import('node:http');
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
  // The plan limit (unless Claude Code sent its own) and the active block are extras: a daemon without
  // them, or one too slow for them, still gets the two figures.
  const [today, mine, limits, blocks] = await Promise.all([
    getJson<Summary>(url, `/api/summary?range=today&${q}&sessions=0`, token, deadline),
    session
      ? getJson<Summary>(url, `/api/summary?range=all&${q}&sessions=0&session=${encodeURIComponent(session)}`, token, deadline)
      : Promise.resolve(null),
    stdinLimit ? Promise.resolve(null) : getJson<LimitsResponse>(url, '/api/limits', token, deadline).catch(() => null),
    stdinLimit ? Promise.resolve(null) : getJson<BlocksResponse>(url, '/api/blocks?active=1', token, deadline).catch(() => null),
  ]);
  // A daemon too old for ?session= answers the unfiltered summary without echoing `session`: show no figure
  // rather than everyone's spend as this session's.
  const spend = mine && mine.session === session ? { costNanoUsd: mine.totals.costNanoUsd, unpricedRequests: mine.totals.unpricedRequests } : null;
  return renderStatus(today, spend, stdinLimit ?? limitFromDaemon(limits), blocks?.active ?? null);
}

/** `<data>/cache/statusline-<port>.json`: the last line per session, and the daemon's Retry-After. */
interface CacheFile {
  sessions: Record<string, { at: number; text: string }>;
  /** Wall time before which the daemon asked not to be called again (its Retry-After), for every session. */
  retryAt?: number;
}

/** Lines younger than this are printed at once while a detached process refreshes them. */
const SERVE_STALE_MS = 60_000;

/** `--data-dir DIR` (or `--data-dir=DIR`): where the daemon's PID files and token are, whatever HOME says. */
export function dataDirArg(argv: string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--data-dir') return argv[i + 1];
    if (a.startsWith('--data-dir=')) return a.slice('--data-dir='.length);
  }
  return undefined;
}

/** Starts this program again, detached, to refresh the cached line (`--refresh`, the input in the env). */
export type Refresher = (input: StatusInput) => Promise<void> | void;

/** The entry points' refresher: the same Node and script with the same arguments plus `--refresh`. */
export const spawnRefresh: Refresher = async (input) => {
  // Loaded only here: a line served from the cache loads neither child_process nor http (each costs
  // milliseconds of module loading on every status update).
  const { spawn } = await import('node:child_process');
  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1), '--refresh'], {
    detached: true,
    stdio: 'ignore',
    env: { ...process.env, CCO_STATUSLINE_INPUT: JSON.stringify(input) },
  });
  child.unref();
};

function readCache(file: string): CacheFile {
  try {
    const c = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<CacheFile>;
    return { sessions: typeof c.sessions === 'object' && c.sessions !== null ? c.sessions : {}, ...(typeof c.retryAt === 'number' && { retryAt: c.retryAt }) };
  } catch {
    return { sessions: {} };
  }
}

function writeCache(file: string, update: (c: CacheFile) => void): void {
  try {
    const c = readCache(file);
    update(c);
    const now = Date.now();
    for (const [k, v] of Object.entries(c.sessions)) if (!(now - v.at < 600_000)) delete c.sessions[k];
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    const tmp = `${file}.${process.pid}`;
    fs.writeFileSync(tmp, JSON.stringify(c), { mode: 0o600 });
    fs.renameSync(tmp, file);
  } catch {
    // cache is best effort
  }
}

/** One refresher at a time per daemon: a lock file younger than 10 s means one is running. */
function takeRefreshLock(file: string): boolean {
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    fs.writeFileSync(file, String(process.pid), { flag: 'wx' });
    return true;
  } catch {
    try {
      if (Date.now() - fs.statSync(file).mtimeMs > 10_000) {
        fs.writeFileSync(file, String(process.pid));
        return true;
      }
    } catch {
      // gone meanwhile: let the next run try
    }
    return false;
  }
}

/**
 * `refresh`: how to refresh a cached line in the background (the entry points pass `spawnRefresh`); without
 * it every stale line is fetched in the foreground, within the budget.
 */
/** `stdin`: a stream to read Claude Code's JSON from; undefined = file descriptor 0, read without `process.stdin`. */
export async function statuslineCommand(argv: string[], io: Io, stdin?: NodeJS.ReadStream, refresh?: Refresher): Promise<number> {
  const dir = dataDirArg(argv);
  if (dir) io = { ...io, env: { ...io.env, CCO_DATA_DIR: dir } };
  const refreshing = argv.includes('--refresh');
  let input: StatusInput;
  if (refreshing) {
    try {
      input = JSON.parse(io.env.CCO_STATUSLINE_INPUT ?? '{}') as StatusInput;
    } catch {
      input = {};
    }
  } else input = (stdin === undefined ? readStdinSync() : null) ?? (await readStdinJson(stdin ?? process.stdin, 30));
  const model = modelOf(input);
  const print = (line: string) => {
    if (!refreshing) io.out(`${line}${model ? ` · ${model}` : ''}\n`);
  };
  const session = typeof input.session_id === 'string' ? input.session_id : '';
  const port = io.env.CCO_PORT && /^\d+$/.test(io.env.CCO_PORT) ? Number(io.env.CCO_PORT) : undefined;
  let entry;
  try {
    entry = findDaemon(io.env, port) ?? (port !== undefined ? findDaemon(io.env) : null);
  } catch {
    entry = null;
  }
  if (!entry) {
    if (!refreshing) io.out(NEUTRAL + '\n');
    return 0;
  }
  const dataDir = entry.record.data_dir ?? '';
  const cacheFile = path.join(dataDir, 'cache', `statusline-${entry.record.port}.json`);
  const lockFile = `${cacheFile}.refresh`;
  const cache = readCache(cacheFile);
  const cached = cache.sessions[session] ?? null;
  const age = cached ? Date.now() - cached.at : Infinity;
  // The daemon said 429 with Retry-After: do not ask again before then (a wall-clock step back cannot
  // stretch the wait past the longest Retry-After a client accepts).
  const waiting = Date.now() < (cache.retryAt ?? 0) && (cache.retryAt ?? 0) - Date.now() <= MAX_RETRY_AFTER_MS;
  if (!refreshing && cached && age >= 0 && age < CACHE_TTL_MS) {
    print(cached.text);
    return 0;
  }
  // Stale while revalidate: the last line now, a fresh one for the next update (Claude Code updates often).
  if (!refreshing && refresh && cached && age >= 0 && age < SERVE_STALE_MS) {
    print(cached.text);
    if (!waiting && takeRefreshLock(lockFile)) await refresh(input);
    return 0;
  }
  // Slow, failing or busy daemon: the last known line (up to 10 minutes old) beats an empty one.
  const fallback = () => print(cached && age >= 0 && age < 600_000 ? `${cached.text} (stale)` : 'CCO: …');
  if (waiting) {
    fallback();
    return 0;
  }
  try {
    const token = fs.readFileSync(path.join(dataDir, 'token'), 'utf8').trim();
    // Nobody waits for a background refresh: it may take the daemon's time (up to 5 s).
    const text = await compute(entry.record.url, token, session || undefined, refreshing ? Math.max(5000, fetchBudgetMs(io.env)) : fetchBudgetMs(io.env), limitFromInput(input));
    print(text);
    writeCache(cacheFile, (c) => void (c.sessions[session] = { at: Date.now(), text }));
  } catch (err) {
    fallback();
    if (err instanceof RateLimitedError) writeCache(cacheFile, (c) => void (c.retryAt = Date.now() + err.retryAfterMs));
  } finally {
    if (refreshing) fs.rmSync(lockFile, { force: true });
  }
  return 0;
}

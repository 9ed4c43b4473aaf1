/**
 * `cco tui`: a live terminal view in plain ANSI — today's and this month's spend, spend by model, the last
 * requests — updated from the live feed (WS /api/live; summaries re-read at most twice a second after a
 * new record, never polled). `q` or Ctrl-C quits. `renderTui` is pure; `runTui` takes its streams so tests
 * drive it without a terminal.
 */
import type { Readable, Writable } from 'node:stream';
import WebSocket from 'ws';
import type { LimitsResponse, LiveMessage, RequestPage, RequestRecord, Summary } from '../api/contract.ts';
import { formatLimits } from './limits-cmd.ts';
import { formatUsd, getJson, parse, parsePortArg, RateLimitedError, readToken, requireDaemon, type Io } from './common.ts';

export interface TuiState {
  url: string;
  today: Summary | null;
  month: Summary | null;
  recent: RequestRecord[];
  connection: 'connecting' | 'live' | 'reconnecting';
  error: string | null;
  /** Plan limits (GET /api/limits); null until read, or from a daemon without them. */
  limits?: LimitsResponse | null;
}

const pad = (s: string, n: number) => (s.length > n ? s.slice(0, Math.max(0, n - 1)) + '…' : s.padEnd(n));
const BOLD = '\x1b[1m';
const DIM = '\x1b[2m';
const RESET = '\x1b[0m';

const ESC = String.fromCharCode(27);
export const stripAnsi = (s: string) => s.split(ESC).map((part, i) => (i === 0 ? part : part.replace(/^\[[0-9;?]*[A-Za-z]/, ''))).join('');

function time(ms: number): string {
  const d = new Date(ms);
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
}

/** The whole screen as text (ANSI styling, lines cut to `width`, at most `height` lines). */
export function renderTui(s: TuiState, width = 80, height = 24): string {
  const w = Math.max(40, width);
  const lines: string[] = [];
  const status = s.connection === 'live' ? 'live' : s.connection;
  lines.push(`${BOLD}CCO${RESET} ${s.url}  ${DIM}[${status}]  q quits${RESET}`);
  if (s.error) lines.push(`! ${s.error}`);
  lines.push('');
  const tot = (x: Summary | null) => (x ? `${formatUsd(x.totals.costNanoUsd)}  ${x.totals.requests} req${x.totals.unpricedRequests ? `  ${x.totals.unpricedRequests} unpriced` : ''}` : '…');
  lines.push(`${BOLD}Today${RESET}       ${tot(s.today)}`);
  lines.push(`${BOLD}This month${RESET}  ${tot(s.month)}`);
  const limitLines = s.limits && s.limits.credentials.some((c) => c.unified) ? formatLimits({ ...s.limits, credentials: s.limits.credentials.filter((c) => c.unified).slice(0, 2) }, Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC', { forecasts: true }) : [];
  if (limitLines.length) {
    lines.push('');
    lines.push(`${BOLD}Plan limits${RESET}`);
    lines.push(...limitLines.map((l) => `  ${l}`));
  }
  lines.push('');
  lines.push(`${BOLD}By model (month)${RESET}`);
  const models = s.month?.byModel.slice(0, 6) ?? [];
  if (!models.length) lines.push(`${DIM}  no requests yet${RESET}`);
  for (const m of models) lines.push(`  ${pad(m.key, w - 26)} ${formatUsd(m.costNanoUsd).padStart(10)} ${String(m.requests).padStart(7)} req`);
  lines.push('');
  lines.push(`${BOLD}Last requests${RESET}`);
  const room = Math.max(1, height - lines.length - 1);
  if (!s.recent.length) lines.push(`${DIM}  none yet: point Claude Code at ${s.url}${RESET}`);
  for (const r of s.recent.slice(0, room)) {
    const cost = r.costNanoUsd === null ? (r.billable ? 'unpriced' : '-') : formatUsd(r.costNanoUsd);
    const tokens = r.tokens.input + r.tokens.cacheWrite5m + r.tokens.cacheWrite1h + r.tokens.cacheRead;
    lines.push(`  ${time(r.startedAt)} ${pad(r.model ?? r.modelRequested ?? r.path, 28)} ${String(tokens).padStart(8)} in ${String(r.tokens.output).padStart(6)} out ${cost.padStart(9)} ${r.state === 'complete' ? '' : r.state}`);
  }
  return lines
    .slice(0, height)
    .map((l) => (stripAnsi(l).length > w ? l.slice(0, w) : l))
    .join('\n');
}

export interface TuiIo {
  input: Readable & { setRawMode?: (on: boolean) => unknown; isTTY?: boolean };
  output: Writable & { columns?: number; rows?: number };
}

/** Runs until `q`/Ctrl-C on input (or the input ends). */
export async function runTui(url: string, token: string, tio: TuiIo): Promise<void> {
  const state: TuiState = { url, today: null, month: null, recent: [], connection: 'connecting', error: null };
  const tz = Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  const draw = () => tio.output.write(`\x1b[H\x1b[2J${renderTui(state, tio.output.columns ?? 80, tio.output.rows ?? 24)}\n`);
  // After a 429, nothing is fetched until the daemon's Retry-After has passed; then one load catches up.
  let rateWait: NodeJS.Timeout | null = null;
  const load = async () => {
    if (rateWait) return;
    try {
      const [today, month, page] = await Promise.all([
        getJson<Summary>(`${url}/api/summary?range=today&tz=${encodeURIComponent(tz)}`, token),
        getJson<Summary>(`${url}/api/summary?range=month&tz=${encodeURIComponent(tz)}`, token),
        getJson<RequestPage>(`${url}/api/requests?limit=20`, token),
      ]);
      Object.assign(state, { today, month, recent: page.items, error: null });
      // Plan limits only once the spend reads went through (so a 429 wait covers them too); a daemon without
      // the route, or any odd answer, just shows none.
      const limits = await getJson<LimitsResponse>(`${url}/api/limits`, token).catch(() => null);
      state.limits = limits && Array.isArray(limits.credentials) ? limits : null;
    } catch (err) {
      state.error = (err as Error).message;
      if (err instanceof RateLimitedError && !stopped) {
        rateWait = setTimeout(() => {
          rateWait = null;
          void load();
        }, err.retryAfterMs);
      }
    }
    draw();
  };
  let refetch: NodeJS.Timeout | null = null;
  let ws: WebSocket | null = null;
  let retry: NodeJS.Timeout | null = null;
  let stopped = false;
  const connect = () => {
    ws = new WebSocket(`${url.replace(/^http/, 'ws')}/api/live`, { headers: { authorization: `Bearer ${token}` } });
    ws.on('open', () => {
      state.connection = 'live';
      void load();
    });
    ws.on('message', (data) => {
      const msg = JSON.parse(String(data)) as LiveMessage;
      if (msg.type === 'limits') {
        refetch ??= setTimeout(() => {
          refetch = null;
          void load();
        }, 500);
        return;
      }
      if (msg.type !== 'request') return;
      state.recent = [msg.record, ...state.recent.filter((r) => r.id !== msg.record.id)].slice(0, 50);
      draw();
      refetch ??= setTimeout(() => {
        refetch = null;
        void load();
      }, 500);
    });
    ws.on('error', () => {});
    ws.on('close', () => {
      if (stopped) return;
      state.connection = 'reconnecting';
      draw();
      retry = setTimeout(connect, 2000);
    });
  };

  tio.output.write('\x1b[?1049h\x1b[?25l');
  tio.input.setRawMode?.(true);
  tio.input.resume();
  draw();
  connect();
  await new Promise<void>((resolve) => {
    const onData = (d: Buffer | string) => {
      const s = String(d);
      if (s.includes('q') || s.includes('Q') || s.includes('\u0003')) finish();
    };
    const finish = () => {
      tio.input.off('data', onData);
      tio.input.off('end', finish);
      resolve();
    };
    tio.input.on('data', onData);
    tio.input.once('end', finish);
    tio.output.on?.('resize', draw);
  });
  stopped = true;
  if (rateWait) clearTimeout(rateWait);
  if (refetch) clearTimeout(refetch);
  if (retry) clearTimeout(retry);
  (ws as WebSocket | null)?.terminate();
  tio.output.off?.('resize', draw);
  tio.input.setRawMode?.(false);
  tio.input.pause();
  tio.output.write('\x1b[?25h\x1b[?1049l');
}

export async function tuiCommand(argv: string[], io: Io, tio: TuiIo = { input: process.stdin, output: process.stdout }): Promise<number> {
  const { values } = parse(argv, { port: { type: 'string' } }, 'Usage: cco tui [--port N]');
  const entry = requireDaemon(io.env, parsePortArg(values.port));
  await runTui(entry.record.url, readToken(entry, io.env), tio);
  return 0;
}

/**
 * `cco tui`: a live terminal view in plain ANSI — today's and this month's spend, the active 5-hour block
 * with its burn rate, plan limits, and one of four views (models, projects, sessions, requests; keys on
 * screen), with the last requests below. Fed by the live feed (WS /api/live): the summaries are read once
 * (at start, after a reconnect, after a history import, at local midnight) and every new record is folded
 * into them with the store's own rules (tui-state.ts), so the numbers stay exact without polling the API.
 * Plan limits are re-read only when the feed says they changed. `renderTui` is pure; `runTui` takes its
 * streams so tests drive it without a terminal.
 */
import type { Readable, Writable } from 'node:stream';
import WebSocket from 'ws';
import type { BlocksResponse, LimitsResponse, LiveMessage, RequestPage, RequestRecord, SpendGroup, SpendTotals, Summary, UsageBlock } from '../../shared/contract.ts';
import { formatCount, formatTokens, formatUsd } from '../api/format.ts';
import { requestOutcome } from '../api/outcome.ts';
import { projectLabeler } from '../api/project-labels.ts';
import { blockEntry, BlockBuilder } from '../blocks/blocks.ts';
import { startOfNextDay } from '../store/tz.ts';
import { formatLimits } from './limits-cmd.ts';
import { formatDuration, getJson, parse, parsePortArg, RateLimitedError, readToken, requireDaemon, type Io } from './common.ts';
import { byCost, foldRecord } from './tui-state.ts';

export type TuiView = 'models' | 'projects' | 'sessions' | 'requests';
const VIEW_KEYS: Record<string, TuiView> = { m: 'models', p: 'projects', s: 'sessions', r: 'requests' };

export interface TuiState {
  url: string;
  today: Summary | null;
  month: Summary | null;
  recent: RequestRecord[];
  connection: 'connecting' | 'live' | 'reconnecting';
  error: string | null;
  /** Plan limits (GET /api/limits); null until read, or from a daemon without them. */
  limits?: LimitsResponse | null;
  /** The running 5-hour block (null: none running). */
  block?: UsageBlock | null;
  view?: TuiView;
  /** Projects of sessions seen in requests (the sessions view shows them). */
  sessionProjects?: Map<string, string>;
  /** Clock for countdowns (tests fix it). */
  now?: number;
}

const BOLD = '\x1b[1m';
const DIM = '\x1b[2m';
const RESET = '\x1b[0m';

const ESC = String.fromCharCode(27);
export const stripAnsi = (s: string) => s.split(ESC).map((part, i) => (i === 0 ? part : part.replace(/^\[[0-9;?]*[A-Za-z]/, ''))).join('');

const cut = (s: string, n: number) => (s.length > n ? s.slice(0, Math.max(0, n - 1)) + '…' : s);
const pad = (s: string, n: number) => cut(s, n).padEnd(n);
const cutStart = (s: string, n: number) => (s.length > n ? '…' + s.slice(s.length - n + 1) : s.padEnd(n));

function clock(ms: number, seconds = false): string {
  const d = new Date(ms);
  return [d.getHours(), d.getMinutes(), ...(seconds ? [d.getSeconds()] : [])].map((n) => String(n).padStart(2, '0')).join(':');
}

/** Spend that may be partly unpriced: never $0.00 for requests CCO could not price. */
function spend(t: Pick<SpendTotals, 'requests' | 'unpricedRequests' | 'costNanoUsd'>): string {
  if (t.requests > 0 && t.unpricedRequests === t.requests) return 'unpriced';
  return formatUsd(t.costNanoUsd);
}

function totalsLine(label: string, summary: Summary | null): string {
  const t = summary?.totals;
  if (!t) return `${label.padEnd(11)} …`;
  const unpriced = t.unpricedRequests && t.unpricedRequests !== t.requests ? `  ${formatCount(t.unpricedRequests)} unpriced` : '';
  const errors = summary.errors?.requests ? `  ${formatCount(summary.errors.requests)} errors` : '';
  return `${label.padEnd(11)} ${spend(t)}  ${formatCount(t.requests)} req${unpriced}${errors}`;
}

function blockLines(b: UsageBlock | null | undefined, now: number): string[] {
  if (b === undefined) return [];
  if (b === null || !b.active) return ['5h block    none running'];
  const left = formatDuration((b.end - now) / 1000);
  const first = `5h block    ${clock(b.start)}-${clock(b.end)}  ${spend(b)}  ${formatTokens(b.totalTokens)} tok  ${left} left`;
  const burn = b.burn ? `${formatUsd(b.burn.costNanoUsdPerHour)}/h, ${formatTokens(Math.round(b.burn.tokensPerMinute))} tok/min` : 'one request so far';
  const proj = b.projection ? ` → ${formatUsd(b.projection.costNanoUsd)} by ${clock(b.end)}` : '';
  return [first, `  burn      ${burn}${proj}`];
}

/** Rows of a breakdown; paths are cut from the start (their end names the project). */
function groupRows(groups: SpendGroup[], w: number, label: (key: string) => string, cutFrom: 'start' | 'end' = 'end'): string[] {
  const keyW = Math.min(48, w - 29);
  return byCost(groups).map((g) => {
    const unpriced = g.unpricedRequests && g.unpricedRequests !== g.requests ? ` +${g.unpricedRequests} unpriced` : '';
    const key = cutFrom === 'start' ? cutStart(label(g.key), keyW) : pad(label(g.key), keyW);
    return `  ${key} ${spend(g).padStart(11)} ${formatCount(g.requests).padStart(8)} req${unpriced}`;
  });
}

function requestRow(r: RequestRecord, w: number): string {
  const cost = r.costNanoUsd === null ? (r.billable ? 'unpriced' : '-') : formatUsd(r.costNanoUsd);
  const tokensIn = r.tokens.input + r.tokens.cacheWrite5m + r.tokens.cacheWrite1h + r.tokens.cacheRead;
  const outcome = requestOutcome(r);
  const modelW = Math.max(8, Math.min(30, w - 46));
  return `  ${clock(r.startedAt, true)} ${pad(r.model ?? r.modelRequested ?? r.path, modelW)} ${formatTokens(tokensIn).padStart(6)} in ${formatTokens(r.tokens.output).padStart(6)} out ${cost.padStart(9)} ${outcome.kind === 'complete' ? '' : outcome.label}`;
}

/** The whole screen as text (ANSI styling, lines cut to `width`, at most `height` lines). */
export function renderTui(s: TuiState, width = 80, height = 24): string {
  const w = Math.max(40, width);
  const now = s.now ?? Date.now();
  const view = s.view ?? 'models';
  const lines: { text: string; style?: string }[] = [];
  const add = (text: string, style?: string) => lines.push({ text, style });
  add(`CCO ${s.url.replace(/^https?:\/\//, '')}  [${s.connection}]  q quits`, BOLD);
  if (s.error) add(`! ${s.error}`);
  add('');
  add(totalsLine('Today', s.today));
  add(totalsLine('This month', s.month));
  for (const l of blockLines(s.block, now)) add(l);
  const limitLines =
    s.limits && s.limits.credentials.some((c) => c.unified)
      ? formatLimits({ ...s.limits, credentials: s.limits.credentials.filter((c) => c.unified).slice(0, 2) }, Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC', { forecasts: true })
      : [];
  if (limitLines.length) {
    add('');
    add('Plan limits', BOLD);
    for (const l of limitLines) add(`  ${l}`);
  }
  add('');
  add(['[m] models', '[p] projects', '[s] sessions', '[r] requests'].map((k) => (k.includes(view) ? k.toUpperCase() : k)).join('  '), DIM);
  const sessionGroups = s.month?.bySession ?? [];
  // Projects by their shortest unique path suffix ("a/my-app", "b/my-app"), as on the dashboard.
  const label = projectLabeler([...(s.month?.byProject ?? []).map((g) => g.key), ...sessionGroups.map((g) => g.project)]);
  const sessionProject = (key: string) => {
    const p = sessionGroups.find((g) => g.key === key)?.project ?? s.sessionProjects?.get(key);
    const id = key.length > 12 && key !== '(none)' ? key.slice(0, 8) : key;
    return p ? `${id} ${label(p)}` : id;
  };
  let rows: string[];
  let title: string;
  if (view === 'requests') {
    title = 'Last requests';
    rows = s.recent.map((r) => requestRow(r, w));
  } else {
    const month = s.month;
    const groups = view === 'models' ? month?.byModel : view === 'projects' ? month?.byProject : month?.bySession;
    title = `By ${view === 'models' ? 'model' : view === 'projects' ? 'project' : 'session'} (this month)`;
    rows = groupRows(groups ?? [], w, view === 'sessions' ? sessionProject : view === 'projects' ? label : (k) => k, view === 'projects' ? 'start' : 'end');
  }
  add(title, BOLD);
  if (!rows.length) add(view === 'requests' ? `  none yet: point Claude Code at ${s.url}` : '  no requests yet', DIM);
  // The view gets the room, leaving the last requests what is left (at least 3 lines when there is room).
  const room = height - lines.length;
  const showRecent = view !== 'requests' && room - Math.min(rows.length, room) >= 3;
  const viewRows = showRecent ? rows.slice(0, Math.max(1, room - Math.min(s.recent.length, 5) - 1 - 1)) : rows.slice(0, Math.max(0, room));
  for (const r of viewRows) add(r);
  if (view !== 'requests' && height - lines.length >= 3) {
    add('Last requests', BOLD);
    if (!s.recent.length) add(`  none yet: point Claude Code at ${s.url}`, DIM);
    for (const r of s.recent.slice(0, height - lines.length)) add(requestRow(r, w));
  }
  return lines
    .slice(0, height)
    .map(({ text, style }) => {
      const t = cut(text, w);
      return style ? `${style}${t}${RESET}` : t;
    })
    .join('\n');
}

export interface TuiIo {
  input: Readable & { setRawMode?: (on: boolean) => unknown; isTTY?: boolean };
  output: Writable & { columns?: number; rows?: number };
}

/** Runs until `q`/Ctrl-C on input (or the input ends). */
export async function runTui(url: string, token: string, tio: TuiIo): Promise<void> {
  const state: TuiState = { url, today: null, month: null, recent: [], connection: 'connecting', error: null, view: 'models', sessionProjects: new Map() };
  const tz = Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  const q = `tz=${encodeURIComponent(tz)}`;
  const draw = () => {
    state.now = Date.now();
    // No newline after the last line: on a full screen it would scroll the header away.
    tio.output.write(`\x1b[H\x1b[2J${renderTui(state, tio.output.columns ?? 80, tio.output.rows ?? 24)}`);
  };
  let blocks = BlockBuilder.resume(null);
  let midnight = Infinity;
  const learnProject = (r: RequestRecord) => {
    if (r.sessionId && r.project) state.sessionProjects!.set(r.sessionId, r.project);
  };
  /** Folds one live record into everything on screen. */
  const fold = (r: RequestRecord) => {
    if (state.today) foldRecord(state.today, r);
    if (state.month) foldRecord(state.month, r);
    if (r.billable) {
      blocks.add(blockEntry(r));
      state.block = blocks.active(Date.now());
    }
    learnProject(r);
    state.recent = [r, ...state.recent.filter((x) => x.id !== r.id)].slice(0, 50);
  };

  // Reads: at start, after a reconnect, after an import, at midnight, and once more after a record raced
  // a read (it may or may not be in the answer). After a 429, nothing is read until Retry-After has passed.
  let rateWait: NodeJS.Timeout | null = null;
  let loading = false;
  let raced = false;
  let quiet: NodeJS.Timeout | null = null;
  const load = async () => {
    if (rateWait || loading) return;
    loading = true;
    raced = false;
    try {
      const [today, month, page] = await Promise.all([
        getJson<Summary>(`${url}/api/summary?range=today&${q}&sessions=0`, token),
        getJson<Summary>(`${url}/api/summary?range=month&${q}`, token),
        getJson<RequestPage>(`${url}/api/requests?limit=20`, token),
      ]);
      Object.assign(state, { today, month, recent: page.items, error: null });
      page.items.forEach(learnProject);
      midnight = startOfNextDay(Date.now(), tz);
      // The block and the plan limits once the spend reads went through (so a 429 wait covers them too); a
      // daemon without these routes, or any odd answer, just shows none.
      const [b, limits] = await Promise.all([
        getJson<BlocksResponse>(`${url}/api/blocks?active=1`, token).catch(() => null),
        getJson<LimitsResponse>(`${url}/api/limits`, token).catch(() => null),
      ]);
      blocks = BlockBuilder.resume(b && Array.isArray(b.blocks) ? b.blocks.at(-1) : null);
      state.block = b && Array.isArray(b.blocks) ? blocks.active(Date.now()) : undefined;
      state.limits = limits && Array.isArray(limits.credentials) ? limits : null;
    } catch (err) {
      state.error = (err as Error).message;
      if (err instanceof RateLimitedError && !stopped) {
        rateWait = setTimeout(() => {
          rateWait = null;
          void load();
        }, err.retryAfterMs);
      }
    } finally {
      loading = false;
    }
    draw();
  };
  const loadLimits = async () => {
    const limits = await getJson<LimitsResponse>(`${url}/api/limits`, token).catch(() => null);
    if (limits && Array.isArray(limits.credentials)) state.limits = limits;
    draw();
  };
  let ws: WebSocket | null = null;
  let retry: NodeJS.Timeout | null = null;
  let stopped = false;
  let importing = false;
  const connect = () => {
    ws = new WebSocket(`${url.replace(/^http/, 'ws')}/api/live`, { headers: { authorization: `Bearer ${token}` } });
    ws.on('open', () => {
      state.connection = 'live';
      void load();
    });
    ws.on('message', (data) => {
      let msg: LiveMessage;
      try {
        msg = JSON.parse(String(data)) as LiveMessage;
      } catch {
        return;
      }
      if (msg.type === 'limits') return void loadLimits();
      if (msg.type === 'import') {
        // A finished import stored records the feed did not carry one by one: read the summaries again.
        if (importing && !msg.status.running && (msg.status.last?.imported ?? 0) > 0) void load();
        importing = msg.status.running;
        return;
      }
      if (msg.type !== 'request') return;
      if (loading) {
        // Whether the read in flight counts this record is unknown: read once more when traffic pauses.
        raced = true;
      } else fold(msg.record);
      if (raced) {
        if (quiet) clearTimeout(quiet);
        quiet = setTimeout(() => {
          quiet = null;
          if (raced) void load();
        }, 1000);
      }
      draw();
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
  // Countdowns move and a new day starts: redraw now and then (no API reads, except once at midnight).
  const tick = setInterval(() => {
    if (Date.now() >= midnight) {
      midnight = Infinity;
      void load();
    } else {
      if (state.block) state.block = blocks.active(Date.now());
      draw();
    }
  }, 10_000);
  await new Promise<void>((resolve) => {
    const onData = (d: Buffer | string) => {
      const s = String(d);
      if (s.includes('q') || s.includes('Q') || s.includes('\u0003')) return finish();
      const view = VIEW_KEYS[s.trim().toLowerCase()];
      if (view) {
        state.view = view;
        draw();
      }
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
  clearInterval(tick);
  if (rateWait) clearTimeout(rateWait);
  if (quiet) clearTimeout(quiet);
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

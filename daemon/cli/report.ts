/**
 * `cco report daily|weekly|monthly|session|project|model [--range R] [--since DATE] [--until DATE]
 * [--tz ZONE] [--json|--csv]` and `cco report blocks` (report-blocks.ts): spend tables from the daemon's API, with totals, like ccusage's reports but
 * from CCO's exact records.
 *
 * Every figure is an /api/summary answer: the totals row is the summary of the whole range; a day, week or
 * month row is the summary of that period (range=custom, clipped to the range; periods without requests are
 * skipped, read from the range's series); a model, project or session row is the range's byModel / byProject
 * / bySession group. So `--json` equals what /api/summary says for the same range.
 */
import type { SpendTotals, Summary, SummaryRange } from '../../shared/contract.ts';
import { SUMMARY_RANGES } from '../../shared/contract.ts';
import { csvLine, nanoToUsd } from '../api/csv.ts';
import { formatCount, formatTokens, formatUsd } from '../api/format.ts';
import { projectLabeler } from '../api/project-labels.ts';
import { isValidTimeZone, localDate } from '../store/tz.ts';
import { CliError, getJson, parse, parsePortArg, RateLimitedError, readToken, requireDaemon, UsageError, type Io } from './common.ts';
import { dateLabel, parseDate, splitPeriods, type PeriodUnit } from './report-periods.ts';
import { renderTable, type Column, type Row } from './report-table.ts';

export const REPORT_USAGE = `Usage: cco report <daily|weekly|monthly|session|project|model|user|blocks> [options]
  --by session|project|model|user  the same as the report's name (\`cco report --by user\` = \`cco report user\`);
                                   per user needs a daemon on the PostgreSQL team store
  --range today|7d|30d|month|all   the range (default: all for weekly/monthly, 7d for blocks, else 30d)
  --since DATE --until DATE        a custom range instead (YYYY-MM-DD or YYYYMMDD, local dates; --until included)
  --tz ZONE                        time zone for days, weeks (Monday first) and months (default: this machine's)
  --json | --csv                   machine-readable output (nano-USD in JSON, USD with 9 decimals in CSV)
  --port N                         the daemon to ask (default: the running one)`;

/** `user`: the team store's byUser (cco team report, or a daemon on PostgreSQL). */
export type ReportKind = 'daily' | 'weekly' | 'monthly' | 'session' | 'project' | 'model' | 'user';
const UNITS: Record<string, PeriodUnit> = { daily: 'day', weekly: 'week', monthly: 'month' };
const KINDS = ['daily', 'weekly', 'monthly', 'session', 'project', 'model', 'user', 'blocks'] as const;
/** The groupings `--by` names (the periods and blocks are reports of their own). */
const BY_KINDS = ['session', 'project', 'model', 'user'] as const;

/** One row of a report: a period (`key` = its label) or a group (model id, project path, session id). */
export interface ReportRow extends SpendTotals {
  key: string;
  /** Periods: the row's own [from, to) (ISO). */
  from?: string;
  to?: string;
  /** Periods and sessions: the models used. */
  models?: string[];
  /** Sessions: the project(s) the session worked in. */
  projects?: string[];
  /** Sessions: the session's project, first start and last end (epoch ms), as /api/summary's bySession. */
  project?: string | null;
  firstAt?: number | null;
  lastAt?: number | null;
}

/** `cco report … --json`. */
export interface Report {
  kind: ReportKind;
  range: Summary['range'];
  tz: string;
  from: string;
  to: string;
  rows: ReportRow[];
  /** The whole range (/api/summary's totals). */
  totals: SpendTotals;
}

/** What the command needs from the daemon: GET a path of its API. */
export type ApiGet = <T>(path: string) => Promise<T>;

export function apiGetter(url: string, token: string): ApiGet {
  return async <T>(p: string): Promise<T> => {
    for (let attempt = 0; ; attempt++) {
      try {
        return await getJson<T>(`${url}${p}`, token, 30_000);
      } catch (err) {
        // The daemon's rate limit: wait as long as it says, a few times.
        if (!(err instanceof RateLimitedError) || attempt >= 3) throw err;
        await new Promise((r) => setTimeout(r, err.retryAfterMs));
      }
    }
  };
}

/** Runs `fn` over `items`, at most `limit` at a time, keeping the order. */
async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

export interface RangeArgs {
  range?: string;
  since?: string;
  until?: string;
  tz: string;
}

/** The /api/summary query string (range, tz and bounds) for the arguments. */
export function rangeQuery(a: RangeArgs, defaultRange: SummaryRange, now = Date.now()): string {
  const tz = `tz=${encodeURIComponent(a.tz)}`;
  if (a.since === undefined && a.until === undefined) {
    const range = a.range ?? defaultRange;
    if (!(SUMMARY_RANGES as readonly string[]).includes(range)) throw new UsageError(`--range: "${range}" is not one of ${SUMMARY_RANGES.join(', ')}`);
    return `range=${range}&${tz}`;
  }
  if (a.range !== undefined) throw new UsageError('--range and --since/--until cannot be used together');
  const from = a.since === undefined ? 0 : parseDate(a.since, a.tz);
  const to = a.until === undefined ? now : parseDate(a.until, a.tz, true);
  if (from === null) throw new UsageError(`--since: "${a.since}" is not a date (YYYY-MM-DD or YYYYMMDD)`);
  if (to === null) throw new UsageError(`--until: "${a.until}" is not a date (YYYY-MM-DD or YYYYMMDD)`);
  if (from >= to) throw new UsageError('--since must be before --until');
  return `range=custom&from=${from}&to=${to}&${tz}`;
}

const sum = (t: SpendTotals) => t.tokens.input + t.tokens.cacheWrite5m + t.tokens.cacheWrite1h + t.tokens.cacheRead + t.tokens.output;
const totalsOf = (t: SpendTotals): SpendTotals => ({
  requests: t.requests,
  costNanoUsd: t.costNanoUsd,
  unpricedRequests: t.unpricedRequests,
  cacheSavingsNanoUsd: t.cacheSavingsNanoUsd,
  responseCacheHits: t.responseCacheHits,
  responseCacheSavedNanoUsd: t.responseCacheSavedNanoUsd,
  tokens: { ...t.tokens },
});

/** Why there is no per-user report: the embedded store keeps no user (only the PostgreSQL team store does). */
export const NO_USERS =
  'per-user figures need the PostgreSQL team store: this daemon keeps its records in the embedded store, which has no users. ' +
  'Run the daemon on PostgreSQL (CCO_DATABASE_URL or [database] url), or read the team database with `cco team report`.';

/** Builds a report from the daemon's summaries. */
export async function buildReport(get: ApiGet, kind: ReportKind, query: string): Promise<Report> {
  const unit = UNITS[kind];
  const whole = await get<Summary>(`/api/summary?${query}&sessions=${kind === 'session' ? 1 : 0}`);
  const head = { kind, range: whole.range, tz: whole.tz, from: whole.from, to: whole.to, totals: totalsOf(whole.totals) };
  if (unit) {
    const periods = splitPeriods(Date.parse(whole.from), Date.parse(whole.to), whole.tz, unit).filter((p) =>
      whole.series.some((pt) => pt.requests > 0 && Date.parse(pt.t) >= p.from && Date.parse(pt.t) < p.to),
    );
    const rows = await mapLimit(periods, 4, async (p): Promise<ReportRow> => {
      const s = await get<Summary>(`/api/summary?range=custom&from=${p.from}&to=${p.to}&tz=${encodeURIComponent(whole.tz)}&sessions=0`);
      return { key: p.label, from: s.from, to: s.to, ...totalsOf(s.totals), models: s.byModel.map((m) => m.key) };
    });
    return { ...head, rows };
  }
  if (kind === 'session') {
    const sessions = whole.bySession ?? [];
    const base = query.replace(/&?sessions=[01]/, '');
    const rows = await mapLimit(sessions, 4, async (g): Promise<ReportRow> => {
      const s = await get<Summary>(`/api/summary?${base}&session=${encodeURIComponent(g.key)}&sessions=0`);
      return {
        key: g.key,
        ...totalsOf(g),
        project: g.project,
        firstAt: g.firstAt,
        lastAt: g.lastAt,
        models: s.byModel.map((m) => m.key),
        projects: s.byProject.map((p) => p.key),
      };
    });
    return { ...head, rows };
  }
  if (kind === 'user' && !whole.byUser) throw new CliError(NO_USERS);
  const groups = kind === 'model' ? whole.byModel : kind === 'user' ? (whole.byUser ?? []) : whole.byProject;
  return { ...head, rows: groups.map((g) => ({ key: g.key, ...totalsOf(g) })) };
}

const shortModel = (m: string) => m.replace(/^claude-/, '');

function costCell(t: SpendTotals): string {
  if (t.unpricedRequests > 0 && t.unpricedRequests === t.requests) return 'unpriced';
  return formatUsd(t.costNanoUsd);
}

const KEY_HEAD: Record<ReportKind, string> = { daily: 'Date', weekly: 'Week of', monthly: 'Month', session: 'Session', project: 'Project', model: 'Model', user: 'User' };

/** The report as a table fitted to `width` columns (80 when not a terminal). */
export function formatReport(r: Report, width = 80): string {
  const isPeriod = UNITS[r.kind] !== undefined;
  const anyUnpriced = r.totals.unpricedRequests > 0;
  // response-cache hits apart (counted in Reqs at $0), only when the range has some
  const anyHits = r.totals.responseCacheHits > 0;
  const columns: Column[] = [
    { head: KEY_HEAD[r.kind], priority: 100, flex: !isPeriod, cut: r.kind === 'project' ? 'start' : 'end' },
    ...(isPeriod || r.kind === 'session' ? [{ head: 'Models', priority: 1, flex: true } satisfies Column] : []),
    ...(r.kind === 'session' ? [{ head: 'Project', priority: 7, flex: true, cut: 'start' } satisfies Column] : []),
    { head: 'Reqs', align: 'right', priority: 6 },
    { head: 'Input', align: 'right', priority: 3 },
    { head: 'Output', align: 'right', priority: 5 },
    { head: 'Cache wr', align: 'right', priority: 4 },
    { head: 'Cache rd', align: 'right', priority: 4 },
    { head: 'Tokens', align: 'right', priority: 2 },
    { head: 'Cost', align: 'right', priority: 99 },
    ...(anyUnpriced ? [{ head: 'Unpriced', align: 'right', priority: 8 } satisfies Column] : []),
    ...(anyHits ? [{ head: 'Cached', align: 'right', priority: 8 } satisfies Column] : []),
  ];
  const tok = (n: number) => ({ wide: formatCount(n), narrow: formatTokens(n) });
  const cells = (key: string | { wide: string; narrow: string }, t: SpendTotals, extra: Row): Row => [
    key,
    ...extra,
    formatCount(t.requests),
    tok(t.tokens.input),
    tok(t.tokens.output),
    tok(t.tokens.cacheWrite5m + t.tokens.cacheWrite1h),
    tok(t.tokens.cacheRead),
    tok(sum(t)),
    costCell(t),
    ...(anyUnpriced ? [t.unpricedRequests ? formatCount(t.unpricedRequests) : ''] : []),
    ...(anyHits ? [t.responseCacheHits ? formatCount(t.responseCacheHits) : ''] : []),
  ];
  // Projects by their shortest unique path suffix (daemon/api/project-labels.ts) when the width is short.
  const label = projectLabeler(r.kind === 'project' ? r.rows.map((x) => x.key) : r.rows.flatMap((x) => x.projects ?? []));
  const rows = r.rows.map((row) => {
    const models = row.models?.map(shortModel).join(', ') ?? '';
    const extra: Row = [];
    if (isPeriod || r.kind === 'session') extra.push(models);
    if (r.kind === 'session') extra.push({ wide: row.projects?.join(', ') ?? '', narrow: row.projects?.map(label).join(', ') ?? '' });
    const key = r.kind === 'session' ? { wide: row.key, narrow: row.key.slice(0, 8) } : r.kind === 'model' ? { wide: row.key, narrow: shortModel(row.key) } : r.kind === 'project' ? { wide: row.key, narrow: label(row.key) } : row.key;
    return cells(key, row, extra);
  });
  const totals = cells('Total', r.totals, isPeriod || r.kind === 'session' ? (r.kind === 'session' ? ['', ''] : ['']) : []);
  const first = dateLabel(localDate(Date.parse(r.from), r.tz));
  const last = dateLabel(localDate(Date.parse(r.to) - 1, r.tz));
  const title = `${r.kind[0]!.toUpperCase()}${r.kind.slice(1)} spend, ${first === last ? first : `${first} to ${last}`} (${r.tz})`;
  const empty = r.rows.length === 0 ? 'No requests in this range.\n' : '';
  return `${title}\n${empty}${renderTable(columns, rows, width, totals)}`;
}

const CSV_HEAD = [
  'requests', 'cost_usd', 'unpriced_requests', 'input_tokens', 'cache_write_5m_tokens', 'cache_write_1h_tokens', 'cache_read_tokens', 'output_tokens',
  'total_tokens', 'response_cache_hits', 'response_cache_saved_usd',
];

/** RFC 4180, one line per row then a `total` line; cost as USD with 9 decimals, exact. */
export function reportCsv(r: Report): string {
  const isPeriod = UNITS[r.kind] !== undefined;
  const key = isPeriod ? 'period' : r.kind;
  const head = [key, ...(isPeriod ? ['from', 'to'] : []), ...CSV_HEAD, ...(isPeriod || r.kind === 'session' ? ['models'] : []), ...(r.kind === 'session' ? ['projects'] : [])];
  const line = (k: string, t: SpendTotals, row?: ReportRow) =>
    csvLine([
      k,
      ...(isPeriod ? [row?.from ?? r.from, row?.to ?? r.to] : []),
      t.requests,
      nanoToUsd(t.costNanoUsd),
      t.unpricedRequests,
      t.tokens.input,
      t.tokens.cacheWrite5m,
      t.tokens.cacheWrite1h,
      t.tokens.cacheRead,
      t.tokens.output,
      sum(t),
      t.responseCacheHits,
      nanoToUsd(t.responseCacheSavedNanoUsd),
      ...(isPeriod || r.kind === 'session' ? [row?.models?.join(' ') ?? ''] : []),
      ...(r.kind === 'session' ? [row?.projects?.join(' ') ?? ''] : []),
    ]);
  return csvLine(head) + r.rows.map((row) => line(row.key, row, row)).join('') + line('total', r.totals);
}

/** The width to fit: `COLUMNS` when set, else the terminal's, else 80 (a pipe or a file). */
export function outputWidth(env: NodeJS.ProcessEnv, stream: { columns?: number; isTTY?: boolean } = process.stdout): number {
  const fromEnv = Number(env.COLUMNS);
  if (Number.isInteger(fromEnv) && fromEnv >= 20) return fromEnv;
  return stream.isTTY && stream.columns ? Math.max(20, stream.columns) : 80;
}

/** The range and output options `cco report` and `cco team report` share. */
export const REPORT_OPTIONS = {
  range: { type: 'string' },
  since: { type: 'string' },
  until: { type: 'string' },
  tz: { type: 'string' },
  json: { type: 'boolean' },
  csv: { type: 'boolean' },
  by: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export async function reportCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(
    argv,
    {
      ...REPORT_OPTIONS,
      port: { type: 'string' },
    },
    REPORT_USAGE,
    true,
  );
  if (values.help) {
    io.out(REPORT_USAGE + '\n');
    return 0;
  }
  if (values.by !== undefined && !(BY_KINDS as readonly string[]).includes(values.by)) throw new UsageError(`--by: "${values.by}" is not one of ${BY_KINDS.join(', ')}`);
  if (values.by !== undefined && positionals.length === 1 && positionals[0] !== values.by) throw new UsageError(`--by ${values.by} and "${positionals[0]}" name two different reports`);
  const kind = values.by ?? positionals[0];
  if (positionals.length > 1 || !(KINDS as readonly string[]).includes(kind!)) throw new UsageError(`which report?\n\n${REPORT_USAGE}`);
  if (values.json && values.csv) throw new UsageError('--json and --csv cannot be used together');
  const tz = values.tz ?? (Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC');
  if (!isValidTimeZone(tz)) throw new UsageError(`--tz: unknown time zone "${tz}" (use an IANA name such as Europe/Paris)`);
  const entry = requireDaemon(io.env, parsePortArg(values.port));
  const get = apiGetter(entry.record.url, readToken(entry, io.env));
  const args: RangeArgs = { range: values.range, since: values.since, until: values.until, tz };
  const format = values.json ? 'json' : values.csv ? 'csv' : 'table';
  if (kind === 'blocks') {
    const { blocksReport } = await import('./report-blocks.ts');
    return blocksReport(get, rangeQuery(args, '7d'), format, io, tz, outputWidth(io.env));
  }
  const k = kind as ReportKind;
  const report = await buildReport(get, k, rangeQuery(args, k === 'weekly' || k === 'monthly' ? 'all' : '30d'));
  if (format === 'json') io.out(JSON.stringify(report, null, 2) + '\n');
  else if (format === 'csv') io.out(reportCsv(report));
  else io.out(formatReport(report, outputWidth(io.env)));
  return 0;
}

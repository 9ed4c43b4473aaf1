/**
 * `cco team report [--by user|project|model] [--range R | --since D --until D] [--tz Z] [--json|--csv] [--url U]`:
 * the team's spend per user, project or model, read straight from the team's PostgreSQL (`--url`, else
 * `[team] url` / CCO_TEAM_URL, else `[database] url` / CCO_DATABASE_URL). No daemon needs to run.
 *
 * The figures are the PostgreSQL store's own summary (store-pg/summary.ts, the same code as GET /api/summary
 * on a team daemon), and the rows, totals, table, JSON and CSV are `cco report`'s (report.ts), so a team
 * report and `cco report model` against a central gateway say the same thing.
 */
import type pg from 'pg';
import type { SummaryRange } from '../../shared/contract.ts';
import { loadConfig } from '../config/load.ts';
import { createPool, describeUrl } from '../store-pg/pool.ts';
import { PG_SCHEMA_VERSION } from '../store-pg/schema.ts';
import { buildSummary } from '../store-pg/summary.ts';
import { isValidTimeZone } from '../store/tz.ts';
import { CliError, parse, UsageError, type Io } from './common.ts';
import { REPORT_OPTIONS, buildReport, formatReport, outputWidth, rangeQuery, reportCsv, type ApiGet, type ReportKind } from './report.ts';

export const TEAM_USAGE = `Usage: cco team report [--by user|project|model] [--range today|7d|30d|month|all] [--since DATE] [--until DATE]
                       [--tz ZONE] [--json|--csv] [--url postgres://…]
  --by user|project|model          rows per user (default), project or model, with a total
  --range today|7d|30d|month|all   the range (default 30d)
  --since DATE --until DATE        a custom range instead (YYYY-MM-DD, local dates; --until included)
  --url URL                        the team database (default: [team] url, else [database] url)`;

const BY = ['user', 'project', 'model'] as const;

/** GET /api/summary?… answered by the team database itself (only what buildReport asks for groups). */
export function summaryGetter(pool: pg.Pool): ApiGet {
  return async <T>(path: string): Promise<T> => {
    const u = new URL(path, 'http://team.invalid');
    if (u.pathname !== '/api/summary') throw new Error(`unexpected team query ${u.pathname}`);
    const q = u.searchParams;
    const num = (k: string) => (q.has(k) ? Number(q.get(k)) : undefined);
    const summary = await buildSummary(pool, {
      range: q.get('range') as SummaryRange | 'custom',
      tz: q.get('tz') ?? 'UTC',
      ...(num('from') !== undefined && { from: num('from') }),
      ...(num('to') !== undefined && { to: num('to') }),
      sessions: q.get('sessions') === '1',
    });
    return summary as T;
  };
}

export async function teamCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(
    argv,
    {
      ...REPORT_OPTIONS,
      url: { type: 'string' },
    },
    TEAM_USAGE,
    true,
  );
  if (values.help) {
    io.out(TEAM_USAGE + '\n');
    return 0;
  }
  if (positionals.length !== 1 || positionals[0] !== 'report') throw new UsageError(TEAM_USAGE);
  const by = (values.by ?? 'user') as ReportKind;
  if (!(BY as readonly string[]).includes(by)) throw new UsageError(`--by: "${values.by}" is not one of ${BY.join(', ')}`);
  if (values.json && values.csv) throw new UsageError('--json and --csv cannot be used together');
  const tz = values.tz ?? (Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC');
  if (!isValidTimeZone(tz)) throw new UsageError(`--tz: unknown time zone "${tz}" (use an IANA name such as Europe/Paris)`);
  const query = rangeQuery({ range: values.range, since: values.since, until: values.until, tz }, '30d');

  const { config } = loadConfig({ env: io.env });
  const url = values.url || config.team.url || config.database.url;
  if (!url) throw new CliError('no team database: set [team] url (or CCO_TEAM_URL), or pass --url postgres://…', 2);
  let pool: pg.Pool;
  try {
    pool = createPool(url, { max: 2 });
  } catch (err) {
    throw new CliError((err as Error).message, 2);
  }
  try {
    try {
      const { rows } = await pool.query<{ v: number | null }>('SELECT max(version) AS v FROM cco_schema_version');
      // a newer CCO migrated it: this one reads the summary layers it knows (newer CCOs still write them), flagged
      const v = Number(rows[0]?.v ?? 0);
      if (v > PG_SCHEMA_VERSION) {
        io.err(`cco: the team database's schema is version ${v}, newer than this CCO knows (${PG_SCHEMA_VERSION}): the figures below may be incomplete; upgrade cco\n`);
      }
    } catch (err) {
      const e = err as Error & { code?: string };
      if (e.code === '42P01') throw new CliError(`no CCO team ledger at ${describeUrl(url)} yet (a daemon creates it on its first shipment)`);
      throw new CliError(`cannot read PostgreSQL at ${describeUrl(url)}: ${e.message || e.code || 'connection failed'}`);
    }
    const report = await buildReport(summaryGetter(pool), by, query);
    if (values.json) io.out(JSON.stringify(report, null, 2) + '\n');
    else if (values.csv) io.out(reportCsv(report));
    else io.out(formatReport(report, outputWidth(io.env)));
    return 0;
  } finally {
    await pool.end().catch(() => undefined);
  }
}

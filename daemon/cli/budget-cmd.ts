/**
 * `cco budget set|list|clear|override`: USD budgets. With a daemon running the change goes through its API
 * (it applies at once and edits config.toml); with none, config.toml is edited here (comments kept).
 */
import path from 'node:path';
import { EVERY_USER, type BudgetChange, type BudgetRule, type BudgetsResponse, type BudgetStatus } from '../../shared/contract.ts';
import { configFilePath } from '../config/load.ts';
import { applyBudgetChange, isBudgetPeriod, readBudgetConfig } from '../budgets/rules.ts';
import { CliError, findDaemon, formatUsd, parse, parsePortArg, readToken, UsageError, type Io } from './common.ts';

export const BUDGET_USAGE = `Usage:
  cco budget set <daily|weekly|monthly> <USD> [--project PATH | --user NAME | --per-user] [--hard]
  cco budget clear <daily|weekly|monthly> [--project PATH | --user NAME | --per-user]
  cco budget list [--json]
  cco budget override --for <DURATION>     lift hard budgets and paused sessions (e.g. 30m, 1h, 2h30m; 0 ends it)

A soft budget notifies at the alert thresholds (default 80 % and 95 %); a hard one (--hard) also makes CCO
refuse new requests once it is spent, until the period ends or you override it. --port N picks the daemon.
Team modes: --user NAME caps one user (the gateway's token user, or the federated [team] user); --per-user
sets the default for every user without a cap of their own for that period, each on their own spend.
`;

export function parseDurationText(text: string): number {
  const t = text.trim();
  if (t === '0') return 0;
  const m = /^(?:(\d+)h)?(?:(\d+)m(?:in)?)?$/.exec(t);
  if (!m || (!m[1] && !m[2])) throw new UsageError(`--for: "${text}" is not a duration (use 30m, 1h or 1h30m)`);
  const minutes = Number(m[1] ?? 0) * 60 + Number(m[2] ?? 0);
  if (minutes > 7 * 24 * 60) throw new UsageError('--for: at most 168h');
  return minutes;
}

async function callDaemon<T>(io: Io, port: number | undefined, route: string, body?: unknown): Promise<T | null> {
  const d = findDaemon(io.env, port);
  if (!d) {
    if (port !== undefined) throw new CliError(`no CCO daemon is running on port ${port}`);
    return null;
  }
  let res: Response;
  try {
    res = await fetch(`${d.record.url}${route}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { authorization: `Bearer ${readToken(d, io.env)}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(5000),
    });
  } catch (err) {
    throw new CliError(`cannot reach the daemon: ${(err as Error).message}`);
  }
  const text = await res.text();
  if (!res.ok) {
    let message = text.slice(0, 300);
    try {
      message = (JSON.parse(text) as { error: { message: string } }).error.message;
    } catch {
      // plain text
    }
    throw new CliError(message);
  }
  return JSON.parse(text) as T;
}

/** What a budget caps: all projects, a project, a user, every user (the per-user default) or one user under it. */
function target(b: BudgetRule | BudgetStatus): string {
  if (b.user === EVERY_USER) return 'every user (per-user default)';
  if (b.user) return 'perUser' in b && b.perUser ? `user ${b.user} (per-user default)` : `user ${b.user}`;
  return b.project ?? 'all projects';
}

function describe(b: BudgetStatus | BudgetRule): string {
  const spent = 'spentNanoUsd' in b ? ` · ${formatUsd(b.spentNanoUsd)} spent (${Math.round(b.fraction * 100)}%)${b.state !== 'ok' ? ` · ${b.state}` : ''}` : '';
  return `${b.period.padEnd(8)} $${b.usd.toFixed(2).padStart(9)}  ${b.hard ? 'hard' : 'soft'}  ${target(b)}${spent}`;
}

/** The daemon's rows, each per-user default rule listed before its users' rows. */
function listRows(r: BudgetsResponse): (BudgetStatus | BudgetRule)[] {
  const rows: (BudgetStatus | BudgetRule)[] = r.budgets.filter((b) => !b.perUser);
  for (const rule of r.rules.filter((x) => x.user === EVERY_USER)) rows.push(rule, ...r.budgets.filter((b) => b.perUser && b.period === rule.period));
  return rows;
}

export async function budgetCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(
    argv,
    { project: { type: 'string' }, user: { type: 'string' }, 'per-user': { type: 'boolean' }, hard: { type: 'boolean' }, json: { type: 'boolean' }, for: { type: 'string' }, port: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    BUDGET_USAGE,
    true,
  );
  const [sub, period, amount] = positionals;
  if (values.help || sub === undefined) {
    io.out(BUDGET_USAGE);
    return sub === undefined && !values.help ? 2 : 0;
  }
  const port = parsePortArg(values.port);
  const file = configFilePath(io.env);
  const project = values.project ? path.resolve(values.project) : null;
  if ([values.project !== undefined, values.user !== undefined, values['per-user'] === true].filter(Boolean).length > 1) {
    throw new UsageError(`a budget is for all projects, one project (--project), one user (--user) or every user (--per-user): choose one\n\n${BUDGET_USAGE}`);
  }
  if (values.user === '') throw new UsageError('--user: a user name');
  const user = values['per-user'] ? EVERY_USER : (values.user ?? null);

  if (sub === 'set' || sub === 'clear') {
    if (!isBudgetPeriod(period)) throw new UsageError(`the period must be daily, weekly or monthly\n\n${BUDGET_USAGE}`);
    let usd = 0;
    if (sub === 'set') {
      const text = (amount ?? '').replace(/^\$/, '');
      if (!/^\d+(\.\d+)?$/.test(text) || Number(text) <= 0) throw new UsageError(`"${amount ?? ''}" is not an amount in USD (e.g. 10 or 12.50)`);
      usd = Number(text);
    } else if (amount !== undefined) throw new UsageError(`unexpected "${amount}"\n\n${BUDGET_USAGE}`);
    const change: BudgetChange = { period, usd, project, ...(user !== null && { user }), hard: values.hard ?? false };
    const viaDaemon = await callDaemon<BudgetsResponse>(io, port, '/api/budgets', change);
    if (!viaDaemon) applyBudgetChange(file, change, (m) => io.err(`cco: ${m}\n`));
    const where = project ? ` for ${project}` : user === EVERY_USER ? ' for every user' : user ? ` for user ${user}` : '';
    io.out(
      sub === 'set'
        ? `${period} budget${where}: $${usd.toFixed(2)} (${change.hard ? `hard: CCO refuses ${user === EVERY_USER ? "each user's" : user ? `${user}'s` : ''}${user ? ' ' : ''}new requests once it is spent` : 'soft: notify only'})${viaDaemon ? ', applied now' : ` — saved in ${file}`}\n`
        : `${period} budget${where} cleared${viaDaemon ? '' : ` in ${file}`}\n`,
    );
    return 0;
  }
  if (sub === 'list') {
    const r = await callDaemon<BudgetsResponse>(io, port, '/api/budgets');
    if (values.json) {
      io.out(JSON.stringify(r ?? { budgets: readBudgetConfig(file).rules }, null, 2) + '\n');
      return 0;
    }
    const rows = r ? listRows(r) : readBudgetConfig(file).rules;
    if (rows.length === 0) io.out('No budgets. Set one with `cco budget set daily 10`.\n');
    for (const b of rows) io.out(describe(b) + '\n');
    if (r?.overrideUntil) io.out(`Hard budgets lifted until ${new Date(r.overrideUntil).toLocaleString()}.\n`);
    for (const p of r?.pausedSessions ?? []) io.out(`Paused session ${p.sessionId}: ${p.reason}\n`);
    return 0;
  }
  if (sub === 'override') {
    if (values.for === undefined) throw new UsageError(`override needs --for <DURATION>\n\n${BUDGET_USAGE}`);
    const minutes = parseDurationText(values.for);
    const r = await callDaemon<BudgetsResponse>(io, port, '/api/budgets/override', { minutes });
    if (!r) throw new CliError('no CCO daemon is running (an override applies to a running daemon)');
    io.out(r.overrideUntil ? `Hard budgets and paused sessions lifted until ${new Date(r.overrideUntil).toLocaleString()}.\n` : 'Override ended.\n');
    return 0;
  }
  throw new UsageError(`unknown subcommand "${sub}"\n\n${BUDGET_USAGE}`);
}

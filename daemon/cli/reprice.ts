/**
 * `cco reprice [--since DATE] [--port N]`: recompute stored costs after a price-table or pricing.json
 * change and report rows changed and the total delta. A running daemon owns its store, so it is asked to
 * do it (it also starts pricing new requests with the reloaded table); with none running the store is
 * opened here.
 */
import { platformDirs } from '../config/paths.ts';
import { createPricer, loadPriceOverrides } from '../pricing/index.ts';
import { repriceStored, type RepriceReport } from '../pricing/reprice-stored.ts';
import { lockDataFolder } from './store-lock.ts';
import { CliError, findDaemon, formatUsd, parse, parsePortArg, readToken, type Io } from './common.ts';

export const REPRICE_USAGE = `Usage: cco reprice [--since DATE] [--port N]

Recomputes the cost of stored requests with the current price table and your pricing.json, and reports
how many rows changed and the total difference.

  --since DATE   only requests started on or after DATE (YYYY-MM-DD, UTC, or an ISO date-time)
  --port N       the running daemon to ask (default: the only one running)
`;

export function parseSince(value: string): number {
  const t = /^\d{4}-\d{2}-\d{2}$/.test(value) ? Date.parse(`${value}T00:00:00Z`) : Date.parse(value);
  if (!Number.isFinite(t)) throw new CliError(`--since: "${value}" is not a date (use YYYY-MM-DD or an ISO date-time)`, 2);
  return t;
}

export function formatReport(r: RepriceReport): string {
  const delta = r.totalDeltaNanoUsd;
  const sign = delta > 0 ? '+' : delta < 0 ? '−' : '±';
  return [
    `Repriced with price table ${r.priceVersion}${r.since !== null ? ` (requests since ${new Date(r.since).toISOString()})` : ''}:`,
    `  ${r.rowsSeen} billable requests checked, ${r.rowsChanged} updated, ${r.costChanged} with a new cost` +
      (r.newlyPriced || r.newlyUnpriced ? ` (${r.newlyPriced} newly priced, ${r.newlyUnpriced} now unpriced)` : ''),
    `  total ${formatUsd(r.totalBeforeNanoUsd)} → ${formatUsd(r.totalAfterNanoUsd)} (${sign}${formatUsd(Math.abs(delta))})`,
    '',
  ].join('\n');
}

export async function repriceCommand(argv: string[], io: Io): Promise<number> {
  const { values } = parse(argv, { since: { type: 'string' }, port: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, REPRICE_USAGE);
  if (values.help) {
    io.out(REPRICE_USAGE);
    return 0;
  }
  const since = values.since === undefined ? undefined : parseSince(values.since);
  const port = parsePortArg(values.port);
  const daemon = findDaemon(io.env, port);
  let report: RepriceReport;
  if (daemon) {
    const url = `${daemon.record.url}/api/reprice${since === undefined ? '' : `?since=${since}`}`;
    let res: Response;
    try {
      res = await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${readToken(daemon, io.env)}` } });
    } catch (err) {
      throw new CliError(`cannot reach the daemon at ${daemon.record.url}: ${(err as Error).message}`);
    }
    const body = (await res.json().catch(() => null)) as (RepriceReport & { error?: { message: string } }) | null;
    if (!res.ok || !body) throw new CliError(`reprice failed: ${body?.error?.message ?? `HTTP ${res.status}`}`);
    report = body;
  } else {
    if (port !== undefined) throw new CliError(`no CCO daemon is running on port ${port}`);
    const dirs = platformDirs(io.env);
    let pricer;
    try {
      pricer = createPricer((await loadPriceOverrides(dirs.configDir))?.overrides ?? null);
    } catch (err) {
      throw new CliError((err as Error).message, 2);
    }
    const lock = lockDataFolder(dirs.dataDir, 'cco reprice');
    try {
      const { openStore } = await import('../store/index.ts');
      const store = await openStore({ dataDir: dirs.dataDir, log: (level, msg) => level !== 'info' && io.err(`cco: ${msg}\n`) });
      try {
        report = await repriceStored(store, pricer, { since });
      } finally {
        await store.close();
      }
    } finally {
      lock.release();
    }
  }
  io.out(formatReport(report));
  return 0;
}

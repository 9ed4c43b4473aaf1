/**
 * `cco import` and `cco reconcile` (daemon/history).
 *
 * A running daemon owns its data folder, so when one runs both commands ask it (POST /api/import, whose
 * progress is read from GET /api/import; GET /api/reconcile). With none running they open the store here.
 */
import type { ImportReport, ImportStatus, ReconcileReport, ReconcileRow } from '../../shared/contract.ts';
import { platformDirs } from '../config/paths.ts';
import { CliError, findDaemon, formatUsd, parse, parsePortArg, readToken, UsageError, type Io } from './common.ts';
import { keepHeapLean } from './lean-heap.ts';
import { progressLine } from './progress.ts';
import { loadPricer, withStore } from './store-lock.ts';
import { parseSince } from './reprice.ts';

export const IMPORT_USAGE = `Usage: cco import [--path DIR]... [--since DATE] [--json] [--port N]

Imports Claude Code's history (its transcripts) into CCO. Requests the proxy already recorded are linked,
not counted twice. Safe to run again: only new lines are read.

  --path DIR     read transcripts under DIR instead of the default folders (repeatable); default:
                 every CLAUDE_CONFIG_DIR entry's projects/, ~/.claude/projects, ~/.config/claude/projects
  --since DATE   only requests on or after DATE (YYYY-MM-DD, UTC, or an ISO date-time); such a run does not
                 move the import's bookmarks, so a later full import still sees older requests
  --json         print the full report as JSON
  --port N       the running daemon to send the import through (default: the only one running)
`;

export const RECONCILE_USAGE = `Usage: cco reconcile [--range today|7d|30d|month|all] [--tz ZONE] [--json] [--port N]

Compares what the proxy recorded with what Claude Code's transcripts show: requests seen by both, by the
proxy only (and why), by the transcripts only (traffic that bypassed CCO), and token differences.
`;

const MB = 1024 * 1024;

async function daemonCall<T>(io: Io, port: number | undefined, route: string, init: RequestInit = {}): Promise<T | null> {
  const daemon = findDaemon(io.env, port);
  if (!daemon) {
    if (port !== undefined) throw new CliError(`no CCO daemon is running on port ${port}`);
    return null;
  }
  let res: Response;
  try {
    res = await fetch(`${daemon.record.url}${route}`, { ...init, headers: { ...init.headers, authorization: `Bearer ${readToken(daemon, io.env)}` } });
  } catch (err) {
    throw new CliError(`cannot reach the daemon at ${daemon.record.url}: ${(err as Error).message}`);
  }
  const body = (await res.json().catch(() => null)) as (T & { error?: { message: string } }) | null;
  if (res.status === 404 && body?.error) throw new CliError(`the daemon on ${daemon.record.url} has no history import (an older version?)`);
  if (!res.ok || !body) throw new CliError(`${route}: ${body?.error?.message ?? `HTTP ${res.status}`}`);
  return body;
}

export function formatImportSummary(r: ImportReport): string {
  const parts = [
    `Imported ${r.imported.toLocaleString('en-US')} requests from ${r.files} transcript files (${(r.bytesRead / MB).toFixed(1)} MB read in ${(r.durationMs / 1000).toFixed(1)} s)`,
  ];
  if (r.linked) parts.push(`${r.linked.toLocaleString('en-US')} already recorded by the proxy (linked)`);
  if (r.alreadyStored) parts.push(`${r.alreadyStored.toLocaleString('en-US')} already imported`);
  if (r.beforeSince) parts.push(`${r.beforeSince.toLocaleString('en-US')} before --since`);
  if (r.unpriced) parts.push(`${r.unpriced} unpriced`);
  const bad = r.malformedLines + r.oversizedLines + r.problems.length;
  if (bad) {
    const codes = [...new Set(r.problems.map((p) => p.code))].join(', ');
    parts.push(
      `skipped ${[r.malformedLines && `${r.malformedLines} malformed`, r.oversizedLines && `${r.oversizedLines} oversized`].filter(Boolean).join(' and ') || 'no'} lines` +
        (r.problems.length ? `, ${r.problems.length} unreadable (${codes}; --json lists them)` : ''),
    );
  }
  if (r.files === 0) parts.push(`no transcripts found in ${r.roots.join(', ')}`);
  return `${parts.join('; ')}.\n`;
}

export async function importCommand(argv: string[], io: Io): Promise<number> {
  const { values } = parse(argv, {
    path: { type: 'string', multiple: true }, since: { type: 'string' }, json: { type: 'boolean' }, port: { type: 'string' }, help: { type: 'boolean', short: 'h' },
  }, IMPORT_USAGE);
  if (values.help) {
    io.out(IMPORT_USAGE);
    return 0;
  }
  const since = values.since === undefined ? undefined : parseSince(values.since);
  const port = parsePortArg(values.port);
  const { default: path } = await import('node:path');
  const paths = values.path?.map((p) => path.resolve(p));
  const bar = progressLine((s) => io.err(s), process.stderr.isTTY === true && !values.json);
  const body = JSON.stringify({ ...(paths && { paths }), ...(since !== undefined && { since }) });

  // Through the daemon when one runs: it owns the store. Progress comes from its import status.
  let report: ImportReport | null;
  const daemon = findDaemon(io.env, port);
  if (daemon) {
    let done = false;
    const poll = (async () => {
      while (!done) {
        await new Promise((r) => setTimeout(r, 300));
        const s = await daemonCall<ImportStatus>(io, daemon.record.port, '/api/import').catch(() => null);
        if (s?.progress && !done) bar.update(s.progress);
      }
    })();
    try {
      report = await daemonCall<ImportReport>(io, daemon.record.port, '/api/import', { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    } finally {
      done = true;
      await poll;
    }
  } else {
    if (port !== undefined) throw new CliError(`no CCO daemon is running on port ${port}`);
    const { HistoryImporter } = await import('../history/importer.ts');
    const { defaultRoots } = await import('../history/sources.ts');
    const pricer = await loadPricer(platformDirs(io.env).configDir);
    let stopLean = (): void => undefined;
    try {
      report = await withStore(io, 'cco import', async (store, dataDir) => {
        const imp = new HistoryImporter({ dataDir, sink: store, pricer: () => pricer, roots: paths ?? defaultRoots(io.env) });
        // Held lean from the first progress report, once the store is open (its worker grew its young generation
        // while loading; lean-heap.ts).
        let started = false;
        return imp.run({
          ...(since !== undefined && { since }),
          progress: (p) => {
            if (!started) {
              started = true;
              stopLean = keepHeapLean();
            }
            bar.update(p);
          },
        });
      });
    } finally {
      stopLean(); // after the store's closing snapshot
    }
  }
  bar.done();
  if (!report) throw new CliError('import failed');
  io.out(values.json ? `${JSON.stringify(report, null, 2)}\n` : formatImportSummary(report));
  return 0;
}

const cellText = (c: { requests: number; costNanoUsd: number }): string => (c.requests ? `${c.requests} ${formatUsd(c.costNanoUsd)}` : '-');
const diffText = (r: ReconcileRow): string => {
  const d = r.tokenDiff;
  const parts = Object.entries(d).filter(([, v]) => v !== 0).map(([k, v]) => `${k} ${v > 0 ? '+' : ''}${v}`);
  return parts.length ? `${parts.join(', ')} (${r.pairsDiffering} pairs)` : '-';
};

export function formatReconcile(r: ReconcileReport): string {
  const lines: string[] = [];
  const t = r.totals;
  lines.push(`Reconciliation ${r.from.slice(0, 10)} … ${r.to.slice(0, 10)} (${r.tz})`);
  lines.push(
    `  both ${cellText(t.both)} | proxy only ${cellText(t.proxyOnly)} | transcripts only ${cellText(t.transcriptOnly)}`,
  );
  lines.push(
    r.allThroughProxy
      ? '  Everything the transcripts show went through CCO.'
      : `  ${t.transcriptOnly.requests} transcript requests (${formatUsd(t.transcriptOnly.costNanoUsd)}) did not go through CCO.`,
  );
  if (r.proxyOnlyReasons.length) lines.push(`  proxy only, why: ${r.proxyOnlyReasons.map((x) => `${x.reason} ${x.requests}`).join(', ')}`);
  if (r.transcriptOnlySessions.length) {
    lines.push('  bypassed the proxy (top sessions):');
    for (const s of r.transcriptOnlySessions.slice(0, 10)) lines.push(`    ${s.sessionId}  ${s.project}  ${cellText(s)}`);
  }
  if (r.byDayModel.length) {
    lines.push('', '  day         model                          both            proxy only      transcripts only  token diff (proxy − transcript)');
    for (const x of r.byDayModel) {
      lines.push(`  ${x.day}  ${x.model.padEnd(30).slice(0, 30)} ${cellText(x.both).padEnd(15)} ${cellText(x.proxyOnly).padEnd(15)} ${cellText(x.transcriptOnly).padEnd(17)} ${diffText(x)}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

export async function reconcileCommand(argv: string[], io: Io): Promise<number> {
  const { values } = parse(argv, { range: { type: 'string' }, tz: { type: 'string' }, json: { type: 'boolean' }, port: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, RECONCILE_USAGE);
  if (values.help) {
    io.out(RECONCILE_USAGE);
    return 0;
  }
  const range = values.range ?? '30d';
  if (!['today', '7d', '30d', 'month', 'all'].includes(range)) throw new UsageError(`--range: "${range}" is not one of today, 7d, 30d, month, all`);
  const tz = values.tz ?? Intl.DateTimeFormat().resolvedOptions().timeZone ?? 'UTC';
  const { isValidTimeZone } = await import('../store/tz.ts');
  if (!isValidTimeZone(tz)) throw new UsageError(`--tz: "${tz}" is not a time zone (use an IANA name such as Europe/Paris)`);
  const port = parsePortArg(values.port);
  let report = await daemonCall<ReconcileReport>(io, port, `/api/reconcile?range=${range}&tz=${encodeURIComponent(tz)}`);
  if (!report) {
    const { reconcile } = await import('../history/reconcile.ts');
    const { readLinks } = await import('../history/state.ts');
    const { default: path } = await import('node:path');
    report = await withStore(io, 'cco reconcile', (store, dataDir) =>
      reconcile(store, readLinks(path.join(dataDir, 'history')), { range: range as ReconcileReport['range'], tz }),
    );
  }
  io.out(values.json ? `${JSON.stringify(report, null, 2)}\n` : formatReconcile(report));
  return 0;
}

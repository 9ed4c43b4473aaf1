/**
 * `cco coach [--range 7d] [--tz ZONE] [--json] [--port N]`: the prompt-cache coach (daemon/coach): hit ratio,
 * $ saved by reads, $ wasted on writes never read, cache busters, TTL advice. Asks the running daemon
 * (GET /api/cache-coach); with none running it reads the store itself, holding the data folder's lock.
 */
import type { CacheCoachReport, CoachGroup } from '../../shared/contract.ts';
import { formatUsd } from '../api/format.ts';
import { platformDirs } from '../config/paths.ts';
import { CliError, findDaemon, getJson, parse, parsePortArg, readToken, UsageError, type Io } from './common.ts';
import { loadPricer, withStore } from './store-lock.ts';

export const COACH_USAGE = `Usage: cco coach [--range today|7d|30d|month|all] [--tz ZONE] [--json] [--port N]

How Anthropic's prompt cache did over the range (default 7d), per model, project and session: hit ratio
(reads ÷ (reads + uncached input + writes)), what reads saved, what writes never read before they expired
wasted, sessions that rewrite their cache on every turn (and why), and what 5-minute against 1-hour writes
would have cost. Every finding lists the request ids behind it (cco: /api/requests/<id>).
Without a running daemon it reads the store directly.
`;

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

function groupLine(g: CoachGroup): string {
  return `  ${g.key.length > 40 ? `${g.key.slice(0, 39)}…` : g.key.padEnd(40)} ${String(g.requests).padStart(6)}  hit ${pct(g.hitRatio).padStart(6)}  saved ${formatUsd(g.savedNanoUsd).padStart(9)}  wasted ${formatUsd(g.wastedNanoUsd).padStart(9)}  of ${formatUsd(g.costNanoUsd)}`;
}

export function formatCoach(r: CacheCoachReport): string[] {
  const t = r.totals;
  const lines = [
    `Prompt cache, ${r.range} (${r.from.slice(0, 10)} → ${r.to.slice(0, 10)}, ${r.tz}): ${t.requests} requests, ${formatUsd(t.costNanoUsd)}`,
    `  hit ratio ${pct(t.hitRatio)} · reads saved ${formatUsd(t.savedNanoUsd)} · writes cost ${formatUsd(t.writeNanoUsd)} · wasted on unread writes ${formatUsd(t.wastedNanoUsd)} (5m ${formatUsd(t.wasted5mNanoUsd)}, 1h ${formatUsd(t.wasted1hNanoUsd)})`,
  ];
  if (t.requests === 0) return [...lines, '', 'No priced requests in this range.'];
  lines.push('', 'By model', ...r.byModel.slice(0, 10).map(groupLine), '', 'By project', ...r.byProject.slice(0, 10).map(groupLine), '', 'Top sessions', ...r.bySession.slice(0, 10).map(groupLine));
  if (r.advice.length > 0) {
    lines.push('', 'Advice');
    for (const a of r.advice) {
      lines.push(`  • ${a.text}`);
      if (a.requestIds.length > 0) lines.push(`    requests: ${a.requestIds.slice(0, 5).join(', ')}${a.requestIds.length > 5 ? ` (+${a.requestIds.length - 5})` : ''}`);
    }
  }
  return lines;
}

export async function coachCommand(argv: string[], io: Io): Promise<number> {
  const { values } = parse(argv, { range: { type: 'string' }, tz: { type: 'string' }, json: { type: 'boolean' }, port: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, COACH_USAGE);
  if (values.help) {
    io.out(COACH_USAGE);
    return 0;
  }
  const range = values.range ?? '7d';
  if (!['today', '7d', '30d', 'month', 'all'].includes(range)) throw new UsageError(`--range: "${range}" is not one of today, 7d, 30d, month, all`);
  const tz = values.tz ?? Intl.DateTimeFormat().resolvedOptions().timeZone ?? 'UTC';
  const { isValidTimeZone } = await import('../store/tz.ts');
  if (!isValidTimeZone(tz)) throw new UsageError(`--tz: "${tz}" is not a time zone (use an IANA name such as Europe/Paris)`);
  const port = parsePortArg(values.port);
  const d = findDaemon(io.env, port);
  let r: CacheCoachReport;
  if (d) r = await getJson<CacheCoachReport>(`${d.record.url}/api/cache-coach?range=${range}&tz=${encodeURIComponent(tz)}`, readToken(d, io.env), 30_000);
  else {
    if (port !== undefined) throw new CliError(`no CCO daemon is running on port ${port}`);
    const pricer = await loadPricer(platformDirs(io.env).configDir);
    const { cacheCoach } = await import('../coach/coach.ts');
    r = await withStore(io, 'cco coach', (store) => cacheCoach(store, pricer, { range: range as CacheCoachReport['range'], tz }));
  }
  io.out(values.json ? JSON.stringify(r, null, 2) + '\n' : formatCoach(r).join('\n') + '\n');
  return 0;
}

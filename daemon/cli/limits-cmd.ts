/**
 * `cco limits [--json] [--port N]`: the plan-limit state the daemon has seen (per credential: each window's
 * utilization, reset and forecast) — and `formatLimits`, shared with `cco tui`.
 */
import type { LimitsResponse } from '../../shared/contract.ts';
import { clockTime, describeForecast, duration, percent, windowShort } from '../limits/describe.ts';
import { getJson, parse, parsePortArg, readToken, requireDaemon, type Io } from './common.ts';

export const LIMITS_USAGE = `Usage: cco limits [--json] [--port N]

Shows the Claude plan limits (5-hour, weekly, per-model weekly) as the API reported them on the last
response through CCO, per credential, with when each resets and whether the current pace reaches it.
`;

function bar(u: number, width = 20): string {
  const filled = Math.max(0, Math.min(width, Math.round(u * width)));
  return '█'.repeat(filled) + '░'.repeat(width - filled);
}

/** Lines for a terminal: one block per credential with unified windows, else its standard buckets. */
export function formatLimits(r: LimitsResponse, tz: string, opts: { forecasts?: boolean } = {}): string[] {
  const lines: string[] = [];
  if (r.credentials.length === 0) return ['No rate-limit headers seen yet (they arrive with the next response through CCO).'];
  for (const c of r.credentials) {
    const status = c.unified?.status ? ` · ${c.unified.status}` : '';
    lines.push(`credential ${c.credentialId}${status} · seen ${clockTime(c.updatedAt, r.now, tz)}`);
    if (c.unified) {
      for (const w of Object.values(c.unified.windows)) {
        if (w.utilization === null) continue;
        const reset = w.resetsAt !== null && w.resetsAt > r.now;
        const u = reset || w.resetsAt === null ? w.utilization : 0;
        const when = w.resetsAt === null ? '' : reset ? `resets ${clockTime(w.resetsAt, r.now, tz)} (in ${duration(w.resetsAt - r.now)})` : 'has reset';
        lines.push(`  ${windowShort(w.name).padEnd(10)} ${bar(u)} ${percent(u).padStart(4)}  ${when}${w.status && w.status !== 'allowed' ? `  [${w.status}]` : ''}`);
      }
      if (c.unified.overage.inUse) lines.push('  overage in use');
      if (opts.forecasts !== false) {
        for (const f of c.forecasts) if (f.confidence !== 'none' || f.reachesAt !== null) lines.push(`  · ${describeForecast(f, r.now, tz)}`);
      }
    } else if (c.standard) {
      for (const [name, b] of Object.entries(c.standard)) {
        if (b.limit === null || b.remaining === null) continue;
        lines.push(`  ${name.padEnd(14)} ${b.remaining}/${b.limit} left${b.resetsAt ? `, resets ${clockTime(b.resetsAt, r.now, tz)}` : ''}`);
      }
    }
  }
  return lines;
}

export async function limitsCommand(argv: string[], io: Io): Promise<number> {
  const { values } = parse(argv, { json: { type: 'boolean' }, port: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, LIMITS_USAGE);
  if (values.help) {
    io.out(LIMITS_USAGE);
    return 0;
  }
  const d = requireDaemon(io.env, parsePortArg(values.port));
  const r = await getJson<LimitsResponse>(`${d.record.url}/api/limits`, readToken(d, io.env));
  if (values.json) {
    io.out(JSON.stringify(r, null, 2) + '\n');
    return 0;
  }
  const tz = Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  io.out(formatLimits(r, tz).join('\n') + '\n');
  return 0;
}

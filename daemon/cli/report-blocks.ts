/**
 * `cco report blocks`: Claude Code's 5-hour blocks (GET /api/blocks) as a table — start, end (or time
 * left), requests, tokens, cost, burn rate, and for the active block the projection to its end.
 */
import type { BlocksResponse, UsageBlock } from '../../shared/contract.ts';
import { csvLine, nanoToUsd } from '../api/csv.ts';
import { formatCount, formatTokens, formatUsd } from '../api/format.ts';
import { formatDuration, type Io } from './common.ts';
import { renderTable, type Column, type Row } from './report-table.ts';
import type { ApiGet } from './report.ts';

function clock(t: number, tz: string, withDate: boolean): string {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone: tz,
    hourCycle: 'h23',
    ...(withDate && { year: 'numeric', month: '2-digit', day: '2-digit' }),
    hour: '2-digit',
    minute: '2-digit',
  }).formatToParts(new Date(t));
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return withDate ? `${get('year')}-${get('month')}-${get('day')} ${get('hour')}:${get('minute')}` : `${get('hour')}:${get('minute')}`;
}

const blockCost = (b: Pick<UsageBlock, 'costNanoUsd' | 'requests' | 'unpricedRequests'>) =>
  b.unpricedRequests > 0 && b.unpricedRequests === b.requests ? 'unpriced' : formatUsd(b.costNanoUsd);
const unpricedNote = (n: number) => (n ? ` (+${formatCount(n)} unpriced)` : '');

/** "$2.40/h" and "1.2k tok/min" for a block's burn rate. */
export function formatBurn(b: UsageBlock): string {
  return b.burn ? `${formatUsd(b.burn.costNanoUsdPerHour)}/h` : '-';
}

export function formatBlocks(r: BlocksResponse, tz: string, width = 80): string {
  const columns: Column[] = [
    { head: 'Start', priority: 100 },
    { head: 'End', priority: 90 },
    { head: 'Models', priority: 1, flex: true },
    { head: 'Reqs', align: 'right', priority: 5 },
    { head: 'Tokens', align: 'right', priority: 6 },
    { head: 'Cost', align: 'right', priority: 99 },
    { head: 'Burn', align: 'right', priority: 8 },
    { head: 'Projected', align: 'right', priority: 7 },
    ...(r.blocks.some((b) => b.unpricedRequests) ? [{ head: 'Unpriced', align: 'right', priority: 4 } satisfies Column] : []),
  ];
  const rows: Row[] = r.blocks.map((b) => [
    { wide: clock(b.start, tz, true), narrow: clock(b.start, tz, true).slice(5) },
    b.active ? { wide: `active, ${formatDuration((b.end - r.now) / 1000)} left`, narrow: `${formatDuration((b.end - r.now) / 1000)} left` } : clock(b.end, tz, false),
    b.models.map((m) => m.replace(/^claude-/, '')).join(', '),
    formatCount(b.requests),
    { wide: formatCount(b.totalTokens), narrow: formatTokens(b.totalTokens) },
    blockCost(b),
    formatBurn(b),
    b.projection ? formatUsd(b.projection.costNanoUsd) : '',
    b.unpricedRequests ? formatCount(b.unpricedRequests) : '',
  ]);
  const sum = (f: (b: UsageBlock) => number) => r.blocks.reduce((a, b) => a + f(b), 0);
  const total = { costNanoUsd: sum((b) => b.costNanoUsd), requests: sum((b) => b.requests), unpricedRequests: sum((b) => b.unpricedRequests) };
  const totals: Row = ['Total', '', '', formatCount(total.requests), { wide: formatCount(sum((b) => b.totalTokens)), narrow: formatTokens(sum((b) => b.totalTokens)) }, blockCost(total), '', '', total.unpricedRequests ? formatCount(total.unpricedRequests) : ''];
  const head = `5-hour blocks, ${clock(Date.parse(r.from), tz, true)} to ${clock(Date.parse(r.to), tz, true)} (${tz})\n`;
  const a = r.active;
  const foot = a
    ? `Active block: ${blockCost(a)} so far${unpricedNote(a.unpricedRequests)}, ${formatTokens(a.totalTokens)} tokens\n` +
      (a.burn ? `Burn rate: ${formatBurn(a)}, ${formatTokens(Math.round(a.burn.tokensPerMinute))} tokens/min\n` : '') +
      `At this rate: ${formatUsd(a.projection!.costNanoUsd)} and ${formatTokens(a.projection!.totalTokens)} tokens by ${clock(a.end, tz, false)}\n`
    : 'No active block.\n';
  return head + (r.blocks.length ? renderTable(columns, rows, width, totals) : 'No requests in this range.\n') + foot;
}

export function blocksCsv(r: BlocksResponse): string {
  const head = ['start', 'end', 'active', 'requests', 'cost_usd', 'unpriced_requests', 'input_tokens', 'cache_write_5m_tokens', 'cache_write_1h_tokens', 'cache_read_tokens', 'output_tokens', 'total_tokens', 'tokens_per_minute', 'cost_usd_per_hour', 'projected_cost_usd', 'projected_tokens', 'models'];
  const iso = (t: number) => new Date(t).toISOString();
  return (
    csvLine(head) +
    r.blocks
      .map((b) =>
        csvLine([
          iso(b.start),
          iso(b.end),
          b.active,
          b.requests,
          nanoToUsd(b.costNanoUsd),
          b.unpricedRequests,
          b.tokens.input,
          b.tokens.cacheWrite5m,
          b.tokens.cacheWrite1h,
          b.tokens.cacheRead,
          b.tokens.output,
          b.totalTokens,
          b.burn ? Math.round(b.burn.tokensPerMinute) : null,
          b.burn ? nanoToUsd(b.burn.costNanoUsdPerHour) : null,
          b.projection ? nanoToUsd(b.projection.costNanoUsd) : null,
          b.projection?.totalTokens ?? null,
          b.models.join(' '),
        ]),
      )
      .join('')
  );
}

export async function blocksReport(get: ApiGet, query: string, format: 'json' | 'csv' | 'table', io: Io, tz: string, width: number): Promise<number> {
  const r = await get<BlocksResponse>(`/api/blocks?${query}`);
  if (format === 'json') io.out(JSON.stringify(r, null, 2) + '\n');
  else if (format === 'csv') io.out(blocksCsv(r));
  else io.out(formatBlocks(r, tz, width));
  return 0;
}

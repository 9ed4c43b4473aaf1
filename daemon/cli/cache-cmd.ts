/**
 * `cco cache stats|clear [--json] [--port N]`: the response cache. Through the running daemon when there is
 * one (it owns the cache's index); otherwise straight on the cache folder named by the configuration.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ResponseCacheCleared, ResponseCacheStatus } from '../../shared/contract.ts';
import { formatCount, formatUsd } from '../api/format.ts';
import { countEntries, readSavedCounters } from '../cache/response-cache.ts';
import { loadConfig } from '../config/load.ts';
import { platformCacheDir } from '../config/paths.ts';
import { CliError, findDaemon, getJson, parse, parsePortArg, readToken, UsageError, type Io } from './common.ts';

export const CACHE_USAGE = `Usage: cco cache stats|clear [--json] [--port N]

The response cache ([cache] in config.toml, off by default; per request: x-cco-cache: on|off|refresh).
  stats   entries, bytes on disk, lookups, hits, hit rate and what the hits would have cost
  clear   deletes every entry and resets the counters
`;

function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

export function formatCacheStatus(s: ResponseCacheStatus): string[] {
  return [
    `response cache: ${s.enabled ? 'on' : 'off (per request: x-cco-cache: on)'} · ${s.dir}`,
    `  entries   ${formatCount(s.entries)} · ${mib(s.bytes)} of ${mib(s.maxBytes)} · TTL ${s.ttlSeconds} s`,
    `  lookups   ${formatCount(s.lookups)}${s.since > 0 ? ` since ${new Date(s.since).toISOString()}` : ''}`,
    `  hits      ${formatCount(s.hits)} (${(s.hitRate * 100).toFixed(1)} %) · misses ${formatCount(s.misses)} · stored ${formatCount(s.stores)}`,
    `  saved     ${formatUsd(s.savedNanoUsd)} (what the hits would have cost upstream)`,
  ];
}

/** The status read from the folder when no daemon runs. */
function offlineStatus(io: Io): ResponseCacheStatus {
  const { config } = loadConfig({ env: io.env });
  const dir = config.cache.dir || platformCacheDir(io.env);
  const counters = readSavedCounters(dir) ?? { since: 0, lookups: 0, hits: 0, misses: 0, stores: 0, savedNanoUsd: 0 };
  return {
    enabled: config.cache.enabled,
    dir,
    maxBytes: config.cache.size,
    ttlSeconds: config.cache.ttl,
    ...countEntries(dir),
    ...counters,
    hitRate: counters.lookups ? counters.hits / counters.lookups : 0,
  };
}

export async function cacheCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(argv, { json: { type: 'boolean' }, port: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, CACHE_USAGE, true);
  if (values.help) {
    io.out(CACHE_USAGE);
    return 0;
  }
  const [sub, ...extra] = positionals;
  if ((sub !== 'stats' && sub !== 'clear') || extra.length > 0) throw new UsageError(`expected stats or clear\n\n${CACHE_USAGE}`);
  const port = parsePortArg(values.port);
  const daemon = findDaemon(io.env, port);
  if (!daemon && port !== undefined) throw new CliError(`no CCO daemon is running on port ${port}`);

  if (sub === 'stats') {
    const s = daemon ? await getJson<ResponseCacheStatus>(`${daemon.record.url}/api/cache`, readToken(daemon, io.env)) : offlineStatus(io);
    io.out(values.json ? JSON.stringify(s, null, 2) + '\n' : formatCacheStatus(s).join('\n') + '\n');
    return 0;
  }

  let cleared: ResponseCacheCleared;
  if (daemon) {
    const res = await fetch(`${daemon.record.url}/api/cache/clear`, { method: 'POST', headers: { authorization: `Bearer ${readToken(daemon, io.env)}` } });
    if (!res.ok) throw new CliError(`/api/cache/clear answered ${res.status}`);
    cleared = (await res.json()) as ResponseCacheCleared;
  } else {
    const dir = offlineStatus(io).dir;
    cleared = countEntries(dir);
    fs.rmSync(path.join(dir, 'responses'), { recursive: true, force: true });
    fs.rmSync(path.join(dir, 'stats.json'), { force: true });
  }
  io.out(values.json ? JSON.stringify(cleared) + '\n' : `cleared ${formatCount(cleared.entries)} entries (${mib(cleared.bytes)})\n`);
  return 0;
}

/**
 * Daemon options from flags and environment (flags win). Bad values are one plain message naming the
 * flag or variable and what is allowed; nothing starts half-configured.
 */
import { parseArgs } from 'node:util';
import type { DaemonOptions } from '../index.ts';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export interface ParsedArgs {
  options: DaemonOptions;
  help: boolean;
  version: boolean;
  noBrowser: boolean;
}

export const DAEMON_USAGE = `Usage: cco run [options]

  --host <addr>       address to listen on (default 127.0.0.1; env CCO_HOST)
  --port <n>          port to listen on (default 3000; env CCO_PORT; 0 = any free port)
  --upstream <url>    Anthropic API base URL (default https://api.anthropic.com; env CCO_UPSTREAM_URL)
  --data-dir <dir>    where records are stored (default: platform data dir; env CCO_DATA_DIR)
  --no-browser        do not open the dashboard (env NO_BROWSER)
  -h, --help          show this help
  -v, --version       print the version
`;

function parsePort(value: string, source: string): number {
  if (!/^\d+$/.test(value) || Number(value) > 65535) {
    throw new ConfigError(`${source}: "${value}" is not a port number (0-65535)`);
  }
  return Number(value);
}

function parseUrl(value: string, source: string): string {
  try {
    const url = new URL(value);
    if (url.protocol === 'http:' || url.protocol === 'https:') return value;
  } catch {
    // fall through
  }
  throw new ConfigError(`${source}: "${value}" is not an http(s) URL`);
}

export function parseDaemonArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): ParsedArgs {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        host: { type: 'string' },
        port: { type: 'string' },
        upstream: { type: 'string' },
        'data-dir': { type: 'string' },
        'no-browser': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
      },
    }));
  } catch (err) {
    throw new ConfigError(`${(err as Error).message}\n\n${DAEMON_USAGE}`);
  }
  const options: DaemonOptions = {};
  const host = values.host ?? env.CCO_HOST;
  if (host !== undefined) {
    if (!host.trim()) throw new ConfigError(`${values.host !== undefined ? '--host' : 'CCO_HOST'}: must not be empty`);
    options.host = host;
  }
  if (values.port !== undefined) options.port = parsePort(values.port, '--port');
  else if (env.CCO_PORT) options.port = parsePort(env.CCO_PORT, 'CCO_PORT');
  if (values.upstream !== undefined) options.upstreamUrl = parseUrl(values.upstream, '--upstream');
  else if (env.CCO_UPSTREAM_URL) options.upstreamUrl = parseUrl(env.CCO_UPSTREAM_URL, 'CCO_UPSTREAM_URL');
  const dataDir = values['data-dir'] ?? env.CCO_DATA_DIR;
  if (dataDir) options.dataDir = dataDir;
  return {
    options,
    help: values.help ?? false,
    version: values.version ?? false,
    noBrowser: values['no-browser'] ?? Boolean(env.NO_BROWSER),
  };
}

/**
 * `cco config show | get KEY | set KEY VALUE | path`: the effective configuration (with where each value
 * came from), one value, or a validated edit of config.toml that keeps its comments.
 */
import { setConfigValue, tomlValue } from '../config/edit.ts';
import { configFilePath, loadConfig } from '../config/load.ts';
import { FIELDS, fieldFor, getValue, redactHeaderList, redactUrlPassword } from '../config/schema.ts';
import { UsageError, type Io } from './common.ts';

export const CONFIG_USAGE = `Usage:
  cco config show [--json]     effective settings (defaults < config.toml < environment)
  cco config get KEY           one value, e.g. \`cco config get server.port\`
  cco config set KEY VALUE     validate and write to config.toml (comments are kept)
  cco config path              where config.toml is
Keys: ${FIELDS.map((f) => `${f.section}.${f.key}`).join(', ')}
`;

export function configCommand(argv: string[], io: Io): number {
  const [sub, ...rest] = argv;
  if (sub === 'path') {
    io.out(loadConfig({ env: io.env }).file + '\n');
    return 0;
  }
  if (sub === 'show') {
    const json = rest.includes('--json');
    if (rest.some((a) => a !== '--json')) throw new UsageError(CONFIG_USAGE);
    const loaded = loadConfig({ env: io.env });
    // `show` never prints a password or header value (`get KEY` does, when asked for it)
    loaded.config.database.url = redactUrlPassword(loaded.config.database.url);
    loaded.config.team.url = redactUrlPassword(loaded.config.team.url);
    loaded.config.metrics.otlp_headers = redactHeaderList(loaded.config.metrics.otlp_headers); // the collector's credentials
    loaded.config.metrics.otlp_endpoint = redactUrlPassword(loaded.config.metrics.otlp_endpoint);
    if (json) {
      io.out(JSON.stringify({ file: loaded.file, config: loaded.config, sources: loaded.sources }, null, 2) + '\n');
      return 0;
    }
    io.out(`# ${loaded.file}${loaded.fileExists ? '' : ' (not present: defaults)'}\n`);
    let section = '';
    for (const f of FIELDS) {
      if (f.section !== section) {
        section = f.section;
        io.out(`\n[${section}]\n`);
      }
      const src = loaded.sources[`${f.section}.${f.key}`];
      io.out(`${f.key} = ${tomlValue(getValue(loaded.config, f))}${src === 'default' ? '' : `  # from ${src === 'env' ? (f.env ?? 'environment') : src}`}\n`);
    }
    return 0;
  }
  if (sub === 'get') {
    if (rest.length !== 1) throw new UsageError(CONFIG_USAGE);
    const f = fieldFor(rest[0]!);
    if (!f) throw new UsageError(`unknown key "${rest[0]}"\n\n${CONFIG_USAGE}`);
    const v = getValue(loadConfig({ env: io.env }).config, f);
    io.out(`${typeof v === 'string' ? v : String(v)}\n`);
    return 0;
  }
  if (sub === 'set') {
    if (rest.length !== 2) throw new UsageError(CONFIG_USAGE);
    const file = configFilePath(io.env);
    const v = setConfigValue(file, rest[0]!, rest[1]!);
    io.out(`${rest[0]} = ${tomlValue(v)}  (${file})\n`);
    const envName = fieldFor(rest[0]!)?.env;
    if (envName && io.env[envName]) io.out(`note: ${envName} is set in your environment and overrides this value\n`);
    return 0;
  }
  throw new UsageError(CONFIG_USAGE);
}

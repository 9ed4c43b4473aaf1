/**
 * Configuration: defaults < config.toml < environment < flags → a typed, fully validated CcoConfig.
 * Any bad file or value is one ConfigError naming the file (or variable, or flag), the key and what is
 * allowed; nothing is returned half-configured.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse, TomlError } from 'smol-toml';
import { readUserBudgetTables } from './budget-tables.ts';
import { ConfigError } from './errors.ts';
import { platformDirs, type PlatformDirs } from './paths.ts';
import { allowedText, checkValue, defaultConfig, FIELDS, fieldFor, parseText, SECTIONS, setValue, type CcoConfig, type Value } from './schema.ts';

export { ConfigError };

export const CONFIG_FILE = 'config.toml';

export interface LoadedConfig {
  config: CcoConfig;
  /** Path of config.toml (which may not exist). */
  file: string;
  fileExists: boolean;
  dirs: PlatformDirs;
  /** Where the value of each key came from. */
  sources: Record<string, 'default' | 'file' | 'env' | 'flag'>;
}

export interface LoadOptions {
  env?: NodeJS.ProcessEnv;
  /** Command-line values keyed by dotted key (`server.port`), as text; the label names the flag in errors. */
  flags?: Record<string, { value: string; label: string }>;
  /** Explicit config file (default `<configDir>/config.toml`). */
  file?: string;
}

export function configFilePath(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(platformDirs(env).configDir, CONFIG_FILE);
}

/** `~` / `~/x` → the home directory. */
export function expandHome(p: string, home = os.homedir()): string {
  if (p === '~') return home;
  if (p.startsWith('~/') || p.startsWith('~\\')) return path.join(home, p.slice(2));
  return p;
}

function describeTomlError(file: string, err: unknown): string {
  if (err instanceof TomlError) return `${file}: invalid TOML at line ${err.line}, column ${err.column}: ${err.message.split('\n')[0]}`;
  return `${file}: invalid TOML: ${(err as Error).message}`;
}

/** Validates a parsed TOML document into `config` (mutated); throws ConfigError naming file, key and rule. */
export function applyDocument(config: CcoConfig, doc: Record<string, unknown>, file: string, sources?: LoadedConfig['sources']): void {
  for (const [section, body] of Object.entries(doc)) {
    if (!(SECTIONS as readonly string[]).includes(section)) {
      throw new ConfigError(`${file}: unknown section [${section}]; allowed sections: ${SECTIONS.join(', ')}`);
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new ConfigError(`${file}: "${section}" must be a [${section}] table`);
    }
    if (section === 'budgets') readUserBudgetTables(body, file); // per-user budget tables: checked here, read by daemon/budgets/rules.ts
    for (const [key, raw] of Object.entries(body)) {
      if (section === 'budgets' && (key === 'projects' || key === 'users' || key === 'per_user')) continue; // budget tables: daemon/budgets/rules.ts reads them
      const f = fieldFor(`${section}.${key}`);
      if (!f) {
        const keys = FIELDS.filter((x) => x.section === section).map((x) => x.key);
        throw new ConfigError(`${file}: [${section}] unknown key "${key}"; allowed keys: ${keys.join(', ')}`);
      }
      const r = checkValue(f, raw);
      if (!r.ok) throw new ConfigError(`${file}: [${section}] ${key} = ${JSON.stringify(raw)} is not allowed; expected ${allowedText(f)}`);
      setValue(config, f, r.value);
      if (sources) sources[`${section}.${key}`] = 'file';
    }
  }
}

export function parseConfigText(text: string, file: string): Record<string, unknown> {
  try {
    return parse(text) as Record<string, unknown>;
  } catch (err) {
    throw new ConfigError(describeTomlError(file, err));
  }
}

export function loadConfig(opts: LoadOptions = {}): LoadedConfig {
  const env = opts.env ?? process.env;
  const dirs = platformDirs(env);
  const file = opts.file ?? path.join(dirs.configDir, CONFIG_FILE);
  const config = defaultConfig();
  const sources: LoadedConfig['sources'] = {};
  for (const f of FIELDS) sources[`${f.section}.${f.key}`] = 'default';

  let text: string | null = null;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' || opts.file) throw new ConfigError(`${file}: cannot read the config file (${code ?? (err as Error).message})`);
  }
  if (text !== null) applyDocument(config, parseConfigText(text, file), file, sources);

  for (const f of FIELDS) {
    if (!f.env) continue;
    const raw = env[f.env];
    if (raw === undefined || raw === '') continue;
    const v = parseText(f, raw);
    if (v === undefined) throw new ConfigError(`${f.env}: "${raw}" is not allowed for ${f.section}.${f.key}; expected ${allowedText(f)}`);
    setValue(config, f, v);
    sources[`${f.section}.${f.key}`] = 'env';
  }
  if (env.NO_BROWSER) {
    config.server.auto_browser = false;
    sources['server.auto_browser'] = 'env';
  }

  for (const [dotted, { value, label }] of Object.entries(opts.flags ?? {})) {
    const f = fieldFor(dotted);
    if (!f) throw new ConfigError(`${label}: unknown setting ${dotted}`);
    const v: Value | undefined = parseText(f, value);
    if (v === undefined) throw new ConfigError(`${label}: "${value}" is not allowed; expected ${allowedText(f)}`);
    setValue(config, f, v);
    sources[dotted] = 'flag';
  }
  const home = env.HOME || env.USERPROFILE || os.homedir();
  config.database.path = config.database.path && path.resolve(expandHome(config.database.path, home));
  config.logging.file = config.logging.file && path.resolve(expandHome(config.logging.file, home));
  config.cache.dir = config.cache.dir && path.resolve(expandHome(config.cache.dir, home));
  return { config, file, fileExists: text !== null, dirs, sources };
}

/** The log file the daemon writes: logging.file, else `<data>/logs/cco.log`. */
export function logFilePath(loaded: Pick<LoadedConfig, 'config' | 'dirs'>): string {
  return loaded.config.logging.file || path.join(loaded.dirs.dataDir, 'logs', 'cco.log');
}

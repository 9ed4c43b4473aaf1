/**
 * The config.toml schema as one table: every key with its section, kind, default, allowed values and the
 * environment variable that overrides it. Validation, `cco config get/set`, the environment layer and the
 * documentation all read this table, so a key exists in exactly one place.
 */
import { parseServerNames } from '../api/auth.ts';
import { DEFAULT_MAX_CONNECTIONS, DEFAULT_REQUESTS_PER_MINUTE } from '../ratelimit/limiter.ts';

export type LogLevelName = 'debug' | 'info' | 'warn' | 'error';

export interface CcoConfig {
  /** `names`: host names browsers reach a gateway by (comma-separated), besides loopback. */
  server: { host: string; port: number; auto_browser: boolean; upstream_url: string; names: string };
  /** The opt-in response cache (daemon/cache): identical calls answered from disk, byte for byte. */
  cache: { enabled: boolean; size: number; ttl: number; dir: string };
  /** Directory of the record store (snapshot + journal); "" = the platform data dir. */
  database: { path: string; url: string };
  /** Federated team mode: ship this daemon's records to the team's PostgreSQL as well (daemon/team/shipper.ts). */
  team: { url: string; user: string };
  /** Log file; "" = `<data>/logs/cco.log`. */
  logging: { level: LogLevelName; file: string };
  updates: { auto_check: boolean; channel: 'stable' | 'beta' };
  telemetry: { enabled: boolean; endpoint: string; interval_seconds: number };
  rate_limit: { enabled: boolean; requests_per_minute: number; max_connections: number };
  /** Load `<config>/pricing.json` price overrides. */
  pricing: { overrides: boolean };
  /** GET /metrics (Prometheus), and its optional OTLP/HTTP export (daemon/metrics/otlp.ts). */
  metrics: { open: boolean; otlp_endpoint: string; otlp_interval_seconds: number; otlp_headers: string };
  /** Global USD budgets (0 = none); per-project ones live in `[budgets.projects."<path>"]` tables (daemon/budgets). */
  budgets: {
    daily_usd: number;
    weekly_usd: number;
    monthly_usd: number;
    daily_hard: boolean;
    weekly_hard: boolean;
    monthly_hard: boolean;
  };
  /** Notifications for plan limits and budgets, and the runaway guard (daemon/budgets/alerts). */
  alerts: {
    thresholds: string;
    webhook_url: string;
    cooldown_minutes: number;
    runaway_requests_per_minute: number;
    runaway_usd_per_minute: number;
    runaway_pause: boolean;
  };
}

export type Section = keyof CcoConfig;
export type Value = string | number | boolean;

export interface FieldSpec {
  section: Section;
  key: string;
  kind: 'string' | 'int' | 'bool' | 'enum' | 'url' | 'path' | 'pgurl' | 'usd' | 'optional-url' | 'optional-string' | 'percent-list' | 'header-list' | 'host-list';
  default: Value;
  /** enum values */
  values?: readonly string[];
  min?: number;
  max?: number;
  /** Environment variable that overrides the file. */
  env?: string;
  help: string;
}

export const FIELDS: readonly FieldSpec[] = [
  { section: 'server', key: 'host', kind: 'string', default: '127.0.0.1', env: 'CCO_HOST', help: 'address to listen on' },
  { section: 'server', key: 'port', kind: 'int', default: 3000, min: 0, max: 65535, env: 'CCO_PORT', help: 'port to listen on (0 = any free port)' },
  { section: 'server', key: 'auto_browser', kind: 'bool', default: true, help: 'open the dashboard when `cco run` starts' },
  { section: 'server', key: 'upstream_url', kind: 'url', default: 'https://api.anthropic.com', env: 'CCO_UPSTREAM_URL', help: 'Anthropic API base URL' },
  { section: 'server', key: 'names', kind: 'host-list', default: '', env: 'CCO_SERVER_NAMES', help: 'names the dashboard and API answer to besides loopback, comma-separated host[:port] (a team gateway reached as http://cco.internal:3000 or through a TLS proxy); "" = loopback only' },
  { section: 'cache', key: 'enabled', kind: 'bool', default: false, env: 'CCO_CACHE', help: 'answer identical API calls from the response cache (off by default; per request: x-cco-cache: on|off|refresh)' },
  { section: 'cache', key: 'size', kind: 'int', default: 1073741824, min: 0, max: Number.MAX_SAFE_INTEGER, env: 'CCO_CACHE_SIZE', help: 'response cache size bound in bytes (least recently used entries are evicted)' },
  { section: 'cache', key: 'ttl', kind: 'int', default: 3600, min: 0, max: 31_536_000, env: 'CCO_CACHE_TTL', help: 'response cache entry lifetime in seconds' },
  { section: 'cache', key: 'dir', kind: 'path', default: '', env: 'CCO_CACHE_DIR', help: 'response cache folder ("" = the platform cache folder: ~/.cache/cco, ~/Library/Caches/cco, %LOCALAPPDATA%\\cco\\cache)' },
  { section: 'database', key: 'path', kind: 'path', default: '', help: 'directory of the record store ("" = data dir)' },
  { section: 'database', key: 'url', kind: 'pgurl', default: '', env: 'CCO_DATABASE_URL', help: 'PostgreSQL team store, postgres://user[:password]@host[:port]/db ("" = the embedded store)' },
  { section: 'team', key: 'url', kind: 'pgurl', default: '', env: 'CCO_TEAM_URL', help: 'federated team mode: also ship every record to this PostgreSQL, postgres://user[:password]@host[:port]/db ("" = off)' },
  { section: 'team', key: 'user', kind: 'optional-string', default: '', env: 'CCO_TEAM_USER', help: 'your name in the team ledger ("" = the login name)' },
  { section: 'logging', key: 'level', kind: 'enum', default: 'info', values: ['debug', 'info', 'warn', 'error'], env: 'CCO_LOG_LEVEL', help: 'log level' },
  { section: 'logging', key: 'file', kind: 'path', default: '', help: 'log file ("" = <data>/logs/cco.log)' },
  { section: 'updates', key: 'auto_check', kind: 'bool', default: true, help: 'check for updates at start' },
  { section: 'updates', key: 'channel', kind: 'enum', default: 'stable', values: ['stable', 'beta'], help: 'update channel' },
  { section: 'telemetry', key: 'enabled', kind: 'bool', default: false, help: 'send anonymous counters (off by default)' },
  { section: 'telemetry', key: 'endpoint', kind: 'url', default: 'https://telemetry.cco.invalid/v1/counters', help: 'where counters are sent' },
  { section: 'telemetry', key: 'interval_seconds', kind: 'int', default: 3600, min: 10, max: 604_800, help: 'seconds between reports' },
  { section: 'rate_limit', key: 'enabled', kind: 'bool', default: true, help: 'limit the API and live feed per client credential (never the proxy, /health, /ready or the dashboard files)' },
  { section: 'rate_limit', key: 'requests_per_minute', kind: 'int', default: DEFAULT_REQUESTS_PER_MINUTE, min: 1, max: 1_000_000, help: 'API requests per minute per client credential' },
  { section: 'rate_limit', key: 'max_connections', kind: 'int', default: DEFAULT_MAX_CONNECTIONS, min: 1, max: 10_000, help: 'concurrent API requests and live-feed sockets per client credential' },
  { section: 'pricing', key: 'overrides', kind: 'bool', default: true, help: 'apply <config>/pricing.json price overrides' },
  { section: 'metrics', key: 'open', kind: 'bool', default: false, help: 'serve /metrics without the token (loopback-only daemons; ignored beyond loopback)' },
  { section: 'metrics', key: 'otlp_endpoint', kind: 'optional-url', default: '', env: 'CCO_OTLP_ENDPOINT', help: 'also push the same metrics to this OpenTelemetry collector over OTLP/HTTP, e.g. http://collector:4318 ("" = off)' },
  { section: 'metrics', key: 'otlp_interval_seconds', kind: 'int', default: 60, min: 1, max: 86_400, env: 'CCO_OTLP_INTERVAL_SECONDS', help: 'seconds between two OTLP exports' },
  { section: 'metrics', key: 'otlp_headers', kind: 'header-list', default: '', env: 'CCO_OTLP_HEADERS', help: 'headers sent with each OTLP export, "name=value,name2=value2" (e.g. the collector\'s authorization; never shown by `cco config show`)' },
  { section: 'budgets', key: 'daily_usd', kind: 'usd', default: 0, min: 0, max: 1_000_000, help: 'daily USD budget, all projects (0 = none)' },
  { section: 'budgets', key: 'weekly_usd', kind: 'usd', default: 0, min: 0, max: 1_000_000, help: 'weekly USD budget (weeks start on Monday; 0 = none)' },
  { section: 'budgets', key: 'monthly_usd', kind: 'usd', default: 0, min: 0, max: 1_000_000, help: 'monthly USD budget (0 = none)' },
  { section: 'budgets', key: 'daily_hard', kind: 'bool', default: false, help: 'refuse new billable requests once the daily budget is spent' },
  { section: 'budgets', key: 'weekly_hard', kind: 'bool', default: false, help: 'refuse new billable requests once the weekly budget is spent' },
  { section: 'budgets', key: 'monthly_hard', kind: 'bool', default: false, help: 'refuse new billable requests once the monthly budget is spent' },
  { section: 'alerts', key: 'thresholds', kind: 'percent-list', default: '80,95', help: 'notify when a plan limit or budget crosses these percentages' },
  { section: 'alerts', key: 'webhook_url', kind: 'optional-url', default: '', help: 'POST each alert as JSON to this URL ("" = none)' },
  { section: 'alerts', key: 'cooldown_minutes', kind: 'int', default: 60, min: 0, max: 10_080, help: 'minimum minutes between two alerts of the same kind' },
  { section: 'alerts', key: 'runaway_requests_per_minute', kind: 'int', default: 0, min: 0, max: 100_000, help: 'alert when one session sends more requests per minute (0 = off)' },
  { section: 'alerts', key: 'runaway_usd_per_minute', kind: 'usd', default: 0, min: 0, max: 100_000, help: 'alert when one session spends faster, USD per minute (0 = off)' },
  { section: 'alerts', key: 'runaway_pause', kind: 'bool', default: false, help: 'also pause a runaway session (its new requests are refused) until overridden' },
];

export const SECTIONS: readonly Section[] = ['server', 'cache', 'database', 'team', 'logging', 'updates', 'telemetry', 'rate_limit', 'pricing', 'metrics', 'budgets', 'alerts'];

export function fieldFor(dotted: string): FieldSpec | undefined {
  return FIELDS.find((f) => `${f.section}.${f.key}` === dotted);
}

export function allowedText(f: FieldSpec): string {
  switch (f.kind) {
    case 'int':
      return `an integer from ${f.min} to ${f.max}`;
    case 'bool':
      return 'true or false';
    case 'enum':
      return `one of ${f.values!.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'url':
      return 'an http(s) URL';
    case 'path':
      return 'a path (~ allowed) or ""';
    case 'pgurl':
      return 'a postgres:// or postgresql:// URL, or ""';
    case 'usd':
      return `an amount in USD from ${f.min} to ${f.max}`;
    case 'optional-url':
      return 'an http(s) URL or ""';
    case 'optional-string':
      return 'a string (may be "")';
    case 'percent-list':
      return 'comma-separated percentages from 1 to 100, e.g. "80,95"';
    case 'host-list':
      return 'comma-separated host names with an optional :port, e.g. "cco.internal,cco.example.com", or ""';
    case 'header-list':
      return 'comma-separated name=value pairs with HTTP header names, e.g. "authorization=Bearer abc,x-team=core", or ""';
    default:
      return 'a non-empty string';
  }
}

/** Checks a typed value (from TOML); returns the value or an error text. */
export function checkValue(f: FieldSpec, v: unknown): { ok: true; value: Value } | { ok: false } {
  switch (f.kind) {
    case 'int':
      return typeof v === 'number' && Number.isInteger(v) && v >= f.min! && v <= f.max! ? { ok: true, value: v } : { ok: false };
    case 'bool':
      return typeof v === 'boolean' ? { ok: true, value: v } : { ok: false };
    case 'enum':
      return typeof v === 'string' && f.values!.includes(v) ? { ok: true, value: v } : { ok: false };
    case 'url': {
      if (typeof v !== 'string') return { ok: false };
      try {
        const u = new URL(v);
        return u.protocol === 'http:' || u.protocol === 'https:' ? { ok: true, value: v } : { ok: false };
      } catch {
        return { ok: false };
      }
    }
    case 'path':
      return typeof v === 'string' ? { ok: true, value: v } : { ok: false };
    case 'pgurl':
      return typeof v === 'string' && (v === '' || /^postgres(ql)?:\/\/./.test(v)) ? { ok: true, value: v } : { ok: false };
    case 'usd':
      return typeof v === 'number' && Number.isFinite(v) && v >= f.min! && v <= f.max! ? { ok: true, value: v } : { ok: false };
    case 'optional-string':
      return typeof v === 'string' ? { ok: true, value: v.trim() } : { ok: false };
    case 'optional-url':
      return v === '' ? { ok: true, value: v } : checkValue({ ...f, kind: 'url' }, v);
    case 'percent-list':
      return typeof v === 'string' && parsePercentList(v) !== null ? { ok: true, value: v } : { ok: false };
    case 'host-list':
      return typeof v === 'string' && parseServerNames(v) !== null ? { ok: true, value: v.trim() } : { ok: false };
    case 'header-list':
      return typeof v === 'string' && parseHeaderList(v) !== null ? { ok: true, value: v.trim() } : { ok: false };
    default:
      return typeof v === 'string' && v.trim() !== '' ? { ok: true, value: v } : { ok: false };
  }
}

/** Parses text from the environment or the command line into the field's type (undefined = invalid). */
export function parseText(f: FieldSpec, text: string): Value | undefined {
  let v: unknown = text;
  if (f.kind === 'int') v = /^-?\d+$/.test(text.trim()) ? Number(text.trim()) : NaN;
  else if (f.kind === 'usd') v = /^\$?\d+(\.\d+)?$/.test(text.trim()) ? Number(text.trim().replace(/^\$/, '')) : NaN;
  else if (f.kind === 'bool') {
    const t = text.trim().toLowerCase();
    v = ['true', '1', 'yes', 'on'].includes(t) ? true : ['false', '0', 'no', 'off'].includes(t) ? false : undefined;
  }
  const r = checkValue(f, v);
  return r.ok ? r.value : undefined;
}

export function defaultConfig(): CcoConfig {
  const out: Record<string, Record<string, Value>> = {};
  for (const f of FIELDS) (out[f.section] ??= {})[f.key] = f.default;
  return out as unknown as CcoConfig;
}

export function getValue(config: CcoConfig, f: FieldSpec): Value {
  return (config[f.section] as Record<string, Value>)[f.key]!;
}

export function setValue(config: CcoConfig, f: FieldSpec, v: Value): void {
  (config[f.section] as Record<string, Value>)[f.key] = v;
}

/** A URL with its password (if any) replaced by `***`, for display. */
export function redactUrlPassword(url: string): string {
  try {
    const u = new URL(url);
    if (!u.password) return url;
    u.password = '***';
    return u.toString();
  } catch {
    return url;
  }
}

/** "80,95" → [80, 95] (sorted, unique, each 1..100); null when not such a list. "" → []. */
export function parsePercentList(text: string): number[] | null {
  if (text.trim() === '') return [];
  const out: number[] = [];
  for (const part of text.split(',')) {
    const t = part.trim().replace(/%$/, '');
    if (!/^\d+(\.\d+)?$/.test(t)) return null;
    const n = Number(t);
    if (n < 1 || n > 100) return null;
    out.push(n);
  }
  return [...new Set(out)].sort((a, b) => a - b);
}

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * "name=value,name2=value2" (the OTEL_EXPORTER_OTLP_HEADERS syntax; values may be percent-encoded) → headers;
 * null when a pair has no `=`, an empty or invalid header name, or a value with a line break. "" → {}.
 */
export function parseHeaderList(text: string): Record<string, string> | null {
  const out: Record<string, string> = {};
  if (text.trim() === '') return out;
  for (const part of text.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) return null;
    const name = part.slice(0, eq).trim();
    let value: string;
    try {
      value = decodeURIComponent(part.slice(eq + 1).trim());
    } catch {
      return null;
    }
    if (!HEADER_NAME.test(name) || /[\r\n\0]/.test(value)) return null;
    out[name.toLowerCase()] = value;
  }
  return out;
}

/** "authorization=Bearer abc,x-team=core" → "authorization=***,x-team=***", for display. */
export function redactHeaderList(text: string): string {
  const headers = parseHeaderList(text);
  if (!headers) return text === '' ? '' : '***';
  return Object.keys(headers)
    .map((k) => `${k}=***`)
    .join(',');
}

/**
 * Redaction for log lines: no Anthropic key, OAuth token, bearer credential or CCO token ever reaches a log.
 * Pure functions, table-tested.
 */

export const REDACTED = '[redacted]';

/** Field names whose values are always secret, whatever they look like. */
const SECRET_KEY = /^(authorization|proxy-authorization|x-api-key|api[-_]?key|apikey|token|access[-_]?token|refresh[-_]?token|secret|password|cookie|set-cookie|credential|credentials)$/i;

/** Credential shapes: Anthropic keys (`sk-ant-…`, incl. OAuth `sk-ant-oat…`), bearer values. */
const PATTERNS: readonly [RegExp, string][] = [
  [/sk-ant-[A-Za-z0-9_-]{8,}/g, REDACTED],
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/gi, `$1 ${REDACTED}`],
];

/** URL query parameter names whose values are credentials (matched on the decoded name). */
const SECRET_QUERY_NAME =
  /^(?:x[-_]?)?(?:key|api[-_]?key|apikey|token|access[-_]?token|refresh[-_]?token|id[-_]?token|auth[-_]?token|auth|authorization|bearer|secret|client[-_]?secret|password|passwd|pwd|credentials?|session[-_]?(?:id|key|token)|sig|signature|code)$/i;
/** A `name=value` pair of a URL query (in a path, a URL, or a log message quoting one). */
const QUERY_PAIR = /([?&])([^=&?#\s"'<>]+)=([^&#\s"'<>]*)/g;
/** Values that are credentials whatever their parameter is called: Anthropic keys, JWTs. */
const CREDENTIAL_VALUE = /sk-ant-[A-Za-z0-9_-]{8,}|^eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\./;

function decoded(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
}

function redactQueryPair(whole: string, sep: string, name: string, value: string): string {
  if (value === '' || value === REDACTED) return whole;
  if (SECRET_QUERY_NAME.test(decoded(name)) || CREDENTIAL_VALUE.test(decoded(value))) return `${sep}${name}=${REDACTED}`;
  return whole;
}

/** The query-pair rewrite of texts seen lately (paths repeat: `/v1/messages?beta=true` on every call). */
const queryRedacted = new Map<string, string>();
const QUERY_CACHE_SIZE = 256;
const QUERY_CACHE_MAX_CHARS = 512;

function redactQuery(text: string): string {
  const hit = queryRedacted.get(text);
  if (hit !== undefined) return hit;
  const out = text.replace(QUERY_PAIR, redactQueryPair);
  if (text.length <= QUERY_CACHE_MAX_CHARS) {
    if (queryRedacted.size >= QUERY_CACHE_SIZE) queryRedacted.clear();
    queryRedacted.set(text, out);
  }
  return out;
}

/** A text none of PATTERNS can match skips them (a log line's fields are mostly such texts). */
const MAY_HOLD_PATTERN = /sk-ant-|bearer|basic/i;

/**
 * `text` with credentials replaced by `[redacted]`: the given secrets, Anthropic keys, bearer values, and
 * credential-like query values (`?key=`, `api_key`, `token`, `access_token`…, or any value shaped like a key).
 * The logger runs every message through this, and the proxy runs every recorded path through it
 * (proxy/record.ts), so what is never logged is never stored either. Runs per log field and per request:
 * each step is skipped when a plain substring test shows it cannot match, and the query step (which depends
 * only on the text) is remembered for a few hundred short texts.
 */
export function redactText(text: string, secrets: readonly string[] = []): string {
  let out = text;
  for (const s of secrets) if (s && s.length >= 8 && out.includes(s)) out = out.split(s).join(REDACTED);
  if (MAY_HOLD_PATTERN.test(out)) for (const [re, rep] of PATTERNS) out = out.replace(re, rep);
  if (out.includes('=')) out = redactQuery(out);
  return out;
}

/** SECRET_KEY's verdict per field name (log lines use a few dozen names, over and over). */
const secretKeys = new Map<string, boolean>();

function secretKey(name: string): boolean {
  let secret = secretKeys.get(name);
  if (secret === undefined) {
    secret = SECRET_KEY.test(name);
    if (secretKeys.size >= 1024) secretKeys.clear();
    secretKeys.set(name, secret);
  }
  return secret;
}

/** A deep copy of `value` with secrets removed (depth-limited; cycles become "[cycle]"). */
export function redactFields(value: unknown, secrets: readonly string[] = [], depth = 0, seen = new WeakSet<object>()): unknown {
  if (typeof value === 'string') return redactText(value, secrets);
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Error) return { name: value.name, message: redactText(value.message, secrets) };
  if (depth > 6) return '[depth]';
  if (seen.has(value)) return '[cycle]';
  seen.add(value);
  if (Array.isArray(value)) return value.map((v) => redactFields(v, secrets, depth + 1, seen));
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(value)) {
    const v = (value as Record<string, unknown>)[k];
    out[k] = secretKey(k) && v !== null && v !== undefined && v !== '' ? REDACTED : redactFields(v, secrets, depth + 1, seen);
  }
  return out;
}

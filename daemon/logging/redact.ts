/**
 * Redaction for log lines: no Anthropic key, OAuth token, bearer credential or CCO token ever reaches a log.
 * Pure functions, table-tested.
 */

export const REDACTED = '[redacted]';

/** Field names whose values are always secret, whatever they look like. */
const SECRET_KEY = /^(authorization|proxy-authorization|x-api-key|api[-_]?key|apikey|token|access[-_]?token|refresh[-_]?token|secret|password|cookie|set-cookie|credential|credentials)$/i;

/** Credential shapes: Anthropic keys (`sk-ant-…`, incl. OAuth `sk-ant-oat…`), bearer values, `token=` in URLs. */
const PATTERNS: readonly [RegExp, string][] = [
  [/sk-ant-[A-Za-z0-9_-]{8,}/g, REDACTED],
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/gi, `$1 ${REDACTED}`],
  [/([?&](?:token|key|api_key)=)[^&\s"]+/gi, `$1${REDACTED}`],
];

export function redactText(text: string, secrets: readonly string[] = []): string {
  let out = text;
  for (const s of secrets) if (s && s.length >= 8) out = out.split(s).join(REDACTED);
  for (const [re, rep] of PATTERNS) out = out.replace(re, rep);
  return out;
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
  for (const [k, v] of Object.entries(value)) {
    out[k] = SECRET_KEY.test(k) && v !== null && v !== undefined && v !== '' ? REDACTED : redactFields(v, secrets, depth + 1, seen);
  }
  return out;
}

/**
 * Reads a few top-level members of a JSON object without parsing the rest.
 *
 * Attribution needs `model`, `stream`, `metadata` and `system` of a Messages request, and a Claude Code
 * request is mostly the rest: `messages` and `tools`, 0.1–2 MB re-sent on every call. `JSON.parse` of the
 * whole body built all of it as strings and objects, only for them to die young: ~5 ms and as much
 * garbage per 2 MB request, on the proxy thread. This walks the top level instead, steps over the other
 * values (strings are crossed with `indexOf`, i.e. memchr, not byte by byte in JavaScript) and hands only
 * the wanted values' bytes to `JSON.parse`.
 *
 * What it returns is what `JSON.parse(body)[key]` gives for every key asked for: keys written with escapes
 * are unescaped, a key given twice takes its last value (as JSON.parse does), values are parsed by
 * JSON.parse. The difference: a body whose *skipped* parts are malformed in ways that keep the structure
 * intact (a bad number or escape deep inside `messages`) still yields the wanted fields, where JSON.parse
 * gave nothing. The upstream refuses such a body anyway; attributing it does no harm.
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJ = 0x7b;
const CLOSE_OBJ = 0x7d;
const OPEN_ARR = 0x5b;
const CLOSE_ARR = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;

const isSpace = (c: number | undefined): boolean => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

/** Index of the quote closing the string whose content starts at `from`, or -1 if it never closes. */
function stringEnd(b: Buffer, from: number): number {
  let at = from;
  for (;;) {
    const q = b.indexOf(QUOTE, at);
    if (q === -1) return -1;
    let slashes = 0;
    for (let k = q - 1; k >= from && b[k] === BACKSLASH; k--) slashes++;
    if ((slashes & 1) === 0) return q;
    at = q + 1; // an escaped quote: keep looking
  }
}

/** End (exclusive) of the value starting at `at` (not whitespace), or -1 if the body ends first or is not JSON. */
function valueEnd(b: Buffer, at: number): number {
  const c = b[at];
  if (c === QUOTE) {
    const q = stringEnd(b, at + 1);
    return q === -1 ? -1 : q + 1;
  }
  if (c === OPEN_OBJ || c === OPEN_ARR) {
    // Brackets are only counted outside strings; whether they pair up is left to JSON.parse for wanted
    // values and to the upstream for the rest.
    let depth = 0;
    for (let i = at; i < b.length; i++) {
      const d = b[i];
      if (d === QUOTE) {
        const q = stringEnd(b, i + 1);
        if (q === -1) return -1;
        i = q;
      } else if (d === OPEN_OBJ || d === OPEN_ARR) depth++;
      else if (d === CLOSE_OBJ || d === CLOSE_ARR) {
        if (--depth === 0) return i + 1;
      }
    }
    return -1;
  }
  // A number, true, false or null: up to the next delimiter.
  let i = at;
  while (i < b.length && b[i] !== COMMA && b[i] !== CLOSE_OBJ && b[i] !== CLOSE_ARR && !isSpace(b[i])) i++;
  return i > at ? i : -1;
}

function skipSpace(b: Buffer, at: number): number {
  let i = at;
  while (isSpace(b[i])) i++;
  return i;
}

/**
 * The values of `keys` among the top-level members of the JSON object in `body` (UTF-8), as
 * `JSON.parse(body)` would give them; a key that is absent is absent from the result. Null when the body
 * is not a JSON object, or a wanted value does not parse.
 */
export function topLevelFields(body: Buffer, keys: ReadonlySet<string>): Record<string, unknown> | null {
  let i = skipSpace(body, 0);
  if (body[i] !== OPEN_OBJ) return null;
  i = skipSpace(body, i + 1);
  const found = new Map<string, [number, number]>();
  if (body[i] === CLOSE_OBJ) return skipSpace(body, i + 1) === body.length ? {} : null;
  for (;;) {
    if (body[i] !== QUOTE) return null;
    const keyEnd = stringEnd(body, i + 1);
    if (keyEnd === -1) return null;
    let key = body.toString('latin1', i + 1, keyEnd); // exact for the ASCII keys we look for
    if (key.includes('\\') || /[^\x20-\x7e]/.test(key)) {
      try {
        key = JSON.parse(body.toString('utf8', i, keyEnd + 1)) as string;
      } catch {
        return null;
      }
    }
    i = skipSpace(body, keyEnd + 1);
    if (body[i] !== COLON) return null;
    const start = skipSpace(body, i + 1);
    const end = valueEnd(body, start);
    if (end === -1) return null;
    if (keys.has(key)) found.set(key, [start, end]);
    i = skipSpace(body, end);
    if (body[i] === COMMA) {
      i = skipSpace(body, i + 1);
      continue;
    }
    if (body[i] !== CLOSE_OBJ || skipSpace(body, i + 1) !== body.length) return null;
    break;
  }
  const out: Record<string, unknown> = {};
  try {
    for (const [key, [start, end]] of found) out[key] = JSON.parse(body.toString('utf8', start, end));
  } catch {
    return null;
  }
  return out;
}

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

/**
 * Bytes looked at one by one before handing the rest of a string to `indexOf`: a Buffer.indexOf call costs
 * ~0.1–0.2 µs however close the quote is, more than a loop over a short string (most keys and values of a
 * transcript line or a request's metadata are short); a long one (message text, file contents) is still
 * crossed by indexOf (memchr).
 */
const SHORT_STRING = 64;

/** Index of the quote closing the string whose content starts at `from`, or -1 if it never closes. */
function stringEnd(b: Buffer, from: number): number {
  const stop = Math.min(b.length, from + SHORT_STRING);
  for (let i = from; i < stop; i++) {
    const c = b[i];
    if (c === QUOTE) return i;
    if (c === BACKSLASH) i++; // the escaped byte is never the closing quote
  }
  if (stop === b.length) return -1;
  // Long string: from `stop` on by indexOf. `stop` may be just past a backslash whose escaped byte is at
  // `stop`: the slash count below sees it (it counts back to `from`).
  let at = stop;
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

/** The wanted keys by their UTF-8 length, so a member's key is compared in place, never decoded. */
type KeyTable = ([string, Buffer][] | undefined)[];
const keyTables = new WeakMap<ReadonlySet<string>, Map<string, KeyTable>>();
function keyTable(keys: ReadonlySet<string>, extra = ''): KeyTable {
  let byExtra = keyTables.get(keys);
  if (!byExtra) keyTables.set(keys, (byExtra = new Map()));
  let t = byExtra.get(extra);
  if (!t) {
    t = [];
    for (const k of extra && !keys.has(extra) ? [...keys, extra] : keys) {
      const bytes = Buffer.from(k);
      (t[bytes.length] ??= []).push([k, bytes]);
    }
    byExtra.set(extra, t);
  }
  return t;
}

/**
 * Which of `keys` the key whose content is body[from, to) is: the key, undefined for another one, null for
 * a key that is not a valid JSON string. A key without escapes is its own UTF-8 bytes; one with escapes
 * is decoded by JSON.parse.
 */
function wantedKey(body: Buffer, from: number, to: number, table: KeyTable, keys: ReadonlySet<string>, extra?: string): string | undefined | null {
  for (let k = from; k < to; k++) {
    if (body[k] === BACKSLASH) {
      try {
        const key = JSON.parse(body.toString('utf8', from - 1, to + 1)) as string;
        return keys.has(key) || key === extra ? key : undefined;
      } catch {
        return null;
      }
    }
  }
  const same = table[to - from];
  if (same === undefined) return undefined;
  next: for (const [key, bytes] of same) {
    for (let k = 0; k < bytes.length; k++) if (body[from + k] !== bytes[k]) continue next;
    return key;
  }
  return undefined;
}

/**
 * What to collect while crossing an object: the value ranges of `keys` go into `found` (key → [start, end)
 * in the scanned buffer; the last one for a key given twice, as JSON.parse takes it); when `inside` is set
 * and its key's value is an object, that object's members are collected the same way in the same pass
 * (e.g. a transcript line's top-level fields and, in one scan, `usage`, `model` and `id` of its `message`).
 */
export interface Wanted {
  keys: ReadonlySet<string>;
  found: Map<string, [number, number]>;
  inside?: { key: string; wanted: Wanted };
}

/** End (exclusive) of the object starting at `at` (a `{`) whose members are collected into `w`, or -1. */
function objectEnd(body: Buffer, at: number, w: Wanted): number {
  const table = keyTable(w.keys, w.inside?.key);
  let i = skipSpace(body, at + 1);
  if (body[i] === CLOSE_OBJ) return i + 1;
  for (;;) {
    if (body[i] !== QUOTE) return -1;
    const keyEnd = stringEnd(body, i + 1);
    if (keyEnd === -1) return -1;
    const key = wantedKey(body, i + 1, keyEnd, table, w.keys, w.inside?.key);
    if (key === null) return -1;
    i = skipSpace(body, keyEnd + 1);
    if (body[i] !== COLON) return -1;
    const start = skipSpace(body, i + 1);
    const inner = key !== undefined && key === w.inside?.key && body[start] === OPEN_OBJ ? w.inside.wanted : undefined;
    if (inner) inner.found.clear(); // a key given twice: its last object's members count
    const end = inner ? objectEnd(body, start, inner) : valueEnd(body, start);
    if (end === -1) return -1;
    if (key !== undefined && w.keys.has(key)) w.found.set(key, [start, end]);
    i = skipSpace(body, end);
    if (body[i] === COMMA) {
      i = skipSpace(body, i + 1);
      continue;
    }
    return body[i] === CLOSE_OBJ ? i + 1 : -1;
  }
}

/**
 * Collects into `w` (cleared first, nested ones too) what it asks for among the members of the JSON object
 * in `body` (UTF-8). False when the body is not a JSON object (or is cut short). The values themselves are
 * not checked: hand a range to JSON.parse (or read a plain string's bytes) to get what `JSON.parse(body)[key]`
 * gives. Also how the history import reads a transcript line's few fields (daemon/history/transcript.ts).
 */
export function collectFields(body: Buffer, w: Wanted): boolean {
  for (let x: Wanted | undefined = w; x; x = x.inside?.wanted) x.found.clear();
  const start = skipSpace(body, 0);
  if (body[start] !== OPEN_OBJ) return false;
  const end = objectEnd(body, start, w);
  return end !== -1 && skipSpace(body, end) === body.length;
}

/** The value ranges of `keys` among the top-level members of the JSON object in `body`, or null (collectFields). */
export function topLevelRanges(body: Buffer, keys: ReadonlySet<string>): Map<string, [number, number]> | null {
  const w: Wanted = { keys, found: new Map() };
  return collectFields(body, w) ? w.found : null;
}

/**
 * The values of `keys` among the top-level members of the JSON object in `body` (UTF-8), as
 * `JSON.parse(body)` would give them; a key that is absent is absent from the result. Null when the body
 * is not a JSON object, or a wanted value does not parse.
 */
export function topLevelFields(body: Buffer, keys: ReadonlySet<string>): Record<string, unknown> | null {
  const found = topLevelRanges(body, keys);
  if (!found) return null;
  const out: Record<string, unknown> = {};
  try {
    for (const [key, [start, end]] of found) out[key] = JSON.parse(body.toString('utf8', start, end));
  } catch {
    return null;
  }
  return out;
}

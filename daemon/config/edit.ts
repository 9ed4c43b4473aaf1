/**
 * `cco config set KEY VALUE`: a line-level edit of config.toml that keeps every comment, blank line and the
 * order of keys. Only the value token of one `key = value` line changes (its trailing comment stays); a
 * missing key is added at the end of its section, a missing section at the end of the file. The edited text
 * is parsed and validated as a whole before it replaces the file (write to a temp file, then rename).
 */
import fs from 'node:fs';
import path from 'node:path';
import { applyDocument, ConfigError, parseConfigText } from './load.ts';
import { allowedText, defaultConfig, fieldFor, FIELDS, parseText, type FieldSpec, type Value } from './schema.ts';

/** TOML text for a scalar value (JSON string escapes are valid TOML basic-string escapes). */
export function tomlValue(v: Value): string {
  return typeof v === 'string' ? JSON.stringify(v) : String(v);
}

const HEADER = /^\s*\[\s*([A-Za-z0-9_-]+)\s*\]\s*(#.*)?$/;
const ANY_HEADER = /^\s*\[/;

/** End index (exclusive) of the value token that starts at `i` in `line`. */
function valueEnd(line: string, i: number): number {
  const q = line[i];
  if (line.startsWith('"""', i) || line.startsWith("'''", i) || q === '[' || q === '{') {
    throw new ConfigError('multi-line, array and table values cannot be edited in place; edit the file by hand');
  }
  if (q === '"') {
    for (let j = i + 1; j < line.length; j++) {
      if (line[j] === '\\') j++;
      else if (line[j] === '"') return j + 1;
    }
    return line.length;
  }
  if (q === "'") {
    const j = line.indexOf("'", i + 1);
    return j === -1 ? line.length : j + 1;
  }
  const hash = line.indexOf('#', i);
  let end = hash === -1 ? line.length : hash;
  while (end > i && /\s/.test(line[end - 1]!)) end--;
  return end;
}

/** Returns `text` with `section.key` set to `v`, comments and layout untouched. */
export function editConfigText(text: string, f: FieldSpec, v: Value): string {
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const lines = text.length ? text.split(/\r?\n/) : [];
  const keyLine = new RegExp(`^(\\s*(?:${f.key}|"${f.key}")\\s*=\\s*)`);
  let current: string | null = null;
  let lastInSection = -1;
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n]!;
    const h = HEADER.exec(line);
    if (h) {
      current = h[1]!;
      if (current === f.section) lastInSection = n;
      continue;
    }
    if (ANY_HEADER.test(line)) {
      current = null;
      continue;
    }
    if (current !== f.section) continue;
    if (line.trim() !== '' && !line.trim().startsWith('#')) lastInSection = n;
    const m = keyLine.exec(line);
    if (m) {
      const start = m[1]!.length;
      lines[n] = line.slice(0, start) + tomlValue(v) + line.slice(valueEnd(line, start));
      return lines.join(eol);
    }
  }
  const entry = `${f.key} = ${tomlValue(v)}`;
  if (lastInSection >= 0) {
    lines.splice(lastInSection + 1, 0, entry);
    return lines.join(eol);
  }
  while (lines.length && lines[lines.length - 1] === '') lines.pop();
  if (lines.length) lines.push('');
  lines.push(`[${f.section}]`, entry, '');
  return lines.join(eol);
}

/** Parses and validates the value, edits the file in place and returns the stored value. */
export function setConfigValue(file: string, dotted: string, text: string): Value {
  const f = fieldFor(dotted);
  if (!f) throw new ConfigError(`unknown key "${dotted}"; known keys: ${FIELDS.map((x) => `${x.section}.${x.key}`).join(', ')}`);
  const v = parseText(f, text);
  if (v === undefined) throw new ConfigError(`${dotted}: "${text}" is not allowed; expected ${allowedText(f)}`);
  let before = '';
  try {
    before = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  // The existing file must itself be valid before we touch it.
  if (before) applyDocument(defaultConfig(), parseConfigText(before, file), file);
  const after = editConfigText(before, f, v);
  applyDocument(defaultConfig(), parseConfigText(after, file), file);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, after, { mode: 0o600 });
  fs.renameSync(tmp, file);
  return v;
}

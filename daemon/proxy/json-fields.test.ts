import { describe, expect, it } from 'vitest';
import { topLevelFields } from './json-fields.ts';
import { mulberry32 as rng } from '../../test/seeded-random.ts';

const KEYS = new Set(['model', 'stream', 'metadata', 'system']);
const fields = (text: string, keys: ReadonlySet<string> = KEYS) => topLevelFields(Buffer.from(text), keys);

/** What JSON.parse gives for the same keys (absent keys absent). */
function expected(text: string, keys: ReadonlySet<string> = KEYS): Record<string, unknown> {
  const all = JSON.parse(text) as Record<string, unknown>;
  return Object.fromEntries(Object.entries(all).filter(([k]) => keys.has(k)));
}

const PIECES = ['a', 'model', '"', '\\', '\\"', '{', '}', '[', ']', ',', ':', ' ', '\n', '\t', 'é', '量子', '🧮', '\u0000', '\u001f', '\u2028', 'stream', 'x'.repeat(70)];

function randomString(r: () => number): string {
  let s = '';
  const n = Math.floor(r() * 8);
  for (let i = 0; i < n; i++) s += PIECES[Math.floor(r() * PIECES.length)];
  return s;
}

function randomValue(r: () => number, depth: number): unknown {
  const pick = r();
  if (depth > 3 || pick < 0.35) {
    const leaf = r();
    if (leaf < 0.4) return randomString(r);
    if (leaf < 0.6) return Math.round((r() - 0.5) * 1e6) / (r() < 0.5 ? 1 : 1000);
    if (leaf < 0.7) return r() < 0.5;
    if (leaf < 0.8) return null;
    return r() < 0.5 ? 1e21 : -0.5e-7;
  }
  if (pick < 0.65) return Array.from({ length: Math.floor(r() * 4) }, () => randomValue(r, depth + 1));
  const obj: Record<string, unknown> = {};
  for (let i = Math.floor(r() * 4); i > 0; i--) obj[r() < 0.3 ? [...KEYS][Math.floor(r() * KEYS.size)]! : randomString(r)] = randomValue(r, depth + 1);
  return obj;
}

/** JSON.stringify's output with random whitespace after structural characters. */
function respace(json: string, r: () => number): string {
  let out = '';
  let inString = false;
  for (let i = 0; i < json.length; i++) {
    const c = json[i]!;
    out += c;
    if (inString) {
      if (c === '\\') out += json[++i]!;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    if (!inString && '{}[],:'.includes(c) && r() < 0.4) out += [' ', '\n', '\t', '\r\n  '][Math.floor(r() * 4)]!;
  }
  return out;
}

describe('topLevelFields', () => {
  it('gives what JSON.parse gives for the wanted keys, over 3,000 random objects', () => {
    const r = rng(7);
    for (let n = 0; n < 3000; n++) {
      const obj: Record<string, unknown> = {};
      for (let i = Math.floor(r() * 6); i > 0; i--) {
        const key = r() < 0.5 ? [...KEYS][Math.floor(r() * KEYS.size)]! : randomString(r);
        obj[key] = randomValue(r, 0);
      }
      const text = r() < 0.5 ? respace(JSON.stringify(obj), r) : JSON.stringify(obj, null, r() < 0.5 ? 2 : '\t');
      expect(fields(text), text).toEqual(expected(text));
    }
  });

  it('takes the last of duplicate top-level keys, as JSON.parse does, over 2,000 random objects written with repeats', () => {
    const r = rng(11);
    for (let n = 0; n < 2000; n++) {
      // Members written by hand, so a key can repeat (a JS object cannot hold two): mostly the wanted keys.
      const members: string[] = [];
      for (let i = 1 + Math.floor(r() * 7); i > 0; i--) {
        const key = r() < 0.7 ? [...KEYS][Math.floor(r() * KEYS.size)]! : randomString(r);
        members.push(`${JSON.stringify(key)}:${JSON.stringify(randomValue(r, 0))}`);
      }
      const text = respace(`{${members.join(',')}}`, r);
      expect(fields(text), text).toEqual(expected(text));
    }
  });

  it('returns null for every truncation of 300 random bodies (a body cut short is never attributed from a part)', () => {
    const r = rng(13);
    for (let n = 0; n < 300; n++) {
      const obj: Record<string, unknown> = {};
      for (let i = 1 + Math.floor(r() * 4); i > 0; i--) obj[r() < 0.5 ? [...KEYS][Math.floor(r() * KEYS.size)]! : randomString(r)] = randomValue(r, 0);
      const text = respace(JSON.stringify(obj), r);
      const bytes = Buffer.from(text);
      const close = bytes.lastIndexOf(0x7d);
      for (let cut = 0; cut <= close; cut++) expect(topLevelFields(bytes.subarray(0, cut), KEYS), `${cut} of ${text}`).toBeNull();
      expect(topLevelFields(bytes, KEYS)).toEqual(expected(text));
    }
  });

  it('ignores nested members of the same name and brackets or quotes inside strings', () => {
    const text = JSON.stringify({
      messages: [{ role: 'user', content: 'say "model": "fake" } ] { [ \\" \\\\' }, { model: 'nested' }],
      tools: { model: 'also nested', stream: false },
      model: 'claude-opus-4-8',
      system: [{ type: 'text', text: 'Primary working directory: /home/dev/"quoted"\\dir' }],
      stream: true,
    });
    expect(fields(text)).toEqual({ model: 'claude-opus-4-8', system: [{ type: 'text', text: 'Primary working directory: /home/dev/"quoted"\\dir' }], stream: true });
  });

  it('unescapes keys and takes the last of duplicate keys, as JSON.parse does', () => {
    const text = '{"mod\\u0065l":"first","stream":false,"model":"second","str\\u0065am":true}';
    expect(fields(text)).toEqual(expected(text));
    expect(fields(text)).toEqual({ model: 'second', stream: true });
  });

  it('returns an empty object for {} and for objects without the keys', () => {
    expect(fields(' {} ')).toEqual({});
    expect(fields('{"max_tokens":5,"messages":[]}')).toEqual({});
  });

  it('returns null for anything that is not a whole JSON object', () => {
    for (const text of ['', '   ', '[]', '"model"', '42', 'null', '{', '{"model"', '{"model":', '{"model":"x"', '{"model":"x",}', '{"model":"x"} extra',
      '{"model":"x"}}', '{model:"x"}', '\ufeff{"model":"x"}', '{"model" "x"}', '{"a":[1,2}', '{"messages":"unterminated}']) {
      expect(fields(text), JSON.stringify(text)).toBeNull();
    }
  });

  it('returns null when a wanted value does not parse', () => {
    expect(fields('{"model":tru}')).toBeNull();
    expect(fields('{"metadata":{"user_id":}}')).toBeNull();
  });

  it('does not look inside values it skips (their bytes reach the upstream, which judges them)', () => {
    expect(fields('{"messages":[{"content":"\\q"}, 01],"model":"m"}')).toEqual({ model: 'm' });
  });

  it('handles a large Claude Code-like body the same way JSON.parse does', () => {
    const code = 'function f(a) {\n  return "x\\"y" + a.map((z) => `${z}`);\n}\n// ünïcödé 量子 🧮\n'.repeat(20);
    const body = JSON.stringify({
      model: 'claude-opus-4-8',
      messages: Array.from({ length: 200 }, (_, k) => ({ role: k % 2 ? 'user' : 'assistant', content: [{ type: 'tool_result', tool_use_id: `toolu_${k}`, content: code }] })),
      system: [{ type: 'text', text: 'env\nPrimary working directory: /home/dev/repo\n' }],
      tools: [{ name: 'Read', input_schema: { type: 'object', properties: { model: { type: 'string' } } } }],
      metadata: { user_id: JSON.stringify({ session_id: 's-1' }) },
      stream: true,
    });
    expect(body.length).toBeGreaterThan(300_000);
    expect(fields(body)).toEqual(expected(body));
  });
});

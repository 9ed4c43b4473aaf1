/**
 * The dictionary read back from the database (one JSON text for the table, see Interner.reload) holds exactly
 * what was interned: quotes, backslashes, control characters, non-BMP characters, long and empty values.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { SqlJsStatic } from 'sql.js';
import { loadSqlJs } from './db.ts';
import { Interner } from './interner.ts';
import { migrate } from './migrations.ts';
import { mulberry32 } from '../../test/seeded-random.ts';

let SQL: SqlJsStatic;
beforeAll(async () => {
  SQL = await loadSqlJs('file');
});

describe('Interner', () => {
  it('reads back every value it stored, byte for byte, under the same id', () => {
    const db = new SQL.Database();
    migrate(db);
    const r = mulberry32(7);
    const odd = ['', ' ', '"', '\\', '\\"', '\u0000', '\u0001\u001f\u007f', '\r\n\t', '[1,"x"]', 'null', '😀 ünï ✓', '\u2028\u2029', 'x'.repeat(100_000)];
    const random = Array.from({ length: 500 }, () => String.fromCodePoint(...Array.from({ length: 1 + Math.floor(r() * 30) }, () => {
      const c = Math.floor(r() * 0x1ffff);
      return c >= 0xd800 && c <= 0xdfff ? 0x41 : c; // no lone surrogates: not valid text
    })));
    const a = new Interner(db);
    const ids = new Map<string, number | null>();
    for (const v of [...odd, ...random, ...odd]) ids.set(v, a.intern(v));
    const b = new Interner(db);
    expect(b.size).toBe(ids.size);
    for (const [v, id] of ids) {
      expect(b.lookup(v)).toBe(id);
      expect(b.text(id)).toBe(v);
    }
    a.free();
    b.free();
    db.close();
  });
});

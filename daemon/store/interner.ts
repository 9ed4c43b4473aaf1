/**
 * Interned strings: repeated TEXT values (model, project, session, client, path, state, …) are stored once
 * in `strings` and referenced by integer id from `requests` (and, in cco.sqlite, from `session_rollups`' keys). The whole dictionary is mirrored in memory
 * (a heavy user has a few thousand distinct values), so encoding and decoding never query the database.
 *
 * Measured with scripts/bench-store.ts, 250 k rows: plain TEXT columns made a 180 MB database (≈720 B/row,
 * RSS ≈ 310 MB before the first snapshot); interning brings it to the numbers in daemon/store/README.md.
 */
import type { Database, Statement } from 'sql.js';

export class Interner {
  private readonly ids = new Map<string, number>();
  private values: (string | undefined)[] = [];
  private readonly insertStmt: Statement;

  constructor(private readonly db: Database) {
    this.insertStmt = db.prepare('INSERT INTO strings (id, value) VALUES (?, ?)');
    this.reload();
  }

  /** Re-reads the dictionary (after a rolled-back transaction may have dropped fresh entries). */
  reload(): void {
    this.ids.clear();
    this.values = [];
    // One JSON text for the whole table: sql.js reads every cell of a result through its own JS-to-wasm
    // calls (~20 us a row before it is optimised), and a start of a 1 M-row store reads ~17 k strings
    // (CPU of the load, cold, 330-640 -> 135-205 ms at load 7).
    const json = this.db.exec('SELECT json_group_array(json_array(id, value)) FROM strings')[0]?.values[0]?.[0];
    for (const [id, value] of JSON.parse(typeof json === 'string' ? json : '[]') as [number, string][]) {
      this.ids.set(value, id);
      this.values[id] = value;
    }
  }

  /** Id for `value`, adding it if new (caller's transaction). null stays null. */
  intern(value: string | null): number | null {
    if (value === null) return null;
    let id = this.ids.get(value);
    if (id === undefined) {
      id = Math.max(this.values.length, 1);
      this.insertStmt.run([id, value]);
      this.ids.set(value, id);
      this.values[id] = value;
    }
    return id;
  }

  /** Id of an existing value, or -1 (matches no row) when the value was never stored. */
  lookup(value: string): number {
    return this.ids.get(value) ?? -1;
  }

  text(id: number | null): string | null {
    if (id === null) return null;
    return this.values[id] ?? null;
  }

  get size(): number {
    return this.ids.size;
  }

  free(): void {
    this.insertStmt.free();
  }
}

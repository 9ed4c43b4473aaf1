/**
 * Test helper (not used by production code): a strict RFC 4180 reader, written independently of csv.ts so
 * the tests check the writer against the grammar rather than against itself. Throws on any deviation
 * (bare quote inside an unquoted field, text after a closing quote, a line not ending in CRLF).
 */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let i = 0;
  while (i < text.length) {
    const row: string[] = [];
    for (;;) {
      let field = '';
      if (text[i] === '"') {
        i++;
        for (;;) {
          if (i >= text.length) throw new SyntaxError('unterminated quoted field');
          const c = text[i]!;
          if (c === '"') {
            if (text[i + 1] === '"') {
              field += '"';
              i += 2;
              continue;
            }
            i++;
            break;
          }
          field += c;
          i++;
        }
      } else {
        while (i < text.length && text[i] !== ',' && text[i] !== '\r' && text[i] !== '\n') {
          if (text[i] === '"') throw new SyntaxError(`bare quote at ${i}`);
          field += text[i];
          i++;
        }
      }
      row.push(field);
      if (text[i] === ',') {
        i++;
        continue;
      }
      if (text[i] === '\r' && text[i + 1] === '\n') {
        i += 2;
        break;
      }
      throw new SyntaxError(`expected , or CRLF at ${i}, found ${JSON.stringify(text.slice(i, i + 10))}`);
    }
    rows.push(row);
  }
  return rows;
}

/** Rows as objects keyed by the header row. */
export function csvObjects(text: string): Record<string, string>[] {
  const [header, ...rows] = parseCsv(text);
  if (!header) return [];
  return rows.map((r) => {
    if (r.length !== header.length) throw new SyntaxError(`row has ${r.length} fields, header ${header.length}`);
    return Object.fromEntries(header.map((h, k) => [h, r[k]!]));
  });
}

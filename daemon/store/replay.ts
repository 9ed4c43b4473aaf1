/**
 * Reads one journal segment line by line (streamed: a segment is never loaded whole). A line that is not
 * a valid record is skipped with a warning — "torn" when it is the last line (a write cut short by a
 * crash), "invalid" otherwise. Never throws for bad content; I/O errors propagate.
 */
import fs from 'node:fs';
import type { RequestRecord } from '../../shared/contract.ts';
import { isRequestRecord } from './rows.ts';

export interface SegmentReadResult {
  lines: number;
  records: number;
  skipped: number;
}

/** A journal (or held file) line's record, or null when it is not one (torn, invalid). */
export function parseRecordLine(line: string): RequestRecord | null {
  try {
    const v: unknown = JSON.parse(line);
    return isRequestRecord(v) ? v : null;
  } catch {
    return null;
  }
}

export async function readSegment(
  file: string,
  onRecord: (r: RequestRecord) => void,
  warn: (msg: string) => void,
): Promise<SegmentReadResult> {
  // node:readline only when there is a segment to read (an empty or cleanly closed store has none at start)
  const { createInterface } = await import('node:readline');
  const rl = createInterface({ input: fs.createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity });
  const res: SegmentReadResult = { lines: 0, records: 0, skipped: 0 };
  let pending: { text: string; no: number } | null = null;
  const handle = (l: { text: string; no: number }, last: boolean): void => {
    if (l.text.trim() === '') return;
    const r = parseRecordLine(l.text);
    if (r) {
      res.records++;
      onRecord(r);
      return;
    }
    res.skipped++;
    const what = last ? 'torn last line' : 'invalid line';
    warn(`journal ${file}: ${what} ${l.no} skipped (${l.text.length} chars)`);
  };
  for await (const text of rl) {
    res.lines++;
    if (pending) handle(pending, false);
    pending = { text, no: res.lines };
  }
  if (pending) handle(pending, true);
  return res;
}

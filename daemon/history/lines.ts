/**
 * Reads a file as newline-separated lines from a byte offset, in constant memory: one reusable read buffer,
 * plus one line buffer for a line that crosses reads (grown up to `maxLineBytes`, then the line is skipped
 * and counted). A transcript can be 700 MB and one of its lines 10 MB; neither is ever read whole.
 *
 * Only complete lines (ending in `\n`) are handed out: a last line without its newline is one Claude Code is
 * still writing, so `end` stops before it and the next read starts there. A file that shrinks while it is read
 * simply ends early (reads return 0 bytes).
 *
 * The file is a FileHandle (reads in the thread pool) or a plain descriptor (`fs.readSync`: no thread-pool
 * round trip per read, ~3× fewer wake-ups for the importer; a 1 MiB read from the page cache takes ~0.1 ms).
 */
import fs from 'node:fs';
import type { FileHandle } from 'node:fs/promises';

const NEWLINE = 0x0a;

export interface LineVisitor {
  /** One complete line without its `\n` (a `\r` before it is kept). `at` = its first byte's offset in the file. */
  line(bytes: Buffer, at: number): void;
  /** A line longer than maxLineBytes, skipped whole. */
  oversized?(at: number, bytes: number): void;
}

export interface ReadLinesOptions {
  /** Default 64 MiB. Longer lines are skipped (reported through `oversized`). */
  maxLineBytes?: number;
  /** Read buffer size; default 1 MiB. */
  chunkBytes?: number;
  /** Stop reading at this offset (exclusive), e.g. the size seen by stat; default: to the end of the file. */
  until?: number;
  /** Called after each read with the offset reached so far (progress). */
  progress?(offset: number): void;
  /** Awaited between reads when set (lets the caller yield to other work, or stop by throwing). */
  between?(): Promise<void> | void;
}

export interface ReadLinesResult {
  /** Offset just past the last complete line: where the next read must start. */
  end: number;
  /** Bytes read (including an incomplete tail that was not handed out). */
  bytesRead: number;
}

/** Reusable read buffers, one per size; import reads one file at a time. */
const buffers = new Map<number, Buffer>();
function readBuffer(size: number): Buffer {
  let b = buffers.get(size);
  if (!b) {
    b = Buffer.allocUnsafe(size);
    buffers.set(size, b);
  }
  return b;
}

export async function readLines(fh: FileHandle | number, start: number, visit: LineVisitor, opts: ReadLinesOptions = {}): Promise<ReadLinesResult> {
  const maxLine = opts.maxLineBytes ?? 64 * 1024 * 1024;
  const chunkBytes = opts.chunkBytes ?? 1024 * 1024;
  const until = opts.until ?? Number.POSITIVE_INFINITY;
  const buf = readBuffer(chunkBytes);
  // A line that started in an earlier read: its parts so far, and where it started.
  let carry: Buffer[] = [];
  let carryBytes = 0;
  let carryAt = start;
  let skipping = false; // inside an oversized line: drop bytes until its newline
  let pos = start;
  let end = start;
  let bytesRead = 0;
  while (pos < until) {
    const want = Math.min(chunkBytes, until - pos);
    const n = typeof fh === 'number' ? fs.readSync(fh, buf, 0, want, pos) : (await fh.read(buf, 0, want, pos)).bytesRead;
    if (n === 0) break; // end of file (or the file shrank under us)
    bytesRead += n;
    let from = 0;
    while (from < n) {
      const nl = buf.indexOf(NEWLINE, from);
      if (nl === -1 || nl >= n) {
        // No newline in the rest of this read: keep the tail for the next one.
        if (!skipping) {
          const tail = n - from;
          if (carryBytes + tail > maxLine) {
            skipping = true;
            carry = [];
          } else {
            carry.push(Buffer.from(buf.subarray(from, n)));
          }
          carryBytes += tail;
        } else carryBytes += n - from;
        break;
      }
      const lineAt = carryBytes > 0 || skipping ? carryAt : pos + from;
      if (skipping) {
        visit.oversized?.(lineAt, carryBytes + (nl - from));
        skipping = false;
      } else if (carryBytes > 0) {
        const total = carryBytes + (nl - from);
        if (total > maxLine) visit.oversized?.(lineAt, total);
        else {
          carry.push(buf.subarray(from, nl));
          visit.line(Buffer.concat(carry, total), lineAt);
        }
      } else {
        visit.line(buf.subarray(from, nl), lineAt);
      }
      carry = [];
      carryBytes = 0;
      from = nl + 1;
      end = pos + from;
      carryAt = end;
    }
    pos += n;
    opts.progress?.(pos);
    if (opts.between) await opts.between();
  }
  return { end, bytesRead };
}

/**
 * A database file's bytes, read into a buffer that the C allocator gives back to the system when it is freed.
 *
 * Why: sql.js keeps an opened database in a buffer of its own (MEMFS uses a Node Buffer it is handed as is:
 * `Buffer#slice` is a view, so `new SQL.Database(fs.readFileSync(f))` makes no copy). Node allocates large
 * buffers with malloc, and glibc serves a request from its arenas rather than a fresh mmap once the request
 * is below its dynamic mmap threshold, which rises to the size of the largest mmapped block freed so far, up
 * to 32 MiB on 64-bit. A month file (7 MB at 200 k rows a year, 26–34 MB at 1 M) freed into an arena stays in
 * the process: an export walking 12 months left a store worker's arena at 40 MB (34 MB resident) at 200 k
 * rows (docs/design.md, "Export and snapshot peaks"). A request above the threshold's ceiling is always its
 * own mmap, unmapped when freed; the pages past the file's end are never touched, so they cost no memory.
 */
import fs from 'node:fs';

/** glibc's DEFAULT_MMAP_THRESHOLD_MAX on 64-bit (4 × 1024 × 1024 × sizeof(long)), plus a page. */
export const ALWAYS_MAPPED_BYTES = 32 * 1024 * 1024 + 4096;

/** Only glibc's allocator has the rising threshold; elsewhere a buffer of the file's size is allocated. */
const overAllocate = process.platform === 'linux';

/**
 * The whole of `file` as a Buffer of exactly its size (a view of a larger allocation on Linux, see above).
 * `floor` is for tests.
 */
export function readDatabaseBytes(file: string, floor = overAllocate ? ALWAYS_MAPPED_BYTES : 0): Buffer {
  const fd = fs.openSync(file, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    const whole = Buffer.allocUnsafeSlow(Math.max(size, floor, 1));
    let off = 0;
    while (off < size) {
      const n = fs.readSync(fd, whole, off, size - off, off);
      if (n === 0) break; // truncated while read: the caller sees a short file
      off += n;
    }
    return whole.subarray(0, off);
  } finally {
    fs.closeSync(fd);
  }
}

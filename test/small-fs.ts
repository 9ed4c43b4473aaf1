/**
 * A real size-limited filesystem for disk-full tests: a tmpfs mounted with `size=` (needs root and
 * CAP_SYS_ADMIN; CI runs as root). `mountSmallFs()` returns null with the reason where mounting is not
 * permitted, so the test can skip with that message.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface SmallFs {
  dir: string;
  /** Fills every free byte with `<dir>/filler` (tmpfs: to the last page, then the slack of that page). */
  fill(): void;
  /** Deletes the filler: space is back. */
  free(): void;
  unmount(): void;
}

export function mountSmallFs(sizeBytes: number): SmallFs | string {
  if (process.platform !== 'linux') return 'tmpfs mounts are a Linux test';
  if (process.getuid?.() !== 0) return 'not root: cannot mount a size-limited tmpfs';
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cco-smallfs-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeBytes},mode=0700`, 'tmpfs', dir], { stdio: 'pipe' });
  } catch (err) {
    fs.rmSync(dir, { recursive: true, force: true });
    return `mount not permitted here: ${String((err as { stderr?: Buffer }).stderr ?? (err as Error).message).trim()}`;
  }
  const filler = path.join(dir, 'filler');
  return {
    dir,
    fill() {
      const fd = fs.openSync(filler, 'a');
      try {
        for (const chunk of [65536, 4096, 512, 64, 8, 1]) {
          const buf = Buffer.alloc(chunk, 0x78);
          for (;;) {
            try {
              if (fs.writeSync(fd, buf) < chunk) break;
            } catch (err) {
              if ((err as NodeJS.ErrnoException).code === 'ENOSPC') break;
              throw err;
            }
          }
        }
      } finally {
        fs.closeSync(fd);
      }
    },
    free() {
      fs.rmSync(filler, { force: true });
    },
    unmount() {
      try {
        execFileSync('umount', ['-l', dir], { stdio: 'pipe' });
        fs.rmSync(dir, { recursive: true, force: true });
      } catch {
        // already unmounted
      }
    },
  };
}

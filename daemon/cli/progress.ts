/**
 * The import's progress line: files, MB, MB/s, ETA. On a terminal it is redrawn in place (`\r`, at most
 * 10 times a second, cleared at the end); piped, a plain line is printed every `pipedEveryMs` (default 5 s)
 * so logs get a few lines, not thousands and no control characters.
 */
import type { ImportProgress } from '../../shared/contract.ts';

const MB = 1024 * 1024;

export function formatProgress(p: ImportProgress, now: number): string {
  const secs = Math.max(0.001, (now - p.startedAt) / 1000);
  const rate = p.bytesDone / MB / secs;
  const left = p.bytesTotal - p.bytesDone;
  const eta = rate > 0 && left > 0 ? `ETA ${formatSeconds(left / MB / rate)}` : left > 0 ? 'ETA …' : 'ETA 0s';
  return (
    `files ${p.filesDone}/${p.filesTotal}  ${(p.bytesDone / MB).toFixed(1)}/${(p.bytesTotal / MB).toFixed(1)} MB  ` +
    `${rate.toFixed(1)} MB/s  ${eta}  ${p.imported.toLocaleString('en-US')} imported`
  );
}

function formatSeconds(s: number): string {
  if (s < 60) return `${Math.ceil(s)}s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m}m${String(Math.ceil(s % 60)).padStart(2, '0')}s` : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

export interface ProgressLine {
  update(p: ImportProgress): void;
  /** Removes the in-place line (TTY) before the summary is printed. */
  done(): void;
}

export function progressLine(write: (s: string) => void, isTty: boolean, opts: { now?: () => number; pipedEveryMs?: number } = {}): ProgressLine {
  const now = opts.now ?? Date.now;
  const every = isTty ? 100 : (opts.pipedEveryMs ?? 5000);
  let last = -Infinity;
  let drawn = 0;
  return {
    update(p) {
      const t = now();
      if (t - last < every) return;
      last = t;
      const text = formatProgress(p, t);
      if (isTty) {
        write(`\r${text.padEnd(drawn)}`);
        drawn = text.length;
      } else write(`${text}\n`);
    },
    done() {
      if (isTty && drawn) write(`\r${' '.repeat(drawn)}\r`);
      drawn = 0;
    },
  };
}

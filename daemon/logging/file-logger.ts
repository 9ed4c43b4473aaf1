/**
 * Structured JSON-lines logs to a file (default `<data>/logs/cco.log`), rotated by size: at `maxBytes`
 * (10 MB) the file becomes `cco.log.1`, older ones shift up, and only `keep` files (5, current included)
 * remain — at most 50 MB. Lines are queued and written together (one write) on the next tick, so a caller on
 * the proxy path never waits on the disk; `flush()`/`close()` write synchronously.
 *
 * Every line is redacted before it is written: values under credential-like field names, anything that
 * looks like an Anthropic key or a bearer credential, and every registered secret (the dashboard token,
 * the stored key) become "[redacted]".
 */
import fs from 'node:fs';
import path from 'node:path';
import type { LogFields, Logger, LogLevel } from '../log.ts';
import { redactFields, redactText } from './redact.ts';

export const LOG_MAX_BYTES = 10 * 1024 * 1024;
export const LOG_KEEP_FILES = 5;

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface FileLoggerOptions {
  file: string;
  level?: LogLevel;
  maxBytes?: number;
  /** Files kept in total, the current one included. */
  keep?: number;
  /** Exact strings never to write (tokens, keys); read on every write so late secrets count too. */
  secrets?: () => readonly string[];
  /** Also hand each (redacted) line here, e.g. to stderr. */
  echo?: (line: string) => void;
}

export interface FileLogger extends Logger {
  readonly file: string;
  /** Write queued lines now. */
  flush(): void;
  close(): void;
}

/** Rotated names: cco.log → cco.log.1 → … → cco.log.<keep-1>; the oldest is deleted. */
export function rotateFiles(file: string, keep: number): void {
  const oldest = `${file}.${keep - 1}`;
  fs.rmSync(oldest, { force: true });
  for (let i = keep - 2; i >= 1; i--) {
    try {
      fs.renameSync(`${file}.${i}`, `${file}.${i + 1}`);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  if (keep > 1) fs.renameSync(file, `${file}.1`);
  else fs.rmSync(file, { force: true });
}

export function createFileLogger(opts: FileLoggerOptions): FileLogger {
  const file = path.resolve(opts.file);
  const maxBytes = opts.maxBytes ?? LOG_MAX_BYTES;
  const keep = Math.max(1, opts.keep ?? LOG_KEEP_FILES);
  let min = ORDER[opts.level ?? 'info'];
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  let fd: number | null = fs.openSync(file, 'a', 0o600);
  let size = fs.fstatSync(fd).size;
  let queue: string[] = [];
  let scheduled = false;
  let closed = false;

  /** Writes queued lines with one write per file (a line that would pass maxBytes rotates first). */
  const writeLines = (lines: readonly string[]) => {
    let batch: string[] = [];
    let batchBytes = 0;
    const out = () => {
      if (batch.length === 0 || fd === null) return;
      fs.writeSync(fd, batch.length === 1 ? batch[0]! : batch.join(''));
      size += batchBytes;
      batch = [];
      batchBytes = 0;
    };
    for (const line of lines) {
      const bytes = Buffer.byteLength(line);
      if (size + batchBytes > 0 && size + batchBytes + bytes > maxBytes) {
        out();
        if (fd === null) return;
        fs.closeSync(fd);
        rotateFiles(file, keep);
        fd = fs.openSync(file, 'a', 0o600);
        size = 0;
      }
      batch.push(line);
      batchBytes += bytes;
    }
    out();
  };

  const flush = () => {
    scheduled = false;
    const lines = queue;
    queue = [];
    try {
      writeLines(lines);
    } catch (err) {
      process.stderr.write(`cco: cannot write the log file ${file}: ${(err as Error).message}\n`);
    }
  };

  const emit = (level: LogLevel, msg: string, fields?: LogFields) => {
    if (closed || ORDER[level] < min) return;
    const secrets = opts.secrets?.() ?? [];
    const record = { time: new Date().toISOString(), level, pid: process.pid, msg: redactText(msg, secrets), ...(fields ? (redactFields(fields, secrets) as LogFields) : {}) };
    const line = JSON.stringify(record) + '\n';
    opts.echo?.(line);
    queue.push(line);
    if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  };

  return {
    file,
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    flush,
    close() {
      if (closed) return;
      flush();
      closed = true;
      if (fd !== null) fs.closeSync(fd);
      fd = null;
      min = Infinity;
    },
  };
}

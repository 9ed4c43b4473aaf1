/**
 * `cco logs [-f] [-n N] [--port N] [--json]`: the last lines of the daemon log (`<data>/logs/cco.log` or
 * logging.file), optionally followed across rotations. `--port` keeps only the lines of that daemon's
 * process. Lines are shown as `time LEVEL msg key=value…` unless `--json`.
 */
import fs from 'node:fs';
import { loadConfig, logFilePath } from '../config/load.ts';
import { CliError, parse, parsePortArg, requireDaemon, type Io } from './common.ts';

const USAGE = 'Usage: cco logs [-f|--follow] [-n N] [--port N] [--json]';

/** The last `n` lines of a file, reading only its tail. */
export function tailLines(file: string, n: number): string[] {
  if (n <= 0) return [];
  const fd = fs.openSync(file, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    let pos = size;
    let text = '';
    while (pos > 0 && text.split('\n').length <= n + 1) {
      const len = Math.min(64 * 1024, pos);
      pos -= len;
      const buf = Buffer.alloc(len);
      fs.readSync(fd, buf, 0, len, pos);
      text = buf.toString('utf8') + text;
    }
    const lines = text.split('\n').filter((l) => l !== '');
    return lines.slice(-n);
  } finally {
    fs.closeSync(fd);
  }
}

export function formatLine(line: string): string {
  try {
    const { time, level, msg, pid: _pid, ...rest } = JSON.parse(line) as Record<string, unknown>;
    const extra = Object.entries(rest)
      .map(([k, v]) => `${k}=${typeof v === 'string' ? (/\s/.test(v) ? JSON.stringify(v) : v) : JSON.stringify(v)}`)
      .join(' ');
    return `${String(time)} ${String(level).toUpperCase().padEnd(5)} ${String(msg)}${extra ? ' ' + extra : ''}`;
  } catch {
    return line;
  }
}

export async function logsCommand(argv: string[], io: Io, stop?: Promise<unknown>): Promise<number> {
  const { values } = parse(
    argv,
    { follow: { type: 'boolean', short: 'f' }, lines: { type: 'string', short: 'n' }, port: { type: 'string' }, json: { type: 'boolean' } },
    USAGE,
  );
  const n = values.lines === undefined ? 50 : Number(values.lines);
  if (!Number.isInteger(n) || n < 0) throw new CliError(`-n: "${values.lines}" is not a number of lines`, 2);
  const file = logFilePath(loadConfig({ env: io.env }));
  const pid = values.port !== undefined ? requireDaemon(io.env, parsePortArg(values.port)).record.pid : undefined;
  const keep = (line: string) => pid === undefined || line.includes(`"pid":${pid},`);
  const show = (line: string) => {
    if (line && keep(line)) io.out((values.json ? line : formatLine(line)) + '\n');
  };
  if (!fs.existsSync(file)) {
    if (!values.follow) {
      io.err(`cco: no log yet at ${file}\n`);
      return 1;
    }
  } else {
    const all = tailLines(file, pid === undefined ? n : n * 20);
    for (const l of all.filter(keep).slice(-n)) show(l);
  }
  if (!values.follow) return 0;

  let offset = fs.existsSync(file) ? fs.statSync(file).size : 0;
  let partial = '';
  const poll = () => {
    let size: number;
    try {
      size = fs.statSync(file).size;
    } catch {
      return;
    }
    if (size < offset) offset = 0; // rotated: the new file starts from the beginning
    if (size === offset) return;
    const fd = fs.openSync(file, 'r');
    const buf = Buffer.alloc(size - offset);
    fs.readSync(fd, buf, 0, buf.length, offset);
    fs.closeSync(fd);
    offset = size;
    const text = partial + buf.toString('utf8');
    const parts = text.split('\n');
    partial = parts.pop() ?? '';
    for (const l of parts) show(l);
  };
  const timer = setInterval(poll, 200);
  await (stop ??
    new Promise<void>((resolve) => {
      process.once('SIGINT', () => resolve());
      process.once('SIGTERM', () => resolve());
    }));
  clearInterval(timer);
  poll();
  return 0;
}

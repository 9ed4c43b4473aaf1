/**
 * The command `cco setup claude` puts in Claude Code's `statusLine`: the fast path. Claude Code starts it
 * for every status update, so it must not be the whole CLI (tsx from a checkout, or the multi-megabyte
 * bundle): it is the tiny status-line bundle (statusline-main.ts, a few KB), written to
 * `<data>/statusline/cco-statusline.cjs` and run with this Node by absolute path, with `--data-dir` so it
 * finds the daemon whatever HOME or PATH the status line runs with. The standalone bundle carries that
 * file's text (`__CCO_STATUSLINE_JS__`, scripts/build-daemon.ts); a source checkout builds it with esbuild.
 * If neither works, `cco statusline --data-dir …` (slower, and needs `cco` on PATH).
 */
import fs from 'node:fs';
import path from 'node:path';

declare const __CCO_STATUSLINE_JS__: string | undefined;

/** Double quotes for a POSIX shell or cmd.exe (paths with a double quote are not supported). */
const quote = (s: string) => `"${s}"`;

export function statuslineFile(dataDir: string): string {
  return path.join(dataDir, 'statusline', 'cco-statusline.cjs');
}

/** Writes the fast status-line program into the data folder; returns the command to run it. */
export async function installStatusline(dataDir: string): Promise<{ command: string; fast: boolean }> {
  const file = statuslineFile(dataDir);
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    if (typeof __CCO_STATUSLINE_JS__ === 'string') {
      const tmp = `${file}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, __CCO_STATUSLINE_JS__, { mode: 0o755 });
      fs.renameSync(tmp, file);
    } else {
      // A source checkout: esbuild is a dev dependency. (A computed URL: the bundle must not pull in esbuild.)
      const script = new URL('../../scripts/build-statusline.ts', import.meta.url).href;
      const build = (await import(script)) as { buildStatusline(out: string): Promise<unknown> };
      await build.buildStatusline(file);
    }
    return { command: `${quote(process.execPath)} ${quote(file)} --data-dir ${quote(dataDir)}`, fast: true };
  } catch {
    return { command: `cco statusline --data-dir ${quote(dataDir)}`, fast: false };
  }
}

/** Is this `statusLine` entry one CCO wrote (any of its forms)? */
export function isCcoStatusLine(entry: unknown): boolean {
  if (typeof entry !== 'object' || entry === null) return false;
  const { type, command } = entry as { type?: unknown; command?: unknown };
  return type === 'command' && typeof command === 'string' && (/cco-statusline\.cjs"? --data-dir /.test(command) || /^cco statusline( |$)/.test(command));
}

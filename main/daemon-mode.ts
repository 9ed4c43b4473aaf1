/**
 * `--daemon`: the app binary as a headless server. No tray, no windows, no single-instance UI: runs
 * startDaemon in-process, logs to stdout, closes cleanly on SIGINT/SIGTERM. On Linux the headless Ozone
 * switches must be applied before `ready` (otherwise Electron dies without an X server).
 */
import type { CommandLine } from 'electron';
import type { DaemonHandleLike, EntryOptions } from '../daemon/entry-utility.ts';

export const DAEMON_FLAG = '--daemon';

export function isDaemonMode(argv: readonly string[]): boolean {
  return argv.includes(DAEMON_FLAG);
}

/** Linux: force the headless Ozone backend and no GPU (removeSwitch first: appendSwitch does not override). */
export function applyHeadlessSwitches(commandLine: Pick<CommandLine, 'appendSwitch' | 'removeSwitch'>, platform: NodeJS.Platform): void {
  if (platform !== 'linux') return;
  commandLine.removeSwitch('ozone-platform');
  commandLine.appendSwitch('ozone-platform', 'headless');
  commandLine.appendSwitch('disable-gpu');
  commandLine.appendSwitch('disable-software-rasterizer');
}

export interface HeadlessDeps {
  options: EntryOptions;
  start: (options: EntryOptions) => Promise<DaemonHandleLike>;
  log: (line: string) => void;
  onSignal: (handler: (signal: string) => void) => void;
  exit: (code: number) => void;
}

/** Starts the daemon; resolves with the handle (or null after reporting a start failure and exiting 1). */
export async function runHeadlessDaemon(deps: HeadlessDeps): Promise<DaemonHandleLike | null> {
  let handle: DaemonHandleLike;
  try {
    handle = await deps.start(deps.options);
  } catch (err) {
    deps.log(`cco: daemon failed to start: ${err instanceof Error ? err.message : String(err)}`);
    deps.exit(1);
    return null;
  }
  deps.log(`cco: daemon listening on ${handle.url} (headless app mode)`);
  let closing = false;
  deps.onSignal((signal) => {
    if (closing) return;
    closing = true;
    deps.log(`cco: ${signal} received, shutting down`);
    handle.close().then(
      () => deps.exit(0),
      (err: unknown) => {
        deps.log(`cco: close failed: ${(err as Error).message}`);
        deps.exit(1);
      },
    );
  });
  return handle;
}

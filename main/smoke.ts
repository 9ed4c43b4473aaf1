/**
 * `--smoke`: the packaged app checks itself and exits (the release workflow runs it on every OS): the tray app
 * starts as usual, waits for its daemon's ready handshake, asks /health, opens the popover and waits for its
 * page to load, hides it, and exits 0 — or exits 1 naming the step that failed. Electron-free: index.ts
 * passes the steps in.
 */
export const SMOKE_FLAG = '--smoke';

export interface SmokeSteps {
  /** Resolves with the daemon's base URL once the supervisor is ready (or attached). */
  daemonReady: () => Promise<string>;
  health: (url: string) => Promise<boolean>;
  /** Shows the popover; resolves once its page has loaded. */
  openPopover: () => Promise<void>;
  closePopover: () => void;
  log: (line: string) => void;
  exit: (code: number) => void;
  timeoutMs?: number;
}

function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${what}: no answer within ${Math.round(ms / 1000)} s`)), ms);
    p.then(
      (v) => (clearTimeout(t), resolve(v)),
      (e: unknown) => (clearTimeout(t), reject(e instanceof Error ? e : new Error(String(e)))),
    );
  });
}

export async function runSmoke(s: SmokeSteps): Promise<number> {
  const ms = s.timeoutMs ?? 60_000;
  try {
    const url = await within(s.daemonReady(), ms, 'daemon ready');
    s.log(`smoke: daemon ready at ${url}`);
    if (!(await within(s.health(url), ms, '/health'))) throw new Error('/health did not answer ok');
    s.log('smoke: /health ok');
    await within(s.openPopover(), ms, 'popover load');
    s.log('smoke: popover opened and loaded');
    s.closePopover();
    s.log('smoke: popover closed; all good');
    s.exit(0);
    return 0;
  } catch (err) {
    s.log(`smoke: FAILED: ${(err as Error).message}`);
    s.exit(1);
    return 1;
  }
}

/**
 * Daemon host for Electron's utilityProcess (and, for tests/dev, child_process.fork).
 *
 * Channel: `process.parentPort` inside a utility process; `process.send`/`process.on('message')` when
 * forked by Node; neither when run by hand (then it just runs). Protocol: shared/ipc-messages.ts —
 * posts `{type:'ready', port, token}` once listening; `{type:'shutdown'}` → close → `{type:'shutdown-complete'}`
 * → exit 0. No electron import: parentPort is typed locally. The daemon is composed by daemon/host.ts, as for
 * `cco run`: config.toml, the stored key, the log file, telemetry and rate limits apply here too.
 */
import { parseArgs } from 'node:util';
import type { HostedDaemon } from './host.ts';
import type { DaemonToHost } from '../shared/ipc-messages.ts';
import { parseHostToDaemon } from '../shared/ipc-messages.ts';
import { prestartStoreWorker } from './store/prestart.ts';
import { workerUrl, type WorkerLocation } from './store/worker-url.ts';

export interface EntryOptions {
  host?: string;
  port?: number;
  upstreamUrl?: string;
  dataDir?: string;
}

/** The part of startDaemon's handle this host uses. `setRecording` is optional (pause/resume). */
export interface DaemonHandleLike {
  port: number;
  url: string;
  token: string;
  close(): Promise<void>;
  setRecording?: (enabled: boolean) => void;
  /** Makes what is recorded so far durable; called first on a shutdown request, before the graceful close. */
  flush?: () => Promise<void>;
}

/** EntryOptions as config flags for daemon/host.ts (they override config.toml and CCO_* like `cco run`'s flags). */
export function entryFlags(o: EntryOptions): Record<string, { value: string; label: string }> {
  const flags: Record<string, { value: string; label: string }> = {};
  if (o.port !== undefined) flags['server.port'] = { value: String(o.port), label: '--port' };
  if (o.host !== undefined) flags['server.host'] = { value: o.host, label: '--host' };
  if (o.upstreamUrl !== undefined) flags['server.upstream_url'] = { value: o.upstreamUrl, label: '--upstream-url' };
  return flags;
}

/** The handle a host channel drives, over hostDaemon's result. */
export function hostedHandle(h: HostedDaemon): DaemonHandleLike {
  return {
    port: h.daemon.port,
    url: h.daemon.url,
    token: h.daemon.token,
    close: () => h.close(),
    flush: () => h.flush(),
    setRecording: (on) => h.daemon.setRecording(on),
  };
}

export interface HostChannel {
  readonly kind: 'parentPort' | 'ipc' | 'none';
  /** Resolves once the message has left this process (best effort for parentPort). */
  post(msg: DaemonToHost): Promise<void>;
  onMessage(listener: (msg: unknown) => void): void;
}

interface ParentPortLike {
  on(event: 'message', listener: (event: { data: unknown }) => void): unknown;
  postMessage(message: unknown): void;
}

function parsePort(value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`invalid port: ${value}`);
  return n;
}

/** Options from flags (`--port 3000`, `--host`, `--upstream-url`, `--data-dir`), falling back to CCO_* env. */
export function readEntryOptions(argv: readonly string[], env: NodeJS.ProcessEnv): EntryOptions {
  const { values } = parseArgs({
    args: [...argv],
    strict: false,
    allowPositionals: true,
    options: {
      host: { type: 'string' },
      port: { type: 'string' },
      'upstream-url': { type: 'string' },
      'data-dir': { type: 'string' },
    },
  });
  const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
  const opts: EntryOptions = {};
  const host = str(values.host) ?? str(env.CCO_HOST);
  const port = parsePort(str(values.port) ?? str(env.CCO_PORT));
  const upstreamUrl = str(values['upstream-url']) ?? str(env.CCO_UPSTREAM_URL);
  const dataDir = str(values['data-dir']) ?? str(env.CCO_DATA_DIR);
  if (host !== undefined) opts.host = host;
  if (port !== undefined) opts.port = port;
  if (upstreamUrl !== undefined) opts.upstreamUrl = upstreamUrl;
  if (dataDir !== undefined) opts.dataDir = dataDir;
  return opts;
}

/** Picks the channel to the parent: utilityProcess parentPort, else Node IPC, else none. */
export function detectChannel(proc: NodeJS.Process = process): HostChannel {
  const parentPort = (proc as unknown as { parentPort?: ParentPortLike }).parentPort;
  if (parentPort) {
    return {
      kind: 'parentPort',
      post: (msg) => {
        parentPort.postMessage(msg);
        return new Promise((resolve) => setTimeout(resolve, 50));
      },
      onMessage: (listener) => void parentPort.on('message', (e) => listener(e.data)),
    };
  }
  if (typeof proc.send === 'function') {
    return {
      kind: 'ipc',
      post: (msg) =>
        new Promise((resolve) => {
          if (!proc.connected || !proc.send) return resolve();
          proc.send(msg, undefined, undefined, () => resolve());
        }),
      onMessage: (listener) => void proc.on('message', listener),
    };
  }
  return { kind: 'none', post: () => Promise.resolve(), onMessage: () => {} };
}

export interface RunHostDeps {
  channel: HostChannel;
  options: EntryOptions;
  start: (options: EntryOptions) => Promise<DaemonHandleLike>;
  exit: (code: number) => void;
  log?: (line: string) => void;
  /** Registers OS signal handlers (SIGTERM from utilityProcess.kill, SIGINT from a terminal). */
  onSignal?: (handler: () => void) => void;
}

/** Runs the daemon under a parent channel. Resolves once started (or failed). */
export async function runHost(deps: RunHostDeps): Promise<void> {
  const log = deps.log ?? ((line: string) => process.stderr.write(line + '\n'));
  let handle: DaemonHandleLike | null = null;
  let starting: Promise<DaemonHandleLike> | null = null;
  let closing = false;

  const shutdown = async (): Promise<void> => {
    if (closing) return;
    closing = true;
    try {
      const h = handle ?? (starting ? await starting.catch(() => null) : null);
      // Flush first: if the process is killed during the close (NSIS's taskkill, the supervisor's timeout),
      // every record written so far is already on disk.
      await h?.flush?.().catch((err: unknown) => log(`cco-daemon: flush failed: ${(err as Error).message}`));
      await h?.close();
    } catch (err) {
      log(`cco-daemon: close failed: ${(err as Error).message}`);
    }
    await deps.channel.post({ type: 'shutdown-complete' });
    deps.exit(0);
  };

  deps.channel.onMessage((raw) => {
    const msg = parseHostToDaemon(raw);
    if (!msg) return;
    if (msg.type === 'shutdown') void shutdown();
    else if (msg.type === 'set-recording') {
      const supported = typeof handle?.setRecording === 'function';
      if (supported) handle?.setRecording?.(msg.enabled);
      void deps.channel.post({ type: 'recording', enabled: msg.enabled, supported });
    }
  });
  deps.onSignal?.(() => void shutdown());

  try {
    starting = deps.start(deps.options);
    handle = await starting;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    log(`cco-daemon: failed to start: ${message}`);
    await deps.channel.post({ type: 'startup-error', message });
    deps.exit(1);
    return;
  }
  if (closing) return;
  log(`cco-daemon: listening on ${handle.url}`);
  await deps.channel.post({ type: 'ready', port: handle.port, token: handle.token, url: handle.url, pid: process.pid });
}

/**
 * How long the hosted daemon's start waits for its store once it listens (DaemonOptions.storeOpenWaitMs) before
 * the ready handshake: the app's supervisor allows 10 s from the fork, and the process's own start took up to
 * ~5 s at load 10 (bench:open-listen); a normal store opens well within 1 s, a migrating one is reported as
 * opening (/api/status) while the daemon already forwards.
 */
export const HOSTED_STORE_OPEN_WAIT_MS = 1000;

/**
 * The daemon, hosted: the store worker starts first (store/prestart.ts), on another core, while host.ts and the
 * daemon's modules load — as `cco run` does — and the store adopts it. host.ts is imported lazily (`loadHost`),
 * so a load failure is reported over the channel as a startup error.
 */
export async function startHosted(
  options: EntryOptions,
  env: NodeJS.ProcessEnv = process.env,
  loadHost: () => Promise<typeof import('./host.ts')> = () => import('./host.ts'),
  storeWorker?: WorkerLocation,
): Promise<DaemonHandleLike> {
  prestartStoreWorker(storeWorker);
  const { hostDaemon } = await loadHost();
  return hostedHandle(
    await hostDaemon({
      env,
      flags: entryFlags(options),
      ...(options.dataDir ? { dataDir: options.dataDir } : {}),
      ...(env.CCO_STATIC_DIR ? { staticDir: env.CCO_STATIC_DIR } : {}),
      warn: (line) => process.stderr.write(`cco-daemon: warning: ${line}\n`),
      storeOpenWaitMs: HOSTED_STORE_OPEN_WAIT_MS,
      ...(storeWorker && { storeWorker }),
    }),
  );
}

/**
 * The store worker of an app entry: `store-worker.js` beside the entry's built file (main/build-app.ts builds one
 * beside each entry), or the sources' worker when the entry runs from TypeScript (tests, dev). The entry passes it
 * to the store (HostOptions.storeWorker): the store's own default (`workerUrl()`) looks beside the file its code
 * is in, which with the app's ESM splitting is a chunk in chunks/, where no worker is.
 */
export function storeWorkerBeside(entryUrl: string): WorkerLocation {
  return new URL(entryUrl).pathname.endsWith('.ts') ? workerUrl() : workerUrl(entryUrl);
}

async function main(): Promise<void> {
  await runHost({
    channel: detectChannel(),
    options: readEntryOptions(process.argv.slice(2), process.env),
    // This module is the utility process's entry: its URL is the entry file's, with the worker beside it.
    start: (options) => startHosted(options, process.env, undefined, storeWorkerBeside(import.meta.url)),
    exit: (code) => process.exit(code),
    onSignal: (handler) => {
      process.once('SIGTERM', handler);
      process.once('SIGINT', handler);
    },
  });
}

/** Run when loaded as a utility process, as the script Node was started with, or when told to. */
const isMain =
  (process as unknown as { parentPort?: unknown }).parentPort !== undefined ||
  /entry-utility\.(ts|js|cjs|mjs)$/.test(process.argv[1] ?? '') ||
  process.env.CCO_DAEMON_ENTRY === '1';

if (isMain) {
  main().catch((err: unknown) => {
    process.stderr.write(`cco-daemon: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  });
}

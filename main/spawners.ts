/**
 * Spawner adapters for the DaemonSupervisor: Electron's utilityProcess (production) and Node's
 * child_process.fork (tests and plain-Node development). Both yield the same DaemonChild shape.
 * Electron is only referenced by type here; the caller passes `utilityProcess` in.
 */
import { fork } from 'node:child_process';
import { StringDecoder } from 'node:string_decoder';
import type { ForkOptions, UtilityProcess } from 'electron';
import type { DaemonChild, DaemonSpawner } from './supervisor.ts';

export type OutputListener = (stream: 'stdout' | 'stderr', line: string) => void;

export interface UtilityForker {
  fork(modulePath: string, args?: string[], options?: ForkOptions): UtilityProcess;
}

/** Drops undefined values and variables that would change how the child runs. */
export function sanitizeEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) continue;
    if (k === 'ELECTRON_RUN_AS_NODE' || k === 'ELECTRON_NO_ATTACH_CONSOLE') continue;
    out[k] = String(v);
  }
  return out;
}

/** Splits a byte stream into lines (decoding UTF-8 across chunk borders). */
export function pipeLines(stream: NodeJS.ReadableStream | null | undefined, name: 'stdout' | 'stderr', listener: OutputListener | undefined): void {
  if (!stream || !listener) return;
  const decoder = new StringDecoder('utf8');
  let buffered = '';
  stream.on('data', (chunk: Buffer | string) => {
    buffered += typeof chunk === 'string' ? chunk : decoder.write(chunk);
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      listener(name, buffered.slice(0, nl).replace(/\r$/, ''));
      buffered = buffered.slice(nl + 1);
    }
  });
  stream.on('end', () => {
    buffered += decoder.end();
    if (buffered) listener(name, buffered);
    buffered = '';
  });
}

export interface SpawnerConfig {
  entry: string;
  args?: string[];
  env?: NodeJS.ProcessEnv;
  onOutput?: OutputListener;
}

/** Production spawner: `utilityProcess.fork(entry, args, {serviceName:'cco-daemon', stdio:'pipe'})`. */
export function utilityProcessSpawner(forker: UtilityForker, config: SpawnerConfig): DaemonSpawner {
  return () => {
    const child = forker.fork(config.entry, config.args ?? [], {
      serviceName: 'cco-daemon',
      stdio: 'pipe',
      env: sanitizeEnv(config.env ?? process.env),
    });
    let gone = false;
    pipeLines(child.stdout, 'stdout', config.onOutput);
    pipeLines(child.stderr, 'stderr', config.onOutput);
    return {
      get pid() {
        return child.pid;
      },
      send: (msg) => {
        if (!gone) child.postMessage(msg);
      },
      kill: () => {
        if (!gone) child.kill();
      },
      onMessage: (listener) => void child.on('message', (msg: unknown) => listener(msg)),
      onExit: (listener) =>
        void child.on('exit', (code: number) => {
          gone = true;
          listener(code);
        }),
    } satisfies DaemonChild;
  };
}

/** Dev/test spawner: `child_process.fork` with an IPC channel (entry-utility falls back to process.send). */
export function nodeForkSpawner(config: SpawnerConfig & { execArgv?: string[] }): DaemonSpawner {
  return () => {
    const child = fork(config.entry, config.args ?? [], {
      execArgv: config.execArgv ?? [],
      env: sanitizeEnv(config.env ?? process.env),
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    pipeLines(child.stdout, 'stdout', config.onOutput);
    pipeLines(child.stderr, 'stderr', config.onOutput);
    const exitListeners: Array<(code: number | null) => void> = [];
    let gone = false;
    const emitExit = (code: number | null) => {
      gone = true;
      for (const l of exitListeners) l(code);
    };
    child.on('exit', (code) => emitExit(code));
    child.on('error', () => {
      if (child.exitCode === null && child.pid === undefined) emitExit(null);
    });
    return {
      get pid() {
        return child.pid;
      },
      send: (msg) => {
        if (!gone && child.connected) child.send(msg);
      },
      kill: () => {
        if (!gone) child.kill('SIGTERM');
      },
      onMessage: (listener) => void child.on('message', (msg: unknown) => listener(msg)),
      onExit: (listener) => void exitListeners.push(listener),
    } satisfies DaemonChild;
  };
}

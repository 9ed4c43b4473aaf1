/**
 * DaemonSupervisor: spawns the daemon through an injected spawner, waits for the ready handshake,
 * restarts crashes with backoff (policy in restart-policy.ts), stops after a crash loop, and shuts down
 * gracefully ({type:'shutdown'}, wait, then kill). Electron-free: the utilityProcess adapter lives in
 * spawners.ts, so the whole state machine runs in Node tests with fake timers and fake children.
 */
import type { HostToDaemon } from '../daemon/ipc-messages.ts';
import { parseDaemonToHost } from '../daemon/ipc-messages.ts';
import type { RestartPolicy } from './restart-policy.ts';
import { DEFAULT_RESTART_POLICY, decideRestart } from './restart-policy.ts';

/** What the supervisor needs from a child process (utilityProcess or child_process). */
export interface DaemonChild {
  readonly pid: number | undefined;
  send(msg: HostToDaemon): void;
  kill(): void;
  onMessage(listener: (msg: unknown) => void): void;
  /** May fire more than once (Electron bug #44012); the supervisor ignores repeats. */
  onExit(listener: (code: number | null) => void): void;
}

export type DaemonSpawner = () => DaemonChild;

export type SupervisorState = 'stopped' | 'starting' | 'ready' | 'backoff' | 'failed' | 'stopping';

export interface SupervisorSnapshot {
  state: SupervisorState;
  port: number | null;
  token: string | null;
  url: string | null;
  pid: number | null;
  lastError: string | null;
  /** Restarts since the last manual start. */
  restarts: number;
  /** Recording flag as last confirmed (or requested); re-applied after every restart. */
  recording: boolean;
}

export interface SupervisorOptions {
  spawn: DaemonSpawner;
  policy?: Partial<RestartPolicy>;
  readyTimeoutMs?: number;
  shutdownTimeoutMs?: number;
  now?: () => number;
  random?: () => number;
  log?: (line: string) => void;
}

interface ChildRecord {
  child: DaemonChild;
  exited: boolean;
  detached: boolean;
  exitWaiters: Array<() => void>;
}

export class DaemonSupervisor {
  readonly #spawn: DaemonSpawner;
  readonly #policy: RestartPolicy;
  readonly #readyTimeoutMs: number;
  readonly #shutdownTimeoutMs: number;
  readonly #now: () => number;
  readonly #random: () => number;
  readonly #log: (line: string) => void;
  readonly #listeners = new Set<(s: SupervisorSnapshot) => void>();

  #snap: SupervisorSnapshot = {
    state: 'stopped', port: null, token: null, url: null, pid: null, lastError: null, restarts: 0, recording: true,
  };
  #current: ChildRecord | null = null;
  #crashTimes: number[] = [];
  #attempt = 0;
  #readyTimer: ReturnType<typeof setTimeout> | undefined;
  #stableTimer: ReturnType<typeof setTimeout> | undefined;
  #backoffTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(options: SupervisorOptions) {
    this.#spawn = options.spawn;
    this.#policy = { ...DEFAULT_RESTART_POLICY, ...options.policy };
    this.#readyTimeoutMs = options.readyTimeoutMs ?? 10_000;
    this.#shutdownTimeoutMs = options.shutdownTimeoutMs ?? 3_000;
    this.#now = options.now ?? (() => Date.now());
    this.#random = options.random ?? (() => Math.random());
    this.#log = options.log ?? (() => {});
  }

  get snapshot(): SupervisorSnapshot {
    return { ...this.#snap };
  }

  /** Subscribe to every state change; returns the unsubscribe function. */
  onChange(listener: (s: SupervisorSnapshot) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Idempotent: does nothing while starting, ready, backing off or stopping. */
  start(): void {
    if (this.#snap.state !== 'stopped' && this.#snap.state !== 'failed') return;
    this.#spawnChild();
  }

  /** Manual "Restart daemon": forget the crash history, stop gracefully, start again. */
  async restart(): Promise<void> {
    await this.stop();
    this.#crashTimes = [];
    this.#attempt = 0;
    this.#set({ lastError: null, restarts: 0 });
    this.start();
  }

  /** Pause/resume recording; remembered and re-sent after restarts. */
  setRecording(enabled: boolean): void {
    this.#set({ recording: enabled });
    if (this.#snap.state === 'ready') this.#current?.child.send({ type: 'set-recording', enabled });
  }

  /** Graceful stop: `{type:'shutdown'}`, wait up to shutdownTimeoutMs for exit, then kill. */
  async stop(): Promise<void> {
    this.#clearTimers();
    const rec = this.#current;
    if (!rec || rec.exited) {
      this.#current = null;
      this.#set({ state: this.#snap.state === 'failed' ? 'failed' : 'stopped', port: null, token: null, url: null, pid: null });
      return;
    }
    this.#set({ state: 'stopping' });
    try {
      rec.child.send({ type: 'shutdown' });
    } catch (err) {
      this.#log(`supervisor: shutdown message failed: ${(err as Error).message}`);
    }
    if (!(await this.#waitForExit(rec, this.#shutdownTimeoutMs))) {
      this.#log('supervisor: daemon did not exit in time; killing it');
      this.#safeKill(rec);
      await this.#waitForExit(rec, 1_000);
    }
    if (this.#current === rec) this.#current = null;
    this.#set({ state: 'stopped', port: null, token: null, url: null, pid: null });
  }

  #spawnChild(): void {
    this.#clearTimers();
    this.#set({ state: 'starting', port: null, token: null, url: null, pid: null });
    let child: DaemonChild;
    try {
      child = this.#spawn();
    } catch (err) {
      this.#crash(`spawn failed: ${(err as Error).message}`);
      return;
    }
    const rec: ChildRecord = { child, exited: false, detached: false, exitWaiters: [] };
    this.#current = rec;
    this.#set({ pid: child.pid ?? null });
    child.onMessage((raw) => this.#onMessage(rec, raw));
    child.onExit((code) => this.#onExit(rec, code));
    this.#readyTimer = setTimeout(() => {
      if (this.#current !== rec || this.#snap.state !== 'starting') return;
      this.#crash(`daemon not ready within ${Math.round(this.#readyTimeoutMs / 1000)} s`);
    }, this.#readyTimeoutMs);
  }

  #onMessage(rec: ChildRecord, raw: unknown): void {
    if (rec !== this.#current || rec.detached) return;
    const msg = parseDaemonToHost(raw);
    if (!msg) return;
    if (msg.type === 'ready' && this.#snap.state === 'starting') {
      clearTimeout(this.#readyTimer);
      this.#set({ state: 'ready', port: msg.port, token: msg.token, url: msg.url, pid: msg.pid, lastError: null });
      if (!this.#snap.recording) rec.child.send({ type: 'set-recording', enabled: false });
      this.#stableTimer = setTimeout(() => (this.#attempt = 0), this.#policy.stableAfterMs);
    } else if (msg.type === 'startup-error') {
      this.#set({ lastError: msg.message });
    } else if (msg.type === 'recording') {
      if (!msg.supported) this.#log('supervisor: this daemon cannot pause recording');
    }
  }

  #onExit(rec: ChildRecord, code: number | null): void {
    if (rec.exited) return; // Electron may emit exit twice
    rec.exited = true;
    for (const w of rec.exitWaiters.splice(0)) w();
    if (rec !== this.#current || rec.detached || this.#snap.state === 'stopping') return;
    this.#crash(this.#snap.lastError && this.#snap.state === 'starting'
      ? this.#snap.lastError
      : `daemon exited with code ${code ?? 'null'}`);
  }

  #crash(reason: string): void {
    this.#clearTimers();
    const rec = this.#current;
    this.#current = null;
    if (rec) {
      rec.detached = true;
      if (!rec.exited) this.#safeKill(rec);
    }
    const now = this.#now();
    this.#crashTimes = [...this.#crashTimes, now].filter((t) => now - t < this.#policy.windowMs);
    const decision = decideRestart(this.#crashTimes, now, this.#attempt, this.#policy, this.#random);
    this.#log(`supervisor: ${reason}`);
    if (decision.kind === 'give-up') {
      this.#set({
        state: 'failed', port: null, token: null, url: null, pid: null,
        lastError: `${reason} (${decision.crashesInWindow} crashes in ${Math.round(this.#policy.windowMs / 60_000)} minutes)`,
      });
      return;
    }
    this.#attempt += 1;
    this.#set({ state: 'backoff', port: null, token: null, url: null, pid: null, lastError: reason, restarts: this.#snap.restarts + 1 });
    this.#backoffTimer = setTimeout(() => this.#spawnChild(), decision.delayMs);
  }

  #waitForExit(rec: ChildRecord, ms: number): Promise<boolean> {
    if (rec.exited) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), ms);
      rec.exitWaiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  #safeKill(rec: ChildRecord): void {
    try {
      rec.child.kill();
    } catch (err) {
      this.#log(`supervisor: kill failed: ${(err as Error).message}`);
    }
  }

  #clearTimers(): void {
    clearTimeout(this.#readyTimer);
    clearTimeout(this.#stableTimer);
    clearTimeout(this.#backoffTimer);
  }

  #set(patch: Partial<SupervisorSnapshot>): void {
    this.#snap = { ...this.#snap, ...patch };
    const s = this.snapshot;
    for (const l of [...this.#listeners]) l(s);
  }
}

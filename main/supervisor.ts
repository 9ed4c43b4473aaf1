/**
 * DaemonSupervisor: spawns the daemon through an injected spawner, waits for the ready handshake,
 * restarts crashes with backoff (policy in restart-policy.ts), stops after a crash loop, and shuts down
 * gracefully ({type:'shutdown'}, wait, then kill). Electron-free: the utilityProcess adapter lives in
 * spawners.ts, so the whole state machine runs in Node tests with fake timers and fake children.
 */
import type { HostToDaemon } from '../shared/ipc-messages.ts';
import { parseDaemonToHost } from '../shared/ipc-messages.ts';
import type { RestartPolicy } from './restart-policy.ts';
import { DEFAULT_RESTART_POLICY, decideRestart } from './restart-policy.ts';
import type { ProbeResult } from './daemon-probe.ts';

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

/**
 * `refused`: the probe found the daemon's data folder or port in use by something the app must not fight
 * (see daemon-probe.ts); `lastError` says what, and the supervisor probes again every `refusedRetryMs`.
 */
export type SupervisorState = 'stopped' | 'starting' | 'ready' | 'backoff' | 'failed' | 'stopping' | 'refused';

/**
 * The daemon gets this long to exit after `{type:'shutdown'}` before it is killed: its graceful close lets
 * in-flight streams run for 2 s (daemon/index.ts), then closes the history import and the store, whose close
 * writes a final snapshot of the database (seconds on a large store, more on a slow disk).
 */
export const SHUTDOWN_TIMEOUT_MS = 15_000;

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
  /** Ready on a daemon the app did not start (found by the probe): never stopped by the app. */
  attached: boolean;
}

export interface SupervisorOptions {
  spawn: DaemonSpawner;
  policy?: Partial<RestartPolicy>;
  readyTimeoutMs?: number;
  shutdownTimeoutMs?: number;
  now?: () => number;
  random?: () => number;
  log?: (line: string) => void;
  /** Asked before every start: attach to a running daemon of this data folder, start our own, or refuse. */
  probe?: () => Promise<ProbeResult>;
  /** While attached: is the daemon still there? Checked every `attachCheckMs`; when not, start again. */
  isAlive?: (url: string) => Promise<boolean>;
  attachCheckMs?: number;
  /** While refused: probe again after this long (the other process may have gone). */
  refusedRetryMs?: number;
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
    state: 'stopped', port: null, token: null, url: null, pid: null, lastError: null, restarts: 0, recording: true, attached: false,
  };
  #current: ChildRecord | null = null;
  #crashTimes: number[] = [];
  #attempt = 0;
  #readyTimer: ReturnType<typeof setTimeout> | undefined;
  #stableTimer: ReturnType<typeof setTimeout> | undefined;
  #backoffTimer: ReturnType<typeof setTimeout> | undefined;
  #watchTimer: ReturnType<typeof setTimeout> | undefined;
  /** Bumped by every start/stop so a late probe or liveness answer is ignored. */
  #generation = 0;
  readonly #probe: (() => Promise<ProbeResult>) | undefined;
  readonly #isAlive: ((url: string) => Promise<boolean>) | undefined;
  readonly #attachCheckMs: number;
  readonly #refusedRetryMs: number;

  constructor(options: SupervisorOptions) {
    this.#spawn = options.spawn;
    this.#policy = { ...DEFAULT_RESTART_POLICY, ...options.policy };
    this.#readyTimeoutMs = options.readyTimeoutMs ?? 10_000;
    this.#shutdownTimeoutMs = options.shutdownTimeoutMs ?? SHUTDOWN_TIMEOUT_MS;
    this.#probe = options.probe;
    this.#isAlive = options.isAlive;
    this.#attachCheckMs = options.attachCheckMs ?? 5_000;
    this.#refusedRetryMs = options.refusedRetryMs ?? 15_000;
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

  /** Idempotent: does nothing while starting, ready, backing off or stopping. Probes first when configured. */
  start(): void {
    const state = this.#snap.state;
    if (state !== 'stopped' && state !== 'failed' && state !== 'refused') return;
    this.#begin();
  }

  /** Probe (when configured), then attach, refuse or spawn. Also the way back from a crash's backoff. */
  #begin(): void {
    if (!this.#probe) return this.#spawnChild();
    this.#clearTimers();
    const gen = ++this.#generation;
    this.#set({ state: 'starting', port: null, token: null, url: null, pid: null, attached: false });
    this.#probe().then(
      (result) => {
        if (gen === this.#generation && this.#snap.state === 'starting' && !this.#current) this.#afterProbe(result);
      },
      (err: unknown) => {
        this.#log(`supervisor: probe failed (${(err as Error).message}); starting our own daemon`);
        if (gen === this.#generation && this.#snap.state === 'starting' && !this.#current) this.#spawnChild();
      },
    );
  }

  #afterProbe(result: ProbeResult): void {
    if (result.kind === 'free') return this.#spawnChild();
    if (result.kind === 'refuse') {
      this.#log(`supervisor: not starting a daemon: ${result.reason}`);
      this.#set({ state: 'refused', lastError: result.reason });
      this.#watchTimer = setTimeout(() => this.start(), this.#refusedRetryMs);
      return;
    }
    this.#log(`supervisor: attached to the running CCO daemon (pid ${result.pid}, ${result.url})`);
    this.#set({ state: 'ready', port: result.port, token: result.token, url: result.url, pid: result.pid, lastError: null, attached: true });
    this.#watchAttached(this.#generation, result.url);
  }

  #watchAttached(gen: number, url: string): void {
    if (!this.#isAlive) return;
    const isAlive = this.#isAlive;
    this.#watchTimer = setTimeout(() => {
      void isAlive(url).then(
        (alive) => alive,
        () => false,
      ).then((alive) => {
        if (gen !== this.#generation || !this.#snap.attached) return;
        if (alive) return this.#watchAttached(gen, url);
        this.#log('supervisor: the attached daemon is gone; starting again');
        this.#set({ state: 'stopped', port: null, token: null, url: null, pid: null, attached: false });
        this.start();
      });
    }, this.#attachCheckMs);
  }

  /** Manual "Restart daemon": forget the crash history, stop gracefully, start again. */
  async restart(): Promise<void> {
    await this.stop();
    this.#crashTimes = [];
    this.#attempt = 0;
    this.#set({ lastError: null, restarts: 0 });
    this.start();
  }

  /** Pause/resume recording; remembered and re-sent after restarts (an attached daemon is not told). */
  setRecording(enabled: boolean): void {
    this.#set({ recording: enabled });
    if (this.#snap.state === 'ready') this.#current?.child.send({ type: 'set-recording', enabled });
  }

  /** Graceful stop: `{type:'shutdown'}`, wait up to shutdownTimeoutMs for exit, then kill. */
  async stop(): Promise<void> {
    this.#clearTimers();
    this.#generation += 1;
    const rec = this.#current;
    if (!rec || rec.exited) {
      // An attached daemon is not ours: the app only lets go of it.
      this.#current = null;
      this.#set({ state: this.#snap.state === 'failed' ? 'failed' : 'stopped', port: null, token: null, url: null, pid: null, attached: false });
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
    this.#set({ state: 'starting', port: null, token: null, url: null, pid: null, attached: false });
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
    this.#backoffTimer = setTimeout(() => this.#begin(), decision.delayMs);
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
    clearTimeout(this.#watchTimer);
  }

  #set(patch: Partial<SupervisorSnapshot>): void {
    this.#snap = { ...this.#snap, ...patch };
    const s = this.snapshot;
    for (const l of [...this.#listeners]) l(s);
  }
}

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { HostToDaemon } from '../shared/ipc-messages.ts';
import type { DaemonChild, SupervisorSnapshot } from './supervisor.ts';
import { DaemonSupervisor, SHUTDOWN_TIMEOUT_MS } from './supervisor.ts';
import type { ProbeResult } from './daemon-probe.ts';

class FakeChild implements DaemonChild {
  readonly sent: HostToDaemon[] = [];
  kills = 0;
  #message: Array<(m: unknown) => void> = [];
  #exit: Array<(c: number | null) => void> = [];
  constructor(
    readonly pid: number,
    /** What the child does when asked to shut down / killed. */
    readonly behaviour: { exitOnShutdown: boolean; exitOnKill: boolean },
  ) {}
  send(msg: HostToDaemon): void {
    this.sent.push(msg);
    if (msg.type === 'shutdown' && this.behaviour.exitOnShutdown) {
      this.message({ type: 'shutdown-complete' });
      this.exit(0);
    }
  }
  kill(): void {
    this.kills += 1;
    if (this.behaviour.exitOnKill) this.exit(null);
  }
  onMessage(l: (m: unknown) => void): void {
    this.#message.push(l);
  }
  onExit(l: (c: number | null) => void): void {
    this.#exit.push(l);
  }
  message(m: unknown): void {
    for (const l of this.#message) l(m);
  }
  exit(code: number | null): void {
    for (const l of this.#exit) l(code);
  }
  ready(port = 4100 + this.pid): void {
    this.message({ type: 'ready', port, token: `tok-${this.pid}`, url: `http://127.0.0.1:${port}`, pid: this.pid });
  }
}

function setup(behaviour = { exitOnShutdown: true, exitOnKill: true }) {
  const children: FakeChild[] = [];
  const states: SupervisorSnapshot['state'][] = [];
  const sup = new DaemonSupervisor({
    spawn: () => {
      const c = new FakeChild(children.length + 1, behaviour);
      children.push(c);
      return c;
    },
    random: () => 0.5,
  });
  sup.onChange((s) => {
    if (states.at(-1) !== s.state) states.push(s.state);
  });
  const last = (): FakeChild => {
    const c = children.at(-1);
    if (!c) throw new Error('no child spawned');
    return c;
  };
  return { sup, children, states, last };
}

describe('DaemonSupervisor', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_000_000 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('reaches ready on the handshake and exposes port and token', () => {
    const { sup, last } = setup();
    sup.start();
    expect(sup.snapshot.state).toBe('starting');
    last().ready(4321);
    expect(sup.snapshot).toMatchObject({ state: 'ready', port: 4321, token: 'tok-1', url: 'http://127.0.0.1:4321' });
  });

  it('start() is idempotent', () => {
    const { sup, children } = setup();
    sup.start();
    sup.start();
    children[0]?.ready();
    sup.start();
    expect(children).toHaveLength(1);
  });

  it('ignores malformed messages', () => {
    const { sup, last } = setup();
    sup.start();
    last().message({ type: 'ready', port: 'x' });
    last().message('ready');
    expect(sup.snapshot.state).toBe('starting');
  });

  it('restarts a crashed daemon with exponential backoff', () => {
    const { sup, children } = setup();
    sup.start();
    children[0]?.ready();
    children[0]?.exit(1);
    expect(sup.snapshot).toMatchObject({ state: 'backoff', restarts: 1, lastError: 'daemon exited with code 1' });
    vi.advanceTimersByTime(499);
    expect(children).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(children).toHaveLength(2);
    expect(sup.snapshot.state).toBe('starting');
    children[1]?.exit(1); // second crash before ready: delay doubles
    vi.advanceTimersByTime(999);
    expect(children).toHaveLength(2);
    vi.advanceTimersByTime(1);
    expect(children).toHaveLength(3);
  });

  it('stops after 3 crashes in 5 minutes and shows the error; manual restart recovers', async () => {
    const { sup, children, states } = setup();
    sup.start();
    for (let i = 0; i < 3; i++) {
      children[i]?.ready();
      children[i]?.exit(7);
      vi.advanceTimersByTime(10_000);
    }
    expect(children).toHaveLength(3);
    expect(sup.snapshot.state).toBe('failed');
    expect(sup.snapshot.lastError).toContain('3 crashes in 5 minutes');
    vi.advanceTimersByTime(600_000);
    expect(children).toHaveLength(3); // no more restarts
    await sup.restart();
    expect(children).toHaveLength(4);
    children[3]?.ready();
    expect(sup.snapshot).toMatchObject({ state: 'ready', lastError: null, restarts: 0 });
    expect(states).toEqual(['starting', 'ready', 'backoff', 'starting', 'ready', 'backoff', 'starting', 'ready', 'failed', 'starting', 'ready']);
  });

  it('keeps restarting when crashes are more than 5 minutes apart', () => {
    const { sup, children } = setup();
    sup.start();
    for (let i = 0; i < 5; i++) {
      children[i]?.ready();
      vi.advanceTimersByTime(3 * 60_000);
      children[i]?.exit(1);
      vi.advanceTimersByTime(1_000);
    }
    expect(children).toHaveLength(6);
    expect(sup.snapshot).toMatchObject({ state: 'starting', restarts: 5 });
  });

  it('resets the backoff exponent once the child has been ready for a minute', () => {
    const { sup, children } = setup();
    sup.start();
    children[0]?.exit(1);
    vi.advanceTimersByTime(500);
    children[1]?.ready();
    vi.advanceTimersByTime(60_000);
    children[1]?.exit(1);
    vi.advanceTimersByTime(500); // base delay again, not 1000
    expect(children).toHaveLength(3);
  });

  it('kills and restarts a child that is not ready within 10 s', () => {
    const { sup, children } = setup({ exitOnShutdown: true, exitOnKill: false });
    sup.start();
    vi.advanceTimersByTime(9_999);
    expect(sup.snapshot.state).toBe('starting');
    vi.advanceTimersByTime(1);
    expect(children[0]?.kills).toBe(1);
    expect(sup.snapshot).toMatchObject({ state: 'backoff', lastError: 'daemon not ready within 10 s' });
    children[0]?.ready(); // a late ready from the abandoned child is ignored
    children[0]?.exit(null);
    expect(sup.snapshot.state).toBe('backoff');
    vi.advanceTimersByTime(500);
    expect(children).toHaveLength(2);
  });

  it('regression electron#44012: a double exit event counts as one crash', () => {
    const { sup, children } = setup();
    sup.start();
    children[0]?.ready();
    children[0]?.exit(1);
    children[0]?.exit(1);
    expect(sup.snapshot.restarts).toBe(1);
    vi.advanceTimersByTime(500);
    expect(children).toHaveLength(2);
    children[1]?.ready();
    vi.advanceTimersByTime(60_000);
    expect(children).toHaveLength(2);
    expect(sup.snapshot.state).toBe('ready');
  });

  it('reports a startup error message from the child as the crash reason', () => {
    const { sup, children } = setup();
    sup.start();
    children[0]?.message({ type: 'startup-error', message: 'port 3000 is busy' });
    children[0]?.exit(1);
    expect(sup.snapshot.lastError).toBe('port 3000 is busy');
  });

  it('stop() sends shutdown and resolves when the child exits, without restarting', async () => {
    const { sup, children } = setup();
    sup.start();
    children[0]?.ready();
    await sup.stop();
    expect(children[0]?.sent).toEqual([{ type: 'shutdown' }]);
    expect(children[0]?.kills).toBe(0);
    expect(sup.snapshot).toMatchObject({ state: 'stopped', port: null, token: null });
    vi.advanceTimersByTime(60_000);
    expect(children).toHaveLength(1);
  });

  it('stop() waits 15 s (the daemon grace plus its final snapshot) before killing a child that ignores shutdown', async () => {
    const { sup, children } = setup({ exitOnShutdown: false, exitOnKill: true });
    sup.start();
    children[0]?.ready();
    const stopped = sup.stop();
    await vi.advanceTimersByTimeAsync(3_000);
    expect(children[0]?.kills).toBe(0); // the old 3 s cut the final snapshot short
    await vi.advanceTimersByTimeAsync(SHUTDOWN_TIMEOUT_MS - 3_001);
    expect(children[0]?.kills).toBe(0);
    expect(sup.snapshot.state).toBe('stopping');
    await vi.advanceTimersByTimeAsync(1);
    await stopped;
    expect(children[0]?.kills).toBe(1);
    expect(sup.snapshot.state).toBe('stopped');
  });

  it('stop() during backoff cancels the pending restart', async () => {
    const { sup, children } = setup();
    sup.start();
    children[0]?.exit(1);
    await sup.stop();
    vi.advanceTimersByTime(60_000);
    expect(children).toHaveLength(1);
    expect(sup.snapshot.state).toBe('stopped');
  });

  it('a throwing spawner counts as a crash', () => {
    let calls = 0;
    const sup = new DaemonSupervisor({
      spawn: () => {
        calls += 1;
        throw new Error('entry missing');
      },
      random: () => 0.5,
    });
    sup.start();
    expect(sup.snapshot).toMatchObject({ state: 'backoff', lastError: 'spawn failed: entry missing' });
    vi.advanceTimersByTime(10_000);
    expect(calls).toBe(3);
    expect(sup.snapshot.state).toBe('failed');
  });

  it('re-applies paused recording after a restart', () => {
    const { sup, children } = setup();
    sup.start();
    children[0]?.ready();
    sup.setRecording(false);
    expect(children[0]?.sent).toEqual([{ type: 'set-recording', enabled: false }]);
    children[0]?.exit(1);
    vi.advanceTimersByTime(500);
    children[1]?.ready();
    expect(children[1]?.sent).toEqual([{ type: 'set-recording', enabled: false }]);
  });

  describe('with a probe (a daemon may already serve this data folder)', () => {
    function probed(results: ProbeResult[], alive: boolean[] = []) {
      const spawned: FakeChild[] = [];
      const probes: number[] = [];
      const sup = new DaemonSupervisor({
        spawn: () => {
          const c = new FakeChild(spawned.length + 1, { exitOnShutdown: true, exitOnKill: true });
          spawned.push(c);
          return c;
        },
        probe: async () => (probes.push(1), results.shift() ?? { kind: 'free' }),
        isAlive: async () => alive.shift() ?? true,
        attachCheckMs: 1_000,
        refusedRetryMs: 10_000,
        random: () => 0.5,
      });
      return { sup, spawned, probes };
    }

    it('attaches to the running daemon instead of starting a second one, and never stops it', async () => {
      const { sup, spawned } = probed([{ kind: 'attach', url: 'http://127.0.0.1:3000', port: 3000, token: 'tok-svc', pid: 4242, version: 'v' }]);
      sup.start();
      await vi.advanceTimersByTimeAsync(0);
      expect(sup.snapshot).toMatchObject({ state: 'ready', attached: true, url: 'http://127.0.0.1:3000', token: 'tok-svc', pid: 4242 });
      expect(spawned).toHaveLength(0);
      await sup.stop();
      expect(sup.snapshot).toMatchObject({ state: 'stopped', attached: false });
      expect(spawned).toHaveLength(0);
    });

    it('starts its own daemon when the attached one goes away', async () => {
      const { sup, spawned, probes } = probed([{ kind: 'attach', url: 'http://127.0.0.1:3000', port: 3000, token: 't', pid: 7, version: 'v' }, { kind: 'free' }], [true, false]);
      sup.start();
      await vi.advanceTimersByTimeAsync(1_000);
      expect(sup.snapshot.attached).toBe(true);
      await vi.advanceTimersByTimeAsync(1_000);
      expect(probes).toHaveLength(2);
      expect(spawned).toHaveLength(1);
      spawned[0]!.ready(5000);
      expect(sup.snapshot).toMatchObject({ state: 'ready', attached: false, port: 5000 });
    });

    it('refuses with the reason (no crash loop), and probes again later', async () => {
      const reason = 'Port 3000 is in use by another program.';
      const { sup, spawned, probes } = probed([{ kind: 'refuse', reason }, { kind: 'free' }]);
      sup.start();
      await vi.advanceTimersByTimeAsync(0);
      expect(sup.snapshot).toMatchObject({ state: 'refused', lastError: reason });
      expect(spawned).toHaveLength(0);
      await vi.advanceTimersByTimeAsync(10_000);
      expect(probes).toHaveLength(2);
      expect(spawned).toHaveLength(1);
      expect(sup.snapshot.state).toBe('starting');
    });

    it('a stop() during the probe wins over its late answer', async () => {
      let answer!: (r: ProbeResult) => void;
      const sup = new DaemonSupervisor({ spawn: () => { throw new Error('must not spawn'); }, probe: () => new Promise((r) => (answer = r)) });
      sup.start();
      await sup.stop();
      answer({ kind: 'free' });
      await vi.advanceTimersByTimeAsync(0);
      expect(sup.snapshot.state).toBe('stopped');
    });
  });
});

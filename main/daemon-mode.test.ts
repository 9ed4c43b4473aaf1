import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { DaemonHandleLike } from '../daemon/entry-utility.ts';
import { applyHeadlessSwitches, isDaemonMode, runHeadlessDaemon } from './daemon-mode.ts';

function fakeCommandLine() {
  const ops: string[] = [];
  return {
    ops,
    cl: {
      appendSwitch: (s: string, v?: string) => void ops.push(`+${s}${v ? `=${v}` : ''}`),
      removeSwitch: (s: string) => void ops.push(`-${s}`),
    },
  };
}

describe('daemon-mode', () => {
  it('detects --daemon', () => {
    expect(isDaemonMode(['/opt/CCO/cco-app', '--daemon'])).toBe(true);
    expect(isDaemonMode(['/opt/CCO/cco-app', '--autostart'])).toBe(false);
  });

  it('adds headless Ozone switches on Linux only', () => {
    const linux = fakeCommandLine();
    applyHeadlessSwitches(linux.cl, 'linux');
    expect(linux.ops).toEqual(['-ozone-platform', '+ozone-platform=headless', '+disable-gpu', '+disable-software-rasterizer']);
    const mac = fakeCommandLine();
    applyHeadlessSwitches(mac.cl, 'darwin');
    expect(mac.ops).toEqual([]);
  });

  it('serves until a signal, then closes and exits 0 (once)', async () => {
    const server = http.createServer((_q, r) => r.end('up'));
    const start = async (): Promise<DaemonHandleLike> => {
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      const port = (server.address() as AddressInfo).port;
      return { port, url: `http://127.0.0.1:${port}`, token: 't', close: () => new Promise<void>((r) => server.close(() => r())) };
    };
    const logs: string[] = [];
    const exits: number[] = [];
    let signal: ((s: string) => void) | null = null;
    const handle = await runHeadlessDaemon({ options: {}, start, log: (l) => logs.push(l), onSignal: (h) => void (signal = h), exit: (c) => exits.push(c) });
    expect(await (await fetch(`${handle!.url}/`)).text()).toBe('up');
    signal!('SIGTERM');
    signal!('SIGINT');
    await new Promise((r) => setTimeout(r, 50));
    expect(exits).toEqual([0]);
    expect(server.listening).toBe(false);
    expect(logs.join('\n')).toMatch(/listening on http:\/\/127\.0\.0\.1:\d+/);
  });

  it('a start failure is logged and exits 1', async () => {
    const logs: string[] = [];
    const exits: number[] = [];
    const h = await runHeadlessDaemon({
      options: {}, log: (l) => logs.push(l), onSignal: () => {}, exit: (c) => exits.push(c),
      start: async () => { throw new Error('Port 3000 on 127.0.0.1 is already in use'); },
    });
    expect(h).toBeNull();
    expect(exits).toEqual([1]);
    expect(logs[0]).toContain('already in use');
  });
});

import { describe, expect, it } from 'vitest';
import type { IpcMain } from 'electron';
import { createElectronFake, fakeWebContents } from './__mocks__/electron.ts';
import { INVOKE } from '../shared/ipc-contract.ts';
import type { InvokeHandlers } from './ipc.ts';
import { registerIpc, sendEvent } from './ipc.ts';

function setup() {
  const fake = createElectronFake();
  const calls: string[] = [];
  const handlers: InvokeHandlers = {
    'cco:daemon:info': () => ({ baseUrl: 'http://127.0.0.1:3000', token: 'tok' }),
    'cco:app:open-dashboard': (id?: string) => void calls.push(`dash:${id ?? ''}`),
    'cco:app:hide-popover': () => void calls.push('hide'),
    'cco:app:quit': () => void calls.push('quit'),
    'cco:app:popover-blurred': () => void calls.push('blurred'),
    'cco:update:status': () => null,
    'cco:update:check': () => null,
    'cco:update:download': () => null,
    'cco:update:install': () => void calls.push('install'),
  };
  const popover = fakeWebContents(1, 'app://cco/index.html#/popover');
  const stranger = fakeWebContents(2, 'app://cco/index.html');
  const trusted = new Set([1]);
  const dispose = registerIpc({ ipcMain: fake.ipcMain as unknown as Pick<IpcMain, 'handle' | 'removeHandler'>, handlers, trustedIds: () => trusted });
  return { fake, calls, popover, stranger, dispose, trusted };
}

describe('ipc', () => {
  it('registers every contract channel and disposes them', () => {
    const { fake, dispose } = setup();
    expect(fake.ipcMain.channels().sort()).toEqual(Object.values(INVOKE).sort());
    dispose();
    expect(fake.ipcMain.channels()).toEqual([]);
  });

  it('answers a trusted sender', async () => {
    const { fake, popover, calls } = setup();
    expect(await fake.ipcMain.invokeAs(popover, INVOKE.daemonInfo, [])).toEqual({ baseUrl: 'http://127.0.0.1:3000', token: 'tok' });
    await fake.ipcMain.invokeAs(popover, INVOKE.openDashboard, ['01JABCDEF']);
    await fake.ipcMain.invokeAs(popover, INVOKE.openDashboard, []);
    await fake.ipcMain.invokeAs(popover, INVOKE.hidePopover, []);
    expect(calls).toEqual(['dash:01JABCDEF', 'dash:', 'hide']);
  });

  it('rejects unknown web contents, sub-frames and foreign origins', async () => {
    const { fake, popover, stranger, calls } = setup();
    await expect(fake.ipcMain.invokeAs(stranger, INVOKE.quit, [])).rejects.toThrow('untrusted sender');
    await expect(fake.ipcMain.invokeAs(popover, INVOKE.quit, [], { url: 'app://cco/frame.html' })).rejects.toThrow('untrusted sender');
    popover.mainFrame.url = 'https://evil.example/';
    await expect(fake.ipcMain.invokeAs(popover, INVOKE.quit, [])).rejects.toThrow('untrusted sender');
    expect(calls).toEqual([]);
  });

  it('rejects invalid arguments', async () => {
    const { fake, popover, calls } = setup();
    await expect(fake.ipcMain.invokeAs(popover, INVOKE.openDashboard, ['../../etc'])).rejects.toThrow('invalid arguments');
    await expect(fake.ipcMain.invokeAs(popover, INVOKE.openDashboard, [{ toString: () => 'x' }])).rejects.toThrow('invalid arguments');
    await expect(fake.ipcMain.invokeAs(popover, INVOKE.quit, ['now'])).rejects.toThrow('invalid arguments');
    expect(calls).toEqual([]);
  });

  it('sendEvent skips destroyed web contents', () => {
    const a = fakeWebContents(1, 'app://cco/');
    const b = { ...fakeWebContents(2, 'app://cco/'), isDestroyed: () => true };
    sendEvent([a, b], 'cco:daemon:restarted');
    expect(a.sent).toEqual([{ channel: 'cco:daemon:restarted', args: [] }]);
    expect(b.sent).toEqual([]);
  });
});

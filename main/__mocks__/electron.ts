/**
 * Typed fake of the parts of `electron` that main/ and preload/ use, for `vi.mock('electron', …)`.
 * `createElectronFake()` returns fresh state every call (no module-level state leaks between files);
 * the default export of the module is one such instance.
 */
import { EventEmitter } from 'node:events';

export interface FakeWebContents {
  id: number;
  mainFrame: { url: string };
  sent: Array<{ channel: string; args: unknown[] }>;
  send(channel: string, ...args: unknown[]): void;
  isDestroyed(): boolean;
}

export function fakeWebContents(id: number, url: string): FakeWebContents {
  const wc: FakeWebContents = {
    id,
    mainFrame: { url },
    sent: [],
    send: (channel, ...args) => void wc.sent.push({ channel, args }),
    isDestroyed: () => false,
  };
  return wc;
}

type Handler = (event: unknown, ...args: unknown[]) => unknown;

export function createElectronFake() {
  const handlers = new Map<string, Handler>();
  const ipcMain = {
    handle: (channel: string, h: Handler) => {
      if (handlers.has(channel)) throw new Error(`Attempted to register a second handler for '${channel}'`);
      handlers.set(channel, h);
    },
    removeHandler: (channel: string) => void handlers.delete(channel),
    /** Test helper: call a handler as if `sender` invoked it from its main frame (or `frame`). */
    invokeAs: async (sender: FakeWebContents, channel: string, args: unknown[], frame: { url: string } | null = sender.mainFrame) => {
      const h = handlers.get(channel);
      if (!h) throw new Error(`No handler registered for '${channel}'`);
      return h({ sender, senderFrame: frame }, ...args);
    },
    channels: () => [...handlers.keys()],
  };

  const rendererEmitter = new EventEmitter();
  const invoked: Array<{ channel: string; args: unknown[] }> = [];
  const ipcRenderer = {
    invoke: async (channel: string, ...args: unknown[]) => {
      invoked.push({ channel, args });
      return { channel, args };
    },
    on: (channel: string, l: (...a: unknown[]) => void) => {
      rendererEmitter.on(channel, l);
      return ipcRenderer;
    },
    removeListener: (channel: string, l: (...a: unknown[]) => void) => {
      rendererEmitter.removeListener(channel, l);
      return ipcRenderer;
    },
    /** Test helper: main sends an event. */
    emitFromMain: (channel: string, ...args: unknown[]) => rendererEmitter.emit(channel, { sender: 'ipc-renderer-event' }, ...args),
    listenerCount: (channel: string) => rendererEmitter.listenerCount(channel),
    invoked,
  };

  const exposed = new Map<string, unknown>();
  const contextBridge = {
    exposeInMainWorld: (key: string, api: unknown) => {
      if (exposed.has(key)) throw new Error(`Cannot bind an API on top of an existing property on the window object`);
      exposed.set(key, api);
    },
    exposed,
  };

  /** Electron's Notification: `shown` records every notification shown (title, body). */
  const shown: Array<{ title: string; body: string }> = [];
  class Notification {
    static isSupported = () => true;
    static shown = shown;
    constructor(readonly opts: { title: string; body: string; silent?: boolean }) {}
    show(): void {
      shown.push({ title: this.opts.title, body: this.opts.body });
    }
  }

  return { ipcMain, ipcRenderer, contextBridge, Notification };
}

export type ElectronFake = ReturnType<typeof createElectronFake>;

const instance = createElectronFake();
export const { ipcMain, ipcRenderer, contextBridge, Notification } = instance;
export default instance;

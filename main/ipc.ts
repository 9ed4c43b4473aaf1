/**
 * Typed ipcMain wrappers: each handler is registered against the contract, every call checks the sender
 * (our windows, main frame, app origin) and validates arguments before the handler runs.
 */
import type { IpcMain, IpcMainInvokeEvent, WebContents } from 'electron';
import type { EventChannel, EventContract, InvokeArgs, InvokeChannel, InvokeResult } from '../shared/ipc-contract.ts';
import { INVOKE, VALIDATE } from '../shared/ipc-contract.ts';
import { isTrustedSender, senderInfo } from './security.ts';

export type InvokeHandlers = {
  [C in InvokeChannel]: (...args: InvokeArgs<C>) => InvokeResult<C> | Promise<InvokeResult<C>>;
};

export interface IpcOptions {
  ipcMain: Pick<IpcMain, 'handle' | 'removeHandler'>;
  handlers: InvokeHandlers;
  /** Ids of the web contents allowed to call (popover, dashboard). Read on every call. */
  trustedIds: () => ReadonlySet<number>;
  allowedOrigins?: readonly string[];
  log?: (line: string) => void;
}

/** Registers every channel; returns a dispose function that removes them. */
export function registerIpc(opts: IpcOptions): () => void {
  const channels = Object.values(INVOKE) as InvokeChannel[];
  for (const channel of channels) {
    opts.ipcMain.handle(channel, async (event: IpcMainInvokeEvent, ...raw: unknown[]) => {
      const info = senderInfo(event.sender, event.senderFrame);
      if (!isTrustedSender(info, opts.trustedIds(), opts.allowedOrigins)) {
        opts.log?.(`ipc: rejected ${channel} from untrusted sender`);
        throw new Error('untrusted sender');
      }
      const args = VALIDATE[channel](raw);
      if (args === null) {
        opts.log?.(`ipc: rejected ${channel}: invalid arguments`);
        throw new Error('invalid arguments');
      }
      const handler = opts.handlers[channel] as (...a: unknown[]) => unknown;
      return handler(...args);
    });
  }
  return () => {
    for (const channel of channels) opts.ipcMain.removeHandler(channel);
  };
}

/** Sends a typed event to each live web contents. */
export function sendEvent<C extends EventChannel>(targets: Iterable<Pick<WebContents, 'send' | 'isDestroyed'>>, channel: C, ...args: EventContract[C]): void {
  for (const wc of targets) if (!wc.isDestroyed()) wc.send(channel, ...args);
}

/**
 * Messages between the Electron main process (the supervisor) and the daemon host process
 * (daemon/entry-utility.ts). Unions keyed on `type`; inbound and outbound kept apart.
 * Type-only module plus two tiny guards; no Electron import (the daemon must stay Electron-free).
 */

/** Main → daemon. */
export type HostToDaemon =
  | { type: 'shutdown' }
  | { type: 'set-recording'; enabled: boolean };

/** Daemon → main. */
export type DaemonToHost =
  | { type: 'ready'; port: number; token: string; url: string; pid: number }
  | { type: 'startup-error'; message: string }
  | { type: 'recording'; enabled: boolean; supported: boolean }
  | { type: 'shutdown-complete' };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Validates a message arriving at the daemon; anything else is ignored. */
export function parseHostToDaemon(value: unknown): HostToDaemon | null {
  if (!isRecord(value)) return null;
  if (value.type === 'shutdown') return { type: 'shutdown' };
  if (value.type === 'set-recording' && typeof value.enabled === 'boolean') {
    return { type: 'set-recording', enabled: value.enabled };
  }
  return null;
}

/** Validates a message arriving at the supervisor; anything else is ignored. */
export function parseDaemonToHost(value: unknown): DaemonToHost | null {
  if (!isRecord(value)) return null;
  switch (value.type) {
    case 'ready':
      if (
        typeof value.port === 'number' && Number.isInteger(value.port) && value.port > 0 && value.port < 65536 &&
        typeof value.token === 'string' && typeof value.url === 'string' && typeof value.pid === 'number'
      ) {
        return { type: 'ready', port: value.port, token: value.token, url: value.url, pid: value.pid };
      }
      return null;
    case 'startup-error':
      return typeof value.message === 'string' ? { type: 'startup-error', message: value.message } : null;
    case 'recording':
      return typeof value.enabled === 'boolean' && typeof value.supported === 'boolean'
        ? { type: 'recording', enabled: value.enabled, supported: value.supported }
        : null;
    case 'shutdown-complete':
      return { type: 'shutdown-complete' };
    default:
      return null;
  }
}

/** Per-server state shared by the route handlers (no module-level state). */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { PromptCache } from './cache.ts';
import type { IdSource } from './rng.ts';
import type { RetryCounter, ScriptQueue } from './scenario.ts';
import type { LedgerEntry, RecordedRequest } from './types.ts';
import type { AuthKind, HeaderContext } from './headers.ts';

export interface ServerState {
  seed: number;
  gzip: boolean;
  pingIntervalMs: number;
  ids: IdSource;
  organizationId: string;
  cache: PromptCache;
  script: ScriptQueue;
  retries: RetryCounter;
  betas: ReadonlySet<string>;
  requests: RecordedRequest[];
  ledger: LedgerEntry[];
  /** Called whenever a ledger entry is appended (waiters). */
  onLedger: Set<() => void>;
  /** Stops for in-flight responses (server close). */
  active: Set<() => void>;
}

/** One inbound API request after its body was read. */
export interface Exchange {
  req: IncomingMessage;
  res: ServerResponse;
  requestId: string;
  path: string;
  body: Buffer;
  bodyBytes: number;
  startedAt: number;
  auth: AuthKind;
}

export function headerContext(state: ServerState, ex: Exchange): HeaderContext {
  return { requestId: ex.requestId, organizationId: state.organizationId, cfRay: state.ids.cfRay(), auth: ex.auth, now: Date.now() };
}

export function addLedger(state: ServerState, entry: LedgerEntry): void {
  state.ledger.push(entry);
  for (const fn of state.onLedger) fn();
}

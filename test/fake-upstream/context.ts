/** Per-server state shared by the route handlers (no module-level state). */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { PromptCache } from './cache.ts';
import type { IdSource } from './rng.ts';
import type { RetryCounter, ScriptQueue } from './scenario.ts';
import type { LedgerEntry, RecordedRequest } from './types.ts';
import type { AuthKind, HeaderContext } from './headers.ts';
import type { PlanLimits } from './plan-limits.ts';

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
  /** Subscription plan limits (unified headers, 429 at 100 %). */
  plan: PlanLimits;
  /** Credential hash per request id, until its ledger entry books the usage against the plan. */
  credentialOf: Map<string, string>;
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
  /** Short hash of the credential once validated. */
  credential?: string;
}

/** Whether this exchange gets the unified plan-limit headers. */
export function planApplies(state: ServerState, ex: Exchange): boolean {
  return ex.credential !== undefined && (ex.auth === 'oauth' || (state.plan.appliesTo === 'all' && ex.auth !== 'none'));
}

export function headerContext(state: ServerState, ex: Exchange): HeaderContext {
  const ctx: HeaderContext = { requestId: ex.requestId, organizationId: state.organizationId, cfRay: state.ids.cfRay(), auth: ex.auth, now: Date.now() };
  if (planApplies(state, ex)) ctx.unified = state.plan.headers(ex.credential!);
  return ctx;
}

export function addLedger(state: ServerState, entry: LedgerEntry): void {
  state.ledger.push(entry);
  const credential = state.credentialOf.get(entry.requestId);
  if (credential !== undefined) {
    state.credentialOf.delete(entry.requestId);
    state.plan.book(credential, entry.model ?? entry.modelRequested, entry.usage);
  }
  for (const fn of state.onLedger) fn();
}

/** Admin routes under /__mock (never recorded): requests, ledger, reset, script, clock. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ServerState } from './context.ts';
import type { Scenario } from './types.ts';

export interface AdminHooks {
  reset(): void;
  advanceClock(ms: number): number;
}

function json(res: ServerResponse, status: number, value: unknown): void {
  const body = Buffer.from(JSON.stringify(value), 'utf8');
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(body.length) });
  res.end(body);
}

function isScenario(v: unknown): v is Scenario {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Returns false when the path is not an admin route. */
export function handleAdmin(state: ServerState, hooks: AdminHooks, req: IncomingMessage, res: ServerResponse, path: string, body: Buffer): boolean {
  const route = `${req.method} ${path}`;
  let parsed: unknown = undefined;
  if (req.method === 'POST' && body.length > 0) {
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch (e) {
      json(res, 400, { error: `invalid JSON: ${(e as Error).message}` });
      return true;
    }
  }
  switch (route) {
    case 'GET /__mock/requests':
      json(res, 200, state.requests);
      return true;
    case 'GET /__mock/ledger':
      json(res, 200, state.ledger);
      return true;
    case 'POST /__mock/reset':
      hooks.reset();
      json(res, 200, { ok: true });
      return true;
    case 'POST /__mock/script': {
      const list = Array.isArray(parsed) ? parsed : [parsed];
      if (!list.every(isScenario)) {
        json(res, 400, { error: 'body must be a scenario object or an array of them' });
        return true;
      }
      state.script.push(list);
      json(res, 200, { ok: true, pending: state.script.pending() });
      return true;
    }
    case 'POST /__mock/clock': {
      const ms = (parsed as { ms?: unknown } | undefined)?.ms;
      if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) {
        json(res, 400, { error: 'body must be {"ms": <non-negative number>}' });
        return true;
      }
      json(res, 200, { now: hooks.advanceClock(ms) });
      return true;
    }
    case 'POST /__mock/plan': {
      // {"window":"5h","utilization":0.9[,"credential":"<hash>"]}: set a plan-limit window's utilization.
      const p = parsed as { window?: unknown; utilization?: unknown; credential?: unknown } | undefined;
      const windows = ['5h', '7d', '7d_sonnet'] as const;
      const w = windows.find((x) => x === p?.window);
      if (!w || typeof p?.utilization !== 'number' || !(p.utilization >= 0) || (p.credential !== undefined && typeof p.credential !== 'string')) {
        json(res, 400, { error: 'body must be {"window": "5h"|"7d"|"7d_sonnet", "utilization": <number ≥ 0>, "credential"?: <hash>}' });
        return true;
      }
      state.plan.setUtilization(w, p.utilization, p.credential as string | undefined);
      json(res, 200, { ok: true });
      return true;
    }
    default:
      return false;
  }
}

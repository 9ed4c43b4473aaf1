/** The SSE answer of /v1/messages (§9.6) with the failure scenarios of §9.7. */
import { addLedger, headerContext, type Exchange, type ServerState } from './context.ts';
import { accumulateUsage, type Plan } from './generate.ts';
import { baseHeaders, flat } from './headers.ts';
import { sleepUnlessClosed, useGzip, waitForClose } from './respond.ts';
import { makeRng, randInt } from './rng.ts';
import { formatEvent, WireWriter, type EventFormat } from './sse.ts';
import type { Completion, LedgerEntry, Scenario } from './types.ts';

type Json = Record<string, unknown>;
type FaultKind = 'midError' | 'truncate' | 'cut' | 'stallAfter';

function faultOf(sc: Scenario): { kind: FaultKind; n: number } | null {
  for (const kind of ['midError', 'truncate', 'cut', 'stallAfter'] as const) {
    const n = sc[kind];
    if (n !== undefined) return { kind, n };
  }
  return null;
}

export async function streamPlan(state: ServerState, ex: Exchange, plan: Plan, sc: Scenario, entry: LedgerEntry): Promise<void> {
  const { res } = ex;
  const rng = makeRng('wire', state.seed, ex.requestId);
  const pad = sc.pad ?? true;
  const fmt: EventFormat = {
    compact: sc.compact ?? true,
    pad: () => (pad === false ? 0 : pad === true ? randInt(rng, 1, 16) : pad),
  };
  const gzip = useGzip(state, ex, sc.gzip);
  const h = baseHeaders(headerContext(state, ex));
  h.push(['content-type', 'text/event-stream; charset=utf-8'], ['cache-control', 'no-cache']);
  if (gzip) h.push(['content-encoding', 'gzip'], ['vary', 'Accept-Encoding']);
  res.writeHead(200, flat(h));
  res.flushHeaders();
  const writer = new WireWriter(res, { gzip, chunking: sc.chunking ?? 'event', rng });

  let seenStart = false;
  let seenDelta = false;
  let emitted = 0;
  let deltas = 0;
  let chain: Promise<void> = Promise.resolve();
  let pingTimer: NodeJS.Timeout | undefined;
  let pingsOn = state.pingIntervalMs > 0;
  const stop = (): void => {
    res.destroy();
  };
  state.active.add(stop);

  const armPing = (): void => {
    clearTimeout(pingTimer);
    if (!pingsOn || writer.gone) return;
    pingTimer = setTimeout(() => {
      chain = chain.then(() => writer.send(formatEvent('ping', { type: 'ping' }, fmt))).then(() => writer.flush());
      armPing();
    }, state.pingIntervalMs);
  };
  const emit = (type: string, data: Json): Promise<void> => {
    chain = chain.then(() => writer.send(formatEvent(type, data, fmt)));
    armPing();
    return chain;
  };
  const finish = (status: Completion): void => {
    clearTimeout(pingTimer);
    pingsOn = false;
    state.active.delete(stop);
    writer.dispose();
    const usage = seenStart ? accumulateUsage(plan.startUsage, seenDelta ? plan.deltaUsage : null) : null;
    addLedger(state, { ...entry, status, usage, emittedOutputTokens: emitted, endedAt: Date.now() });
  };
  /** Pause between events; false when the client went away. */
  const gap = async (): Promise<boolean> => (sc.gapMs ? sleepUnlessClosed(res, sc.gapMs) : !writer.gone);

  const fault = faultOf(sc);
  let faulted = false;
  const trigger = async (): Promise<Completion> => {
    faulted = true;
    await chain;
    switch (fault!.kind) {
      case 'midError':
        await emit('error', { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } });
        await writer.end();
        return 'error_event';
      case 'truncate':
        await writer.end();
        return 'truncated';
      case 'cut':
        await writer.cut();
        return 'cut';
      case 'stallAfter':
        await writer.flush();
        if (sc.pings === false) {
          pingsOn = false;
          clearTimeout(pingTimer);
        }
        state.active.delete(stop);
        return waitForClose(state, ex);
    }
  };

  try {
    await emit('message_start', { type: 'message_start', message: { model: plan.model, id: plan.messageId, type: 'message', role: 'assistant', content: [], stop_reason: null, stop_sequence: null, stop_details: null, usage: plan.startUsage } });
    seenStart = true;
    if (fault?.n === 0) return finish(await trigger());
    for (const [index, block] of plan.blocks.entries()) {
      if (!(await gap())) return finish('client_aborted');
      await emit('content_block_start', { type: 'content_block_start', index, content_block: block.start });
      if (index === 0) await emit('ping', { type: 'ping' });
      for (const d of block.deltas) {
        if (!(await gap())) return finish('client_aborted');
        await emit('content_block_delta', { type: 'content_block_delta', index, delta: d.delta });
        if (writer.gone) return finish('client_aborted');
        emitted += d.tokens;
        deltas++;
        if (fault && deltas === fault.n) return finish(await trigger());
      }
      if (!(await gap())) return finish('client_aborted');
      await emit('content_block_stop', { type: 'content_block_stop', index });
    }
    if (!(await gap())) return finish('client_aborted');
    await emit('message_delta', { type: 'message_delta', delta: { stop_reason: plan.stopReason, stop_sequence: null, stop_details: null }, usage: plan.deltaUsage });
    if (writer.gone) return finish('client_aborted');
    seenDelta = true;
    if (fault && !faulted) return finish(await trigger());
    if (!(await gap())) return finish('client_aborted');
    await emit('message_stop', { type: 'message_stop' });
    await writer.end();
    finish(res.writableFinished ? 'complete' : 'client_aborted');
  } catch {
    finish(writer.gone ? 'client_aborted' : 'cut');
  }
}

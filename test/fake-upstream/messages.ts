/** POST /v1/messages: body validation, scenario selection, cache accounting, JSON or SSE answer. */
import { errorFor, STATUS_ERRORS } from './catalog.ts';
import { addLedger, headerContext, type Exchange, type ServerState } from './context.ts';
import { messageBody, planMessage, type Plan } from './generate.ts';
import { baseHeaders, flat } from './headers.ts';
import { sendError, sleepUnlessClosed, useGzip, sendBody, waitForClose } from './respond.ts';
import { parseScenarioHeader, scenarioFromModel } from './scenario.ts';
import { streamPlan } from './stream.ts';
import { renderPrompt, ttlOrderViolated } from './tokens.ts';
import type { Completion, LedgerEntry, Scenario } from './types.ts';
import { isApiErr, validateMessagesBody, type ApiErr } from './validate.ts';

type Json = Record<string, unknown>;

export function ledgerBase(ex: Exchange, modelRequested: string | null, stream: boolean): LedgerEntry {
  return {
    requestId: ex.requestId,
    messageId: null,
    model: null,
    modelRequested,
    path: ex.path,
    stream,
    httpStatus: 0,
    status: 'error_status',
    usage: null,
    emittedOutputTokens: 0,
    plannedUsage: null,
    errorType: null,
    auth: ex.auth,
    startedAt: ex.startedAt,
    endedAt: 0,
  };
}

/** Answer an error status and book it (billable endpoints). */
export function failBillable(state: ServerState, ex: Exchange, err: ApiErr, model: string | null, stream: boolean, retryAfter?: number): void {
  const opts = retryAfter === undefined ? {} : { retryAfter };
  sendError(state, ex, err.status, err.type, err.message, opts);
  addLedger(state, { ...ledgerBase(ex, model, stream), httpStatus: err.status, status: 'error_status', errorType: err.type, endedAt: Date.now() });
}

/** Queued script, else `x-mock-scenario`, else model keywords. Returns the scenario and its source key. */
export function selectScenario(state: ServerState, ex: Exchange, model: string | null, billable: boolean): { sc: Scenario; key: string | null } | ApiErr {
  const scripted = state.script.take(ex.path, model, billable);
  if (scripted) return { sc: scripted, key: null };
  const header = ex.req.headers['x-mock-scenario'];
  if (typeof header === 'string' && header.trim() !== '') {
    try {
      return { sc: parseScenarioHeader(header), key: `h:${header}` };
    } catch (e) {
      return { status: 400, type: 'invalid_request_error', message: (e as Error).message };
    }
  }
  const fromModel = model ? scenarioFromModel(model) : null;
  return fromModel ? { sc: fromModel, key: `m:${model}` } : { sc: {}, key: null };
}

/** Scenario status (incl. retry_then_ok for header/model scenarios), or null to proceed. */
export function scenarioStatus(state: ServerState, sc: Scenario, key: string | null, bodySha: string): { err: ApiErr; retryAfter?: number } | null {
  let status = sc.status;
  if (status === undefined && sc.retryThenOk && key) {
    if (state.retries.next(`${key}|${bodySha}`) < sc.retryThenOk) status = sc.retryStatus ?? 529;
  }
  if (status === undefined) return null;
  const spec = errorFor(status);
  const err: ApiErr = { status, type: sc.errorType ?? spec.type, message: sc.errorMessage ?? spec.message };
  const retryAfter = sc.retryAfter ?? (status === 429 ? 15 : undefined);
  return retryAfter === undefined ? { err } : { err, retryAfter };
}

export async function handleMessages(state: ServerState, ex: Exchange, body: Json, betas: string[], credential: string, bodySha: string): Promise<void> {
  const stream = body.stream === true;
  const modelRequested = typeof body.model === 'string' ? body.model : null;
  const check = validateMessagesBody(body, betas, true);
  if (isApiErr(check)) return failBillable(state, ex, check, modelRequested, stream);
  const prompt = renderPrompt(body);
  if (ttlOrderViolated(prompt)) {
    const err = { status: 400, type: 'invalid_request_error', message: "A cache_control TTL of '1h' must not come after a cache_control TTL of '5m'. Place longer-lived cache breakpoints first." };
    return failBillable(state, ex, err, modelRequested, stream);
  }
  const picked = selectScenario(state, ex, modelRequested, true);
  if (isApiErr(picked)) return failBillable(state, ex, picked, modelRequested, stream);
  const { sc, key } = picked;
  const ledger = ledgerBase(ex, modelRequested, stream);
  if (sc.ttfbMs && !(await sleepUnlessClosed(ex.res, sc.ttfbMs))) {
    return addLedger(state, { ...ledger, status: 'client_aborted', endedAt: Date.now() });
  }
  const failure = scenarioStatus(state, sc, key, bodySha);
  if (failure) return failBillable(state, ex, failure.err, modelRequested, stream, failure.retryAfter);

  const responseModel = sc.responseModel || check.model.id;
  const { stream: _s, ...rest } = body;
  const plan = planMessage({
    body,
    requestedModel: modelRequested!,
    responseModel,
    cache: state.cache.apply(credential, responseModel, prompt),
    scenario: sc,
    seed: state.seed,
    canonicalBody: JSON.stringify(rest),
    ids: state.ids,
    fast: check.fast,
    geo: check.geo,
  });
  const entry: LedgerEntry = { ...ledger, messageId: plan.messageId, model: plan.model, httpStatus: 200, plannedUsage: plan.finalUsage };
  if (stream) return streamPlan(state, ex, plan, sc, entry);
  return answerJson(state, ex, plan, sc, entry);
}

async function answerJson(state: ServerState, ex: Exchange, plan: Plan, sc: Scenario, entry: LedgerEntry): Promise<void> {
  const done = (status: Completion, usage: LedgerEntry['usage'], emitted: number): void =>
    addLedger(state, { ...entry, status, usage, emittedOutputTokens: emitted, endedAt: Date.now() });
  if (sc.midError !== undefined) {
    const spec = STATUS_ERRORS[529]!;
    sendError(state, ex, 529, spec.type, spec.message);
    return addLedger(state, { ...entry, httpStatus: 529, status: 'error_status', errorType: spec.type, endedAt: Date.now() });
  }
  if (sc.stallAfter !== undefined) {
    const why = await waitForClose(state, ex);
    return done(why, null, 0);
  }
  const json = Buffer.from(JSON.stringify(messageBody(plan)), 'utf8');
  const gzip = useGzip(state, ex, sc.gzip);
  const h = baseHeaders(headerContext(state, ex));
  h.push(['content-type', 'application/json']);
  if (sc.cut === undefined && sc.truncate === undefined) {
    sendBody(ex.res, 200, h, json, gzip);
    return done('complete', plan.finalUsage, plan.finalUsage.output_tokens);
  }
  // A body that stops half way: chunked, then a clean end (truncate) or a destroyed socket (cut).
  const half = json.subarray(0, Math.floor(json.length / 2));
  ex.res.writeHead(200, flat(h));
  await new Promise<void>((resolve) => ex.res.write(half, () => resolve()));
  if (sc.cut !== undefined) {
    ex.res.destroy();
    return done('cut', null, 0);
  }
  await new Promise<void>((resolve) => ex.res.end(resolve));
  return done('truncated', null, 0);
}

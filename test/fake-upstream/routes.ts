/** The other endpoints: GET /v1/models[/{id}], POST /v1/messages/count_tokens, POST /v1/complete. */
import { MODELS, findModel, type ModelInfo } from './catalog.ts';
import { addLedger, headerContext, type Exchange, type ServerState } from './context.ts';
import { baseHeaders, flat } from './headers.ts';
import { failBillable, ledgerBase, scenarioStatus, selectScenario } from './messages.ts';
import { sendError, sendJson, sleepUnlessClosed, useGzip } from './respond.ts';
import { makeRng } from './rng.ts';
import { WireWriter } from './sse.ts';
import { makeText } from './generate.ts';
import { renderPrompt } from './tokens.ts';
import { isApiErr, validateMessagesBody, type ApiErr } from './validate.ts';

type Json = Record<string, unknown>;

export function modelObject(m: ModelInfo): Json {
  return { type: 'model', id: m.id, display_name: m.displayName, created_at: m.createdAt, max_input_tokens: m.maxInputTokens, max_tokens: m.maxTokens };
}

/** A scripted status for a non-billable route (only entries whose match.path names it). */
export function scriptedFailure(state: ServerState, ex: Exchange): boolean {
  const sc = state.script.take(ex.path, null, false);
  const failure = sc ? scenarioStatus(state, sc, null, '') : null;
  if (!failure) return false;
  sendError(state, ex, failure.err.status, failure.err.type, failure.err.message, failure.retryAfter === undefined ? {} : { retryAfter: failure.retryAfter });
  return true;
}

/** GET /v1/models?limit&before_id&after_id (newest first, limit 1–1000, default 20). */
export function listModels(state: ServerState, ex: Exchange, query: URLSearchParams): void {
  const limitRaw = query.get('limit');
  const limit = limitRaw === null ? 20 : Number(limitRaw);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
    return sendError(state, ex, 400, 'invalid_request_error', 'limit: Input should be less than or equal to 1000');
  }
  let list = [...MODELS];
  const after = query.get('after_id');
  const before = query.get('before_id');
  let hasMore: boolean;
  if (before) {
    const i = list.findIndex((m) => m.id === before);
    list = i < 0 ? [] : list.slice(0, i);
    hasMore = list.length > limit;
    list = list.slice(Math.max(0, list.length - limit));
  } else {
    if (after) {
      const i = list.findIndex((m) => m.id === after);
      list = i < 0 ? [] : list.slice(i + 1);
    }
    hasMore = list.length > limit;
    list = list.slice(0, limit);
  }
  sendJson(state, ex, 200, { data: list.map(modelObject), has_more: hasMore, first_id: list[0]?.id ?? null, last_id: list[list.length - 1]?.id ?? null });
}

export function getModel(state: ServerState, ex: Exchange, id: string): void {
  const m = findModel(id);
  if (!m) return sendError(state, ex, 404, 'not_found_error', `model: ${id}`);
  sendJson(state, ex, 200, modelObject(m));
}

/** POST /v1/messages/count_tokens: total prompt tokens; never touches the cache; not booked. */
export function countTokens(state: ServerState, ex: Exchange, body: Json, betas: string[]): void {
  const check = validateMessagesBody(body, betas, false);
  if (isApiErr(check)) return sendError(state, ex, check.status, check.type, check.message);
  const picked = selectScenario(state, ex, typeof body.model === 'string' ? body.model : null, false);
  if (isApiErr(picked)) return sendError(state, ex, picked.status, picked.type, picked.message);
  const failure = scenarioStatus(state, picked.sc, null, '');
  if (failure) return sendError(state, ex, failure.err.status, failure.err.type, failure.err.message, failure.retryAfter === undefined ? {} : { retryAfter: failure.retryAfter });
  sendJson(state, ex, 200, { input_tokens: renderPrompt(body).total });
}

/** POST /v1/complete: legacy Text Completions, minimal; booked with usage null (no usage object). */
export async function complete(state: ServerState, ex: Exchange, body: Json, bodySha: string): Promise<void> {
  const stream = body.stream === true;
  const model = typeof body.model === 'string' ? body.model : null;
  const invalid = (message: string): ApiErr => ({ status: 400, type: 'invalid_request_error', message });
  if (body.max_tokens_to_sample === undefined) return failBillable(state, ex, invalid('max_tokens_to_sample: Field required'), model, stream);
  if (typeof body.prompt !== 'string') return failBillable(state, ex, invalid('prompt: Field required'), model, stream);
  if (model === null) return failBillable(state, ex, invalid('model: Field required'), model, stream);
  if (!findModel(model)) return failBillable(state, ex, { status: 404, type: 'not_found_error', message: `model: ${model}` }, model, stream);
  const picked = selectScenario(state, ex, model, true);
  if (isApiErr(picked)) return failBillable(state, ex, picked, model, stream);
  const entry = ledgerBase(ex, model, stream);
  if (picked.sc.ttfbMs && !(await sleepUnlessClosed(ex.res, picked.sc.ttfbMs))) {
    return addLedger(state, { ...entry, status: 'client_aborted', endedAt: Date.now() });
  }
  const failure = scenarioStatus(state, picked.sc, picked.key, bodySha);
  if (failure) return failBillable(state, ex, failure.err, model, stream, failure.retryAfter);
  const rng = makeRng('complete', state.seed, bodySha);
  const text = makeText(rng, picked.sc.outputTokens ?? 12);
  const id = `compl_01${state.ids.messageId().slice(8)}`;
  const done = { ...entry, model, httpStatus: 200, status: 'complete' as const, endedAt: Date.now() };
  if (!stream) {
    sendJson(state, ex, 200, { type: 'completion', id, completion: text, stop_reason: 'stop_sequence', model, stop: '\n\nHuman:', log_id: id });
    return addLedger(state, done);
  }
  const gzip = useGzip(state, ex, picked.sc.gzip);
  const h = baseHeaders(headerContext(state, ex));
  h.push(['content-type', 'text/event-stream; charset=utf-8'], ['cache-control', 'no-cache']);
  if (gzip) h.push(['content-encoding', 'gzip'], ['vary', 'Accept-Encoding']);
  ex.res.writeHead(200, flat(h));
  const w = new WireWriter(ex.res, { gzip, chunking: 'event', rng });
  const ev = (data: Json): Promise<void> => w.send(Buffer.from(`event: completion\ndata: ${JSON.stringify(data)}\n\n`));
  await ev({ type: 'completion', id, completion: text, stop_reason: null, model });
  await ev({ type: 'completion', id, completion: '', stop_reason: 'stop_sequence', model });
  await w.end();
  addLedger(state, { ...done, endedAt: Date.now() });
}

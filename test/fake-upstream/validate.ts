/**
 * Request validation in the order of §9.2, with Anthropic's wording. Pure functions: each returns
 * null (valid) or the error to answer.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { findModel, type ModelInfo } from './catalog.ts';
import type { AuthKind } from './headers.ts';
import { countCacheControls } from './tokens.ts';
import { sha256Hex } from './rng.ts';

export interface ApiErr {
  status: number;
  type: string;
  message: string;
}

export const MAX_BODY_BYTES = 32 * 1024 * 1024;

const invalid = (message: string): ApiErr => ({ status: 400, type: 'invalid_request_error', message });
const auth401 = (message: string): ApiErr => ({ status: 401, type: 'authentication_error', message });

export interface AuthInfo {
  kind: AuthKind;
  /** Short hash of the credential (cache key part); never the credential. */
  credential: string;
  betas: string[];
}

function one(h: string | string[] | undefined): string | undefined {
  return Array.isArray(h) ? h.join(', ') : h;
}

/**
 * `2023-06-01` is the documented version; SDK 1.12 sends `2026-10-21`, so any single ISO date from
 * 2023-01-01 on is accepted. Anything else (e.g. a duplicated header joined by ", ") is not.
 */
export function isValidVersion(v: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(v);
  if (!m) return false;
  const d = new Date(`${v}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().startsWith(v) && v >= '2023-01-01';
}

/** Steps 1–3: credentials, anthropic-version, anthropic-beta allow-list. */
export function validateHeaders(headers: IncomingHttpHeaders, allowedBetas: ReadonlySet<string>): AuthInfo | ApiErr {
  const betas = (one(headers['anthropic-beta']) ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  const apiKey = one(headers['x-api-key']);
  const authorization = one(headers.authorization);
  let kind: AuthKind;
  let secret: string;
  if (apiKey !== undefined) {
    if (!apiKey.startsWith('sk-ant-')) return auth401('invalid x-api-key');
    kind = 'api-key';
    secret = apiKey;
  } else if (authorization !== undefined) {
    const m = /^Bearer\s+(.+)$/i.exec(authorization);
    if (!m) return auth401('invalid x-api-key');
    secret = m[1]!.trim();
    if (secret.startsWith('sk-ant-oat')) {
      if (!betas.includes('oauth-2025-04-20')) return auth401('OAuth authentication is currently not supported.');
      kind = 'oauth';
    } else if (secret.startsWith('sk-ant-')) kind = 'bearer';
    else return auth401('invalid x-api-key');
  } else return auth401('x-api-key header is required');

  const version = one(headers['anthropic-version']);
  if (version === undefined) return invalid('anthropic-version: header is required');
  if (!isValidVersion(version)) return invalid(`anthropic-version: "${version}" is not a valid version`);

  const unknown = betas.filter((b) => !allowedBetas.has(b));
  if (unknown.length > 0) {
    return invalid(
      `Unexpected value(s) \`${unknown.join(', ')}\` for the \`anthropic-beta\` header. Please consult our documentation at docs.claude.com or try again without the header.`,
    );
  }
  return { kind, credential: sha256Hex(secret).slice(0, 16), betas };
}

export function isApiErr(x: unknown): x is ApiErr {
  return typeof x === 'object' && x !== null && 'status' in x && 'message' in x;
}

/** Step 4: body size and JSON. */
export function parseBody(bytes: number, body: Buffer): Record<string, unknown> | ApiErr {
  if (bytes > MAX_BODY_BYTES) return { status: 413, type: 'request_too_large', message: 'Request exceeds the maximum allowed number of bytes.' };
  try {
    const v: unknown = JSON.parse(body.toString('utf8'));
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return invalid('The request body is not valid JSON: expected an object');
    return v as Record<string, unknown>;
  } catch (e) {
    return invalid(`The request body is not valid JSON: ${(e as Error).message}`);
  }
}

export interface MessagesCheck {
  model: ModelInfo;
  fast: boolean;
  geo: 'global' | 'us';
}

/** Step 5 for /v1/messages (and count_tokens with `needMaxTokens` false). */
export function validateMessagesBody(body: Record<string, unknown>, betas: string[], needMaxTokens: boolean): MessagesCheck | ApiErr {
  if (needMaxTokens) {
    if (body.max_tokens === undefined) return invalid('max_tokens: Field required');
    if (typeof body.max_tokens !== 'number' || !Number.isInteger(body.max_tokens)) return invalid('max_tokens: Input should be a valid integer');
    if (body.max_tokens < 1) return invalid('max_tokens: Input should be greater than or equal to 1');
  }
  if (body.messages === undefined) return invalid('messages: Field required');
  if (!Array.isArray(body.messages)) return invalid('messages: Input should be a valid list');
  if (body.model === undefined) return invalid('model: Field required');
  if (typeof body.model !== 'string') return invalid('model: Input should be a valid string');
  const model = findModel(body.model);
  if (!model) return { status: 404, type: 'not_found_error', message: `model: ${body.model}` };
  const cc = countCacheControls(body);
  if (cc > 4) return invalid(`A maximum of 4 blocks with cache_control may be provided. Found ${cc}.`);
  const has = (b: string): boolean => betas.includes(b);
  if (body.context_management !== undefined && !has('context-management-2025-06-27')) return invalid('context_management: Extra inputs are not permitted');
  if (body.output_config !== undefined && !has('effort-2025-11-24') && !has('structured-outputs-2025-12-15')) return invalid('output_config: Extra inputs are not permitted');
  if (Array.isArray(body.tools)) {
    for (const [i, t] of body.tools.entries()) {
      if (typeof t !== 'object' || t === null) continue;
      if ('strict' in t && !has('structured-outputs-2025-12-15')) return invalid(`tools.${i}.custom.strict: Extra inputs are not permitted`);
      if ('defer_loading' in t && !has('advanced-tool-use-2025-11-20')) return invalid(`tools.${i}.custom.defer_loading: Extra inputs are not permitted`);
    }
  }
  let fast = false;
  if (body.speed !== undefined) {
    if (!has('fast-mode-2026-02-01')) return invalid('speed: Extra inputs are not permitted');
    if (body.speed === 'fast') {
      if (!model.fast) return invalid(`speed: fast mode is not supported for model ${body.model}`);
      fast = true;
    } else if (body.speed !== 'standard') return invalid("speed: Input should be 'standard' or 'fast'");
  }
  const geo = body.inference_geo === 'us' && model.geo ? 'us' : 'global';
  return { model, fast, geo };
}

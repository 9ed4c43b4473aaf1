/**
 * Facts about a REQUEST, computed once from its headers and body bytes: who sent it (session, agent,
 * client, a hash of the credential), for which project, what it asked for, and whether it can cost money.
 * Never keeps or returns a credential: only a salted, truncated sha256 of it.
 */
import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { topLevelFields } from './json-fields.ts';

export interface Attribution {
  sessionId: string | null;
  agentId: string | null;
  parentAgentId: string | null;
  project: string | null;
  client: string | null;
  credentialId: string | null;
  modelRequested: string | null;
  stream: boolean;
  context1m: boolean;
  billable: boolean;
}

/** The API refuses bodies over 32 MB; past that we do not parse. */
const MAX_PARSE_BYTES = 32 * 1024 * 1024;
/**
 * The members of a request body attribution reads. Bodies up to FULL_PARSE_MAX_BYTES are parsed whole
 * (as fast, for a small body); larger ones — every Claude Code call, which re-sends the conversation — are
 * read with topLevelFields, which steps over `messages` and `tools` instead of building them (2.2 MB with
 * code in its tool results: 0.9 instead of 6.3 ms, `npm run bench:observer`, and none of the garbage).
 * Both give the same values for a valid body (tested).
 */
const BODY_FIELDS: ReadonlySet<string> = new Set(['model', 'stream', 'metadata', 'system']);
const FULL_PARSE_MAX_BYTES = 4096;
const PROJECT_MARKER = 'Primary working directory: ';
/** A path longer than this is not a path we want to store. */
const MAX_PROJECT_CHARS = 4096;
const CREDENTIAL_SALT = 'cco-credential-id-v1\0';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** First value of a header (Node gives arrays for repeated ones), trimmed; null when absent or empty. */
function header(headers: IncomingHttpHeaders, name: string): string | null {
  const v = headers[name];
  const s = (Array.isArray(v) ? v[0] : v)?.trim();
  return s ? s : null;
}

/** `sha256(salt + credential)`, first 12 hex digits: stable across runs, useless for recovering the key. */
export function credentialId(credential: string): string {
  return createHash('sha256').update(CREDENTIAL_SALT).update(credential).digest('hex').slice(0, 12);
}

/**
 * credentialId, remembered per credential: a client sends the same key with every request, and a hash per
 * request was a measurable share of the proxy thread's work. Small and cleared when full, so it stays
 * bounded; it holds credentials only as Map keys, in memory, as the request headers themselves do.
 */
const credentialIds = new Map<string, string>();
const CREDENTIAL_CACHE_SIZE = 64;

function cachedCredentialId(credential: string): string {
  let id = credentialIds.get(credential);
  if (id === undefined) {
    if (credentialIds.size >= CREDENTIAL_CACHE_SIZE) credentialIds.clear();
    id = credentialId(credential);
    credentialIds.set(credential, id);
  }
  return id;
}

function credentialOf(headers: IncomingHttpHeaders): string | null {
  const key = header(headers, 'x-api-key');
  if (key) return key;
  const auth = header(headers, 'authorization');
  if (!auth) return null;
  const m = /^bearer\s+(.+)$/i.exec(auth);
  return m ? m[1]!.trim() : auth;
}

/** `user-agent` → `name/version` (first product token), e.g. `claude-cli/2.1.197 (external, cli)` → `claude-cli/2.1.197`;
 * the SDK's `Anthropic/JS 0.52.0` → `Anthropic/JS 0.52.0` (name/lang plus its separate version token). */
export function clientFamily(userAgent: string | null): string | null {
  if (!userAgent) return null;
  const tokens = userAgent.trim().split(/\s+/);
  let family = tokens[0]!;
  if (!/\/\d/.test(family) && tokens[1] && /^v?\d[\w.+-]*$/.test(tokens[1])) family = `${family} ${tokens[1]}`;
  return family.slice(0, 100);
}

/**
 * Session id from `metadata.user_id`: Claude Code ≥ 2.x sends a JSON string with `session_id`; older
 * builds sent `user_<hash>_account_<uuid>_session_<uuid>`.
 */
export function sessionFromUserId(userId: unknown): string | null {
  if (typeof userId !== 'string' || userId === '') return null;
  if (userId.trimStart().startsWith('{')) {
    try {
      const parsed: unknown = JSON.parse(userId);
      if (isObj(parsed) && typeof parsed.session_id === 'string' && parsed.session_id) return parsed.session_id;
    } catch {
      return null;
    }
    return null;
  }
  const m = /_session_([0-9a-zA-Z-]+)$/.exec(userId);
  return m ? m[1]! : null;
}

/** The path after the marker, up to the end of its line, from text that is already unescaped. */
function projectInText(text: string): string | null {
  const at = text.indexOf(PROJECT_MARKER);
  if (at === -1) return null;
  const from = at + PROJECT_MARKER.length;
  let end = from;
  while (end < text.length && end - from <= MAX_PROJECT_CHARS && text[end] !== '\n' && text[end] !== '\r') end++;
  const path = text.slice(from, end).trim();
  return path && end - from <= MAX_PROJECT_CHARS ? path : null;
}

/** Look in the `system` prompt (string or text blocks) of a parsed body. */
function projectInSystem(system: unknown): string | null {
  if (typeof system === 'string') return projectInText(system);
  if (!Array.isArray(system)) return null;
  for (const block of system) {
    if (isObj(block) && typeof block.text === 'string') {
      const p = projectInText(block.text);
      if (p) return p;
    }
  }
  return null;
}

/**
 * Search the raw JSON bytes for the marker (Buffer.indexOf, no parse) and read the rest of that JSON string
 * line: stop at an escaped `\n`/`\r`, the closing quote or a raw newline; then unescape with JSON.parse.
 */
export function projectInRawBody(body: Buffer): string | null {
  const at = body.indexOf(PROJECT_MARKER);
  if (at === -1) return null;
  const from = at + Buffer.byteLength(PROJECT_MARKER);
  const limit = Math.min(body.length, from + MAX_PROJECT_CHARS * 6);
  let end = from;
  while (end < limit) {
    const b = body[end]!;
    if (b === 0x22 /* " */ || b === 0x0a || b === 0x0d) break;
    if (b === 0x5c /* \ */) {
      const next = body[end + 1];
      if (next === 0x6e /* n */ || next === 0x72 /* r */) break;
      end += 2;
      continue;
    }
    end++;
  }
  if (end >= limit && limit < body.length) return null; // no end of line in reach
  try {
    const path = (JSON.parse(`"${body.subarray(from, Math.min(end, body.length)).toString('utf8')}"`) as string).trim();
    return path && path.length <= MAX_PROJECT_CHARS ? path : null;
  } catch {
    return null;
  }
}

/** `path` up to its query or fragment. */
export function pathOnly(path: string): string {
  const q = path.indexOf('?');
  const h = path.indexOf('#');
  const end = q === -1 ? h : h === -1 ? q : Math.min(q, h);
  return end === -1 ? path : path.slice(0, end);
}

/** POST /v1/messages, /v1/complete and /v1/messages/batches… can cost money; nothing else does. */
export function isBillable(method: string, path: string): boolean {
  if (method !== 'POST' && method.toUpperCase() !== 'POST') return false;
  let p = pathOnly(path);
  if (p.length > 1 && p.endsWith('/')) p = p.slice(0, -1);
  return p === '/v1/messages' || p === '/v1/complete' || p === '/v1/messages/batches' || p.startsWith('/v1/messages/batches/');
}

export function attributeRequest(method: string, path: string, headers: IncomingHttpHeaders, body: Buffer): Attribution {
  let parsed: Obj | null = null;
  const contentType = header(headers, 'content-type')?.toLowerCase() ?? '';
  if (contentType.startsWith('application/json') && body.length > 0 && body.length < MAX_PARSE_BYTES) {
    if (body.length > FULL_PARSE_MAX_BYTES) {
      parsed = topLevelFields(body, BODY_FIELDS);
    } else {
      try {
        const value: unknown = JSON.parse(body.toString('utf8'));
        if (isObj(value)) parsed = value;
      } catch {
        parsed = null;
      }
    }
  }

  const modelRequested = parsed && typeof parsed.model === 'string' ? parsed.model : null;
  const metadata = parsed && isObj(parsed.metadata) ? parsed.metadata : null;
  const sessionId = header(headers, 'x-claude-code-session-id') ?? sessionFromUserId(metadata?.user_id);

  // The system prompt first (a tool result in `messages` may quote the marker), then the raw bytes.
  let project = parsed ? projectInSystem(parsed.system) : null;
  project ??= body.length > 0 ? projectInRawBody(body) : null;
  project ??= header(headers, 'x-cco-project');

  const beta = [headers['anthropic-beta']].flat().join(',');
  const context1m =
    beta.split(',').some((v) => v.trim().toLowerCase().startsWith('context-1m-')) ||
    (modelRequested?.toLowerCase().endsWith('[1m]') ?? false);

  const credential = credentialOf(headers);
  return {
    sessionId,
    agentId: header(headers, 'x-claude-code-agent-id'),
    parentAgentId: header(headers, 'x-claude-code-parent-agent-id'),
    project,
    client: clientFamily(header(headers, 'user-agent')),
    credentialId: credential ? cachedCredentialId(credential) : null,
    modelRequested,
    stream: parsed?.stream === true,
    context1m,
    billable: isBillable(method, path),
  };
}

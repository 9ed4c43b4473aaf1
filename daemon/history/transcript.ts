/**
 * One Claude Code transcript line (`~/.claude/projects/<project>/<session>.jsonl`, and
 * `<session>/subagents/agent-*.jsonl`) → the facts of one API response, or why it is not one.
 *
 * Claude Code writes an `assistant` line per content block of a response, each with the response's
 * `message.id`, the `requestId` (the API's `request-id` header) and the usage known at that moment, so one
 * request appears several times with growing usage ("streaming repeats"); the caller keeps the last.
 * Lines without `message.usage` (user turns, tool results, summaries) are not requests. Model
 * `<synthetic>` marks messages Claude Code made up itself (API errors, interruptions): not requests either.
 */
import type { AnthropicUsage } from '../../shared/contract.ts';
import { collectFields, type Wanted } from '../proxy/json-fields.ts';

export interface TranscriptEntry {
  /** `message.id` (`msg_…`). */
  messageId: string;
  /** `requestId` (`req_…`), the API's request-id; null in old transcripts. */
  requestId: string | null;
  /** `timestamp` as epoch ms. */
  at: number;
  model: string;
  usage: AnthropicUsage;
  sessionId: string | null;
  /** `cwd`: the project directory. */
  project: string | null;
  gitBranch: string | null;
  agentId: string | null;
  isSidechain: boolean;
  /** Claude Code's version (`version`). */
  version: string | null;
}

export type LineVerdict =
  | { kind: 'entry'; entry: TranscriptEntry }
  | { kind: 'skip'; why: 'no-usage' | 'synthetic' | 'no-id' }
  | { kind: 'malformed'; why: string };

const USAGE_KEY = Buffer.from('"usage"');
type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

/**
 * Whether a raw line can hold usage at all. Lines without the bytes `"usage"` (most of a transcript by
 * size: tool results, file contents) are passed over without decoding or parsing them.
 */
export function mayHoldUsage(line: Buffer): boolean {
  return line.indexOf(USAGE_KEY) !== -1;
}

function numberOrNull(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

/** The usage object, with only the members CCO reads (a transcript may carry more). */
function readUsage(u: Obj): AnthropicUsage {
  const usage: AnthropicUsage = {
    input_tokens: numberOrNull(u.input_tokens),
    cache_creation_input_tokens: numberOrNull(u.cache_creation_input_tokens),
    cache_read_input_tokens: numberOrNull(u.cache_read_input_tokens),
    output_tokens: numberOrNull(u.output_tokens),
  };
  if (isObj(u.cache_creation)) {
    usage.cache_creation = {
      ephemeral_5m_input_tokens: numberOrNull(u.cache_creation.ephemeral_5m_input_tokens),
      ephemeral_1h_input_tokens: numberOrNull(u.cache_creation.ephemeral_1h_input_tokens),
    };
  }
  if (isObj(u.server_tool_use)) {
    usage.server_tool_use = {
      web_search_requests: numberOrNull(u.server_tool_use.web_search_requests),
      web_fetch_requests: numberOrNull(u.server_tool_use.web_fetch_requests),
    };
  }
  if (isObj(u.output_tokens_details)) usage.output_tokens_details = { thinking_tokens: numberOrNull(u.output_tokens_details.thinking_tokens) };
  if (typeof u.service_tier === 'string') usage.service_tier = u.service_tier;
  if (typeof u.inference_geo === 'string') usage.inference_geo = u.inference_geo;
  if (typeof u.speed === 'string') usage.speed = u.speed;
  return usage;
}

/**
 * What a line's scan collects: the top-level fields, and inside `message` (in the same pass) its usage, model
 * and id. Reused from line to line (the scan clears them); lines are parsed one at a time.
 */
const MESSAGE: Wanted = { keys: new Set(['usage', 'model', 'id']), found: new Map() };
const LINE: Wanted = {
  keys: new Set(['message', 'timestamp', 'requestId', 'sessionId', 'cwd', 'gitBranch', 'agentId', 'isSidechain', 'version']),
  found: new Map(),
  inside: { key: 'message', wanted: MESSAGE },
};
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJ = 0x7b;

/** Thrown by the value readers for a wanted value that is not valid JSON (the line is malformed). */
class BadValue extends Error {}

/** A string value (its bytes at [s, e), quotes included) as JSON.parse gives it; null for another type or ''. */
function strAt(b: Buffer, r: [number, number] | undefined): string | null {
  if (r === undefined) return null;
  const [s, e] = r;
  if (b[s] !== QUOTE) {
    parseAt(b, r); // a number, object, … (checked, as JSON.parse of the whole line would) is not a string
    return null;
  }
  if (e - s === 2) return null;
  for (let k = s + 1; k < e - 1; k++) if (b[k] === BACKSLASH) return str(parseAt(b, r));
  return b.toString('utf8', s + 1, e - 1); // no escapes: the string is its bytes
}

function parseAt(b: Buffer, [s, e]: [number, number]): unknown {
  try {
    return JSON.parse(b.toString('utf8', s, e));
  } catch (err) {
    throw new BadValue((err as Error).message.slice(0, 200));
  }
}

/**
 * Lines at least this long are scanned, shorter ones parsed whole. JSON.parse of a short, string-dense line
 * (an assistant line of a few hundred bytes: ids, a short text block, usage) is faster than any JavaScript
 * scan of it (4.4 µs against 7.4 µs for an 860-byte line); from ~5 KB on (thinking blocks, tool inputs,
 * long text) the scan wins and keeps winning: 21 against 33 µs at 17 KB, 34 against 675 µs at 260 KB, and
 * a 10 MB line is never decoded into a string.
 */
const SCAN_FROM_BYTES = 4096;

/**
 * Parses one line (UTF-8 bytes, without its newline). A line of SCAN_FROM_BYTES or more is not parsed
 * whole: a depth-aware scan (json-fields.ts; strings crossed with indexOf) finds the top-level fields and,
 * in the same pass, `usage`, `model` and `id` inside `message`; only `usage` goes through JSON.parse, and
 * the rest (message content: most of the line) is stepped over, never decoded. Both ways give the same
 * verdict for a valid line. A line whose structure is broken (cut mid-write, not an object) or whose wanted
 * values are not valid JSON is malformed; a long line's invalid JSON deep inside the content it skips is
 * not looked at.
 */
export function parseTranscriptLine(line: Buffer): LineVerdict {
  if (!mayHoldUsage(line)) return { kind: 'skip', why: 'no-usage' };
  return line.length < SCAN_FROM_BYTES ? parseWhole(line) : scanLine(line);
}

function parseWhole(line: Buffer): LineVerdict {
  let value: unknown;
  try {
    value = JSON.parse(line.toString('utf8'));
  } catch (err) {
    return { kind: 'malformed', why: (err as Error).message.slice(0, 200) };
  }
  if (!isObj(value)) return { kind: 'malformed', why: 'not a JSON object' };
  const message = value.message;
  if (!isObj(message) || !isObj(message.usage)) return { kind: 'skip', why: 'no-usage' };
  const model = str(message.model);
  if (model === '<synthetic>') return { kind: 'skip', why: 'synthetic' };
  const messageId = str(message.id);
  const at = typeof value.timestamp === 'string' ? Date.parse(value.timestamp) : NaN;
  if (messageId === null || model === null) return { kind: 'skip', why: 'no-id' };
  if (!Number.isFinite(at)) return { kind: 'malformed', why: 'missing or invalid timestamp' };
  return {
    kind: 'entry',
    entry: {
      messageId,
      requestId: str(value.requestId),
      at,
      model,
      usage: readUsage(message.usage),
      sessionId: str(value.sessionId),
      project: str(value.cwd),
      gitBranch: str(value.gitBranch),
      agentId: str(value.agentId),
      isSidechain: value.isSidechain === true,
      version: str(value.version),
    },
  };
}

/** Exported for the tests (both ways must agree on every valid line); parseTranscriptLine picks one. */
export { parseWhole as parseLineWhole, scanLine as parseLineScanned };

function scanLine(line: Buffer): LineVerdict {
  if (!mayHoldUsage(line)) return { kind: 'skip', why: 'no-usage' };
  if (!collectFields(line, LINE)) return { kind: 'malformed', why: 'not a JSON object, or cut short' };
  const top = LINE.found;
  const inner = MESSAGE.found;
  try {
    const m = top.get('message');
    if (m === undefined || line[m[0]] !== OPEN_OBJ) {
      if (m !== undefined) parseAt(line, m);
      return { kind: 'skip', why: 'no-usage' };
    }
    const u = inner.get('usage');
    const usage = u === undefined ? undefined : parseAt(line, u);
    const model = strAt(line, inner.get('model'));
    const messageId = strAt(line, inner.get('id'));
    const ts = top.get('timestamp');
    const timestamp = ts === undefined ? undefined : parseAt(line, ts);
    const requestId = strAt(line, top.get('requestId'));
    const sessionId = strAt(line, top.get('sessionId'));
    const project = strAt(line, top.get('cwd'));
    const gitBranch = strAt(line, top.get('gitBranch'));
    const agentId = strAt(line, top.get('agentId'));
    const version = strAt(line, top.get('version'));
    const sc = top.get('isSidechain');
    const isSidechain = sc === undefined ? false : parseAt(line, sc) === true;
    if (!isObj(usage)) return { kind: 'skip', why: 'no-usage' };
    if (model === '<synthetic>') return { kind: 'skip', why: 'synthetic' };
    const at = typeof timestamp === 'string' ? Date.parse(timestamp) : NaN;
    if (messageId === null || model === null) return { kind: 'skip', why: 'no-id' };
    if (!Number.isFinite(at)) return { kind: 'malformed', why: 'missing or invalid timestamp' };
    return {
      kind: 'entry',
      entry: { messageId, requestId, at, model, usage: readUsage(usage), sessionId, project, gitBranch, agentId, isSidechain, version },
    };
  } catch (err) {
    if (err instanceof BadValue) return { kind: 'malformed', why: err.message };
    throw err;
  }
}

/** The de-duplication key of a response: message id + request id. */
export function entryKey(e: Pick<TranscriptEntry, 'messageId' | 'requestId'>): string {
  return `${e.messageId}:${e.requestId ?? ''}`;
}

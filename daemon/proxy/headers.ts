/**
 * Header handling for the forwarding path. Works on Node's `rawHeaders` arrays ([name, value, name, value…])
 * so order, casing and duplicates reach the upstream exactly as the client sent them.
 */

/** RFC 9110 §7.6.1 connection-specific headers, plus `host` (rewritten for the upstream). */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/** Names listed in `Connection:` are hop-by-hop too. */
function connectionListed(raw: readonly string[]): Set<string> {
  const listed = new Set<string>();
  for (let i = 0; i < raw.length; i += 2) {
    const header = raw[i]!;
    // (the length test spares a lowercase copy of every other header name on the hot path)
    if (header.length === 10 && header.toLowerCase() === 'connection') {
      for (const token of raw[i + 1]!.split(',')) {
        const name = token.trim().toLowerCase();
        if (name) listed.add(name);
      }
    }
  }
  return listed;
}

function filterRaw(raw: readonly string[], alsoDrop: ReadonlySet<string>): string[] {
  const listed = connectionListed(raw);
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const lower = raw[i]!.toLowerCase();
    if (HOP_BY_HOP.has(lower) || listed.has(lower) || alsoDrop.has(lower)) continue;
    out.push(raw[i]!, raw[i + 1]!);
  }
  return out;
}

const DROP_FOR_UPSTREAM = new Set(['host']);
const DROP_NONE = new Set<string>();

export interface UpstreamHeaderOptions {
  /** `host[:port]` of the upstream, sent as the one rewritten header. */
  upstreamHost: string;
  /** Credential to add as `x-api-key` when the client sent neither `x-api-key` nor `authorization`. */
  apiKey?: string | undefined;
}

/** Client request headers → upstream request headers (raw array). */
export function upstreamRequestHeaders(raw: readonly string[], opts: UpstreamHeaderOptions): string[] {
  const out = filterRaw(raw, DROP_FOR_UPSTREAM);
  out.unshift('Host', opts.upstreamHost);
  if (opts.apiKey && !hasCredential(raw)) out.push('x-api-key', opts.apiKey);
  return out;
}

/** Upstream response headers → client response headers (raw array). */
export function clientResponseHeaders(raw: readonly string[]): string[] {
  return filterRaw(raw, DROP_NONE);
}

export function hasCredential(raw: readonly string[]): boolean {
  for (let i = 0; i < raw.length; i += 2) {
    const lower = raw[i]!.toLowerCase();
    if (lower === 'x-api-key' || lower === 'authorization') return true;
  }
  return false;
}

/** First value of a header in a raw array (case-insensitive), or undefined. */
export function rawHeader(raw: readonly string[], name: string): string | undefined {
  const want = name.toLowerCase();
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i]!.toLowerCase() === want) return raw[i + 1];
  }
  return undefined;
}

/** What the forwarding path reads from an upstream response's head. */
export interface ResponseHeadFacts {
  requestId: string | undefined;
  contentType: string | undefined;
  contentEncoding: string | undefined;
  contentLength: string | undefined;
  cacheControl: string | undefined;
}

/**
 * The values Node's `IncomingMessage.headers` would give for the five headers the proxy reads (duplicates
 * joined with ", ", except content-type and content-length, where the first counts), read straight from the
 * raw array: touching `headers` builds the whole object (every rate-limit header included) for each response.
 */
export function responseHeadFacts(raw: readonly string[]): ResponseHeadFacts {
  const facts: ResponseHeadFacts = { requestId: undefined, contentType: undefined, contentEncoding: undefined, contentLength: undefined, cacheControl: undefined };
  const join = (prev: string | undefined, v: string) => (prev === undefined ? v : `${prev}, ${v}`);
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!;
    const n = name.length;
    if (n !== 10 && n !== 12 && n !== 13 && n !== 14 && n !== 16) continue;
    const lower = name.toLowerCase();
    const v = raw[i + 1]!;
    if (lower === 'request-id') facts.requestId = join(facts.requestId, v);
    else if (lower === 'content-type') facts.contentType ??= v;
    else if (lower === 'content-encoding') facts.contentEncoding = join(facts.contentEncoding, v);
    else if (lower === 'content-length') facts.contentLength ??= v;
    else if (lower === 'cache-control') facts.cacheControl = join(facts.cacheControl, v);
  }
  return facts;
}

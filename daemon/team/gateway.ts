/**
 * Central gateway mode: in front of the proxy, when CCO listens beyond loopback. Every proxied request must
 * carry a valid per-user token in `x-cco-token`; without one it gets a 401 in the Anthropic error envelope
 * and is never forwarded (so it is never given a stored key either). With one, the header is removed before
 * the request is forwarded (the upstream never sees it) and the request is attributed to the token's user.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { TOKEN_HEADER } from './users.ts';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** Removes every `x-cco-token` header from the raw and parsed headers; returns the first value. */
export function takeToken(req: IncomingMessage): string | null {
  let token: string | null = null;
  const raw = req.rawHeaders;
  for (let i = raw.length - 2; i >= 0; i -= 2) {
    if (raw[i]!.toLowerCase() === TOKEN_HEADER) {
      token = raw[i + 1]!.trim();
      raw.splice(i, 2);
    }
  }
  delete req.headers[TOKEN_HEADER];
  return token;
}

function unauthorized(res: ServerResponse, message: string): void {
  const body = JSON.stringify({ type: 'error', error: { type: 'authentication_error', message } });
  res.writeHead(401, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/**
 * Wraps the proxy: checks the token, strips it, remembers the user for `userOf(req)`. `required` = the
 * daemon listens beyond loopback (on loopback a token is optional: when one is sent it still attributes).
 */
export function createGateway(opts: {
  proxy: Handler;
  userOfToken: (token: string) => string | null;
  required: boolean;
}): { handler: Handler; userOf: (req: IncomingMessage) => string | null } {
  const users = new WeakMap<IncomingMessage, string>();
  const handler: Handler = (req, res) => {
    const token = takeToken(req);
    const user = token ? opts.userOfToken(token) : null;
    if (token && !user) {
      req.resume();
      return unauthorized(res, `CCO: the ${TOKEN_HEADER} token is not valid (ask for one: cco users add NAME)`);
    }
    if (!user && opts.required) {
      req.resume();
      return unauthorized(res, `CCO: this gateway needs a per-user token: set ANTHROPIC_CUSTOM_HEADERS="${TOKEN_HEADER}: <token>" (cco users add NAME prints one)`);
    }
    if (user) users.set(req, user);
    opts.proxy(req, res);
  };
  return { handler, userOf: (req) => users.get(req) ?? null };
}

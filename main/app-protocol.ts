/**
 * The `app://cco/` protocol that serves the built renderer (instead of file://, so the
 * grantFileProtocolExtraPrivileges fuse can stay off). GET/HEAD only, exact host, and a path-traversal
 * guard: nothing outside the renderer folder is ever read (403). Unknown extension-less paths fall back to
 * index.html (client-side routes). The handler is a plain `(Request) => Promise<Response>`, so it runs in
 * Node tests; main/index.ts passes it to `protocol.handle('app', …)`.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { contentSecurityPolicy } from './security.ts';

export const APP_SCHEME = 'app';
export const APP_HOST = 'cco';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;

export type AppResolution = { ok: true; file: string } | { ok: false; status: 400 | 403 | 404 | 405 };

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.wasm': 'application/wasm',
  '.map': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
};

export function contentType(file: string): string {
  return TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
}

/** Maps an app:// request to a file inside `root`, or the status to answer with. Pure. */
export function resolveAppRequest(root: string, method: string, rawUrl: string, pathImpl: path.PlatformPath = path): AppResolution {
  if (method !== 'GET' && method !== 'HEAD') return { ok: false, status: 405 };
  let url: URL;
  try {
    url = new URL(rawUrl);
  } catch {
    return { ok: false, status: 400 };
  }
  if (url.protocol !== `${APP_SCHEME}:` || url.host !== APP_HOST || url.username || url.password || url.port) {
    return { ok: false, status: 403 };
  }
  let decoded: string;
  try {
    decoded = decodeURIComponent(url.pathname);
  } catch {
    return { ok: false, status: 400 };
  }
  if (decoded.includes('\0')) return { ok: false, status: 400 };
  // Backslashes are separators on Windows: treat them as such everywhere so tests catch `..\`.
  const parts = decoded.replace(/\\/g, '/').split('/').filter((p) => p !== '' && p !== '.');
  if (parts.some((p) => p === '..' || /^[a-zA-Z]:$/.test(p))) return { ok: false, status: 403 };
  if (parts.length === 0) parts.push('index.html');
  else if (!pathImpl.extname(parts[parts.length - 1]!)) return { ok: true, file: pathImpl.join(root, 'index.html') };
  const resolvedRoot = pathImpl.resolve(root);
  const file = pathImpl.resolve(resolvedRoot, ...parts);
  const rel = pathImpl.relative(resolvedRoot, file);
  if (rel === '' || rel.startsWith('..') || pathImpl.isAbsolute(rel)) return { ok: false, status: 403 };
  return { ok: true, file };
}

/** `protocol.handle('app', createAppProtocolHandler(rendererDir))`. */
export function createAppProtocolHandler(root: string): (request: Request) => Promise<Response> {
  const csp = contentSecurityPolicy();
  return async (request) => {
    const r = resolveAppRequest(root, request.method, request.url);
    if (!r.ok) return new Response(null, { status: r.status });
    // Symlinks must not lead out of the root either.
    let real: string;
    try {
      real = await fs.realpath(r.file);
    } catch {
      return new Response(null, { status: 404 });
    }
    const realRoot = await fs.realpath(root).catch(() => path.resolve(root));
    const rel = path.relative(realRoot, real);
    if (rel.startsWith('..') || path.isAbsolute(rel)) return new Response(null, { status: 403 });
    try {
      const body = request.method === 'HEAD' ? null : await fs.readFile(real);
      return new Response(body, {
        status: 200,
        headers: {
          'content-type': contentType(real),
          'content-security-policy': csp,
          'x-content-type-options': 'nosniff',
          'cache-control': 'no-cache',
        },
      });
    } catch {
      return new Response(null, { status: 404 });
    }
  };
}

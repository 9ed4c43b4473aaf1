import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isOwnRoute } from './server.ts';

describe('isOwnRoute', () => {
  it.each([
    ['POST', '/v1/messages?beta=true', 'application/json', false],
    ['GET', '/v1/models?limit=1000', undefined, false],
    ['GET', '/v1/index.html', 'text/html', false],
    ['POST', '/api/event_logging/batch', undefined, false],
    ['GET', '/api/requests/01ABC', undefined, true],
    ['GET', '/api/export.csv?range=all', undefined, true],
    ['GET', '/api/summary?range=today', undefined, true],
    ['GET', '/health', undefined, true],
    ['GET', '/ready', undefined, true],
    ['GET', '/', undefined, true],
    ['GET', '/?token=abc', 'text/html', true],
    ['GET', '/popover', undefined, true],
    ['GET', '/assets/index-abc.js', '*/*', true],
    ['GET', '/requests/01ABC', 'text/html,application/xhtml+xml', true],
    ['GET', '/some/new/endpoint', 'application/json', false],
    ['POST', '/', undefined, false],
    ['DELETE', '/v1/files/f_1', undefined, false],
  ])('%s %s → own=%s', (method, url, accept, own) => {
    expect(isOwnRoute(method, url, accept)).toBe(own);
  });
});

describe('every route the daemon registers under /api is served by the daemon, never forwarded upstream', () => {
  // Routers mounted at /api are named `api` (app.ts, budgets, guards) or `r` (history, blocks routes). A
  // route missing from API_ACCESS (access.ts) would silently go to Anthropic: read them from the source, as registered.
  const daemonDir = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
  const routes: { method: string; path: string; file: string }[] = [];
  const walk = (dir: string): void => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.ts$/.test(e.name) && !/\.test\.ts$|test-/.test(e.name)) {
        for (const m of fs.readFileSync(p, 'utf8').matchAll(/\b(?:api|r)\.(get|post|put|patch|delete)\(\s*'(\/[^']*)'/g)) {
          routes.push({ method: m[1]!.toUpperCase(), path: `/api${m[2]!.replace(/:[a-zA-Z]+/g, 'x')}`, file: path.relative(daemonDir, p) });
        }
      }
    }
  };
  walk(daemonDir);

  it('finds the routes', () => {
    expect(routes.length).toBeGreaterThan(20);
    expect(routes.map((r) => r.path)).toEqual(expect.arrayContaining(['/api/summary', '/api/requests/x', '/api/budgets', '/api/blocks']));
  });

  it.each(routes.map((r) => [r.method, r.path, r.file] as const))('%s %s (%s)', (method, p) => {
    expect(isOwnRoute(method, p, 'application/json')).toBe(true);
  });
});

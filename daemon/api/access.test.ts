import { describe, expect, it } from 'vitest';
import { accessOf, apiRootOf, mayUse, scopeOf } from './access.ts';
import { isOwnRoute } from './server.ts';

describe('access', () => {
  it.each([
    ['/api/summary', 'scoped'],
    ['/api/requests/01ABC', 'scoped'],
    ['/api/export.csv', 'scoped'],
    ['/api/export.json', 'scoped'],
    ['/api/cache-coach', 'scoped'],
    ['/api/cache', 'admin'],
    ['/api/cache/clear', 'admin'],
    ['/api/budgets/override', 'scoped-read'],
    ['/api/status', 'open'],
    ['/api/login', 'public'],
    ['/api/summaryx', 'admin'], // not a root: denied to users by default
    ['/api/event_logging/batch', 'admin'],
  ])('%s is %s', (p, access) => {
    expect(accessOf(p)).toBe(access);
  });

  it('finds the root of a path without taking a longer name for it', () => {
    expect(apiRootOf('/api/cache-coach')).toBe('/api/cache-coach');
    expect(apiRootOf('/api/cache/clear')).toBe('/api/cache');
    expect(apiRootOf('/api/requestsx')).toBeNull();
  });

  it('lets the daemon token everywhere and a user only into scoped and open routes', () => {
    const alice = { kind: 'user', user: 'alice' } as const;
    for (const v of [{ kind: 'admin' }, { kind: 'local' }] as const) {
      expect(mayUse(v, 'POST', '/api/reprice')).toBe(true);
      expect(mayUse(v, 'POST', '/api/budgets')).toBe(true);
      expect(mayUse(v, 'GET', '/metrics')).toBe(true);
      expect(scopeOf(v)).toBeUndefined();
    }
    expect(mayUse(alice, 'GET', '/api/requests/x')).toBe(true);
    expect(mayUse(alice, 'GET', '/api/prices')).toBe(true);
    expect(mayUse(alice, 'GET', '/api/budgets')).toBe(true);
    expect(mayUse(alice, 'POST', '/api/budgets')).toBe(false);
    expect(mayUse(alice, 'POST', '/api/budgets/override')).toBe(false);
    expect(mayUse(alice, 'POST', '/api/reprice')).toBe(false);
    expect(mayUse(alice, 'GET', '/metrics')).toBe(false);
    expect(mayUse(alice, 'GET', '/api/unknown')).toBe(false);
    expect(scopeOf(alice)).toBe('alice');
  });

  it('serves the login routes itself (a POST is never forwarded upstream)', () => {
    expect(isOwnRoute('POST', '/api/login', 'text/html')).toBe(true);
    expect(isOwnRoute('POST', '/api/logout', undefined)).toBe(true);
  });
});

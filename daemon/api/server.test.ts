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

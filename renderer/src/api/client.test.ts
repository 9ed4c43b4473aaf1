import { afterEach, describe, expect, it } from 'vitest';
import { ApiClient, ApiError } from './client.ts';
import { startTestApi, type TestApi } from '../test-server.ts';
import { makeRecord, makeSummary } from '../test-fixtures.ts';

describe('ApiClient', () => {
  const apis: TestApi[] = [];
  afterEach(async () => {
    for (const a of apis.splice(0)) await a.close();
  });

  it('sends the bearer token, builds query strings and the live URL', async () => {
    const api = await startTestApi({ summaries: { today: makeSummary() }, records: [makeRecord()] });
    apis.push(api);
    const c = new ApiClient({ baseUrl: api.baseUrl + '/', token: api.token });
    const s = await c.summary({ range: 'today', tz: 'Europe/Paris' });
    expect(s.range).toBe('today');
    const page = await c.requests({ model: 'x', limit: 5, project: undefined });
    expect(page.items).toEqual([]);
    const [first, second] = api.seen;
    expect(first?.auth).toBe(`Bearer ${api.token}`);
    expect(first?.query.get('tz')).toBe('Europe/Paris');
    expect(second?.query.toString()).toBe('model=x&limit=5');
    expect(c.liveUrl()).toBe(`${api.baseUrl.replace('http:', 'ws:')}/api/live?token=${api.token}`);
    expect(c.port).toBe(new URL(api.baseUrl).port);
  });

  it('turns API errors into ApiError with the daemon message', async () => {
    const api = await startTestApi({ summaries: {}, records: [] });
    apis.push(api);
    const bad = new ApiClient({ baseUrl: api.baseUrl, token: 'wrong' });
    await expect(bad.summary({ range: 'today' })).rejects.toMatchObject({ status: 401, message: 'no token' });
    const good = new ApiClient({ baseUrl: api.baseUrl, token: api.token });
    await expect(good.request('missing')).rejects.toBeInstanceOf(ApiError);
  });

  it('honours Retry-After on a 429: waits that long, then asks again', async () => {
    const api = await startTestApi({ summaries: { today: makeSummary() }, records: [], rateLimited: 1 });
    apis.push(api);
    const c = new ApiClient({ baseUrl: api.baseUrl, token: api.token });
    const t0 = performance.now();
    const s = await c.summary({ range: 'today' });
    expect(s.range).toBe('today');
    expect(api.seen.filter((r) => r.path === '/api/summary')).toHaveLength(2);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(950);
  });

  it('gives up on 429 after a few retries, and an abort ends the wait', async () => {
    const api = await startTestApi({ summaries: {}, records: [], rateLimited: 99 });
    apis.push(api);
    const c = new ApiClient({ baseUrl: api.baseUrl, token: api.token });
    const ac = new AbortController();
    const pending = c.summary({ range: 'today' }, ac.signal);
    await new Promise((r) => setTimeout(r, 200));
    ac.abort();
    await expect(pending).rejects.toThrow();
    expect(api.seen).toHaveLength(1);
  });

  it('hands a primed response to the first matching call only', async () => {
    const api = await startTestApi({ summaries: { today: makeSummary() }, records: [] });
    apis.push(api);
    const c = new ApiClient({ baseUrl: api.baseUrl, token: api.token });
    c.prime({ summaries: [{ range: 'today', tz: 'UTC' }], requests: [{ limit: 10 }] });
    for (let i = 0; i < 100 && api.seen.length < 2; i++) await new Promise((r) => setTimeout(r, 10));
    expect(api.seen.map((s) => s.path).sort()).toEqual(['/api/requests', '/api/summary']);
    await c.summary({ range: 'today', tz: 'UTC' });
    await c.requests({ limit: 10 });
    expect(api.seen).toHaveLength(2); // served from the primed responses
    await c.summary({ range: 'today', tz: 'UTC' });
    expect(api.seen).toHaveLength(3); // later calls go to the daemon
  });

  it('shows an arrived primed response synchronously until a call takes it', async () => {
    const today = makeSummary();
    const api = await startTestApi({ summaries: { today }, records: [makeRecord()] });
    apis.push(api);
    const c = new ApiClient({ baseUrl: api.baseUrl, token: api.token });
    expect(c.peekSummary({ range: 'today', tz: 'UTC' })).toBeUndefined(); // nothing primed
    c.prime({ summaries: [{ range: 'today', tz: 'UTC' }], requests: [{ limit: 10 }] });
    expect(c.peekSummary({ range: 'today', tz: 'UTC' })).toBeUndefined(); // primed, not arrived yet
    const arrived = () => c.peekSummary({ range: 'today', tz: 'UTC' }) !== undefined && c.peekRequests({ limit: 10 }) !== undefined;
    for (let i = 0; i < 200 && !arrived(); i++) await new Promise((r) => setTimeout(r, 10));
    const s = c.peekSummary({ range: 'today', tz: 'UTC' });
    expect(s?.range).toBe(today.range);
    expect(c.peekSummary({ range: 'today', tz: 'UTC' })).toBe(s); // pure: same object again
    expect(c.peekSummary({ range: 'today', tz: 'Europe/Paris' })).toBeUndefined(); // another zone is another request
    expect(c.peekRequests({ limit: 10 })?.items).toHaveLength(1);
    expect(await c.summary({ range: 'today', tz: 'UTC' })).toBe(s); // the call gets that very object …
    expect(c.peekSummary({ range: 'today', tz: 'UTC' })).toBeUndefined(); // … and takes it
    expect(api.seen).toHaveLength(2);
    await c.summary({ range: 'today', tz: 'UTC' });
    expect(api.seen).toHaveLength(3); // later calls go to the daemon
  });

  it('reports export as unavailable when the daemon has no export endpoint', async () => {
    const api = await startTestApi({ summaries: {}, records: [] });
    apis.push(api);
    expect(await new ApiClient({ baseUrl: api.baseUrl, token: api.token }).exportAvailable()).toBe(false);
    api.state.exportEnabled = true;
    expect(await new ApiClient({ baseUrl: api.baseUrl, token: api.token }).exportAvailable()).toBe(true);
  });
});

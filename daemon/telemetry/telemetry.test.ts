import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTelemetry } from './telemetry.ts';

/** A local receiver that records every POST body. */
let server: http.Server;
let endpoint: string;
const received: { body: string; headers: http.IncomingHttpHeaders }[] = [];
let status = 204;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      received.push({ body, headers: req.headers });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/counters`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('telemetry', () => {
  it('is off by default in config and sends nothing when disabled', async () => {
    const { defaultConfig } = await import('../config/schema.ts');
    expect(defaultConfig().telemetry.enabled).toBe(false);
    received.length = 0;
    const t = createTelemetry({ enabled: false, endpoint, intervalMs: 10, version: '1.0.0' });
    t.start();
    t.record({ state: 'complete', cacheHit: true });
    expect(await t.send()).toBe(false);
    await new Promise((r) => setTimeout(r, 50));
    await t.stop();
    expect(received).toHaveLength(0);
    expect(t.report().requests).toBe(0);
  });

  it('sends only the counters, periodically and at stop', async () => {
    received.length = 0;
    const t = createTelemetry({ enabled: true, endpoint, intervalMs: 40, version: '2026.1122.0' });
    t.record({ state: 'complete', cacheHit: true });
    t.record({ state: 'complete', cacheHit: false });
    t.record({ state: 'upstream_error', cacheHit: false });
    t.record({ state: 'client_aborted', cacheHit: true });
    t.start();
    t.start(); // idempotent
    // Periodic sends: wait for two (bounded), rather than assuming timer precision on a loaded machine.
    for (let i = 0; i < 200 && received.length < 2; i++) await new Promise((r) => setTimeout(r, 25));
    expect(received.length).toBeGreaterThanOrEqual(2);
    await t.stop();
    await t.stop();
    const n = received.length;
    const last = JSON.parse(received[n - 1]!.body);
    expect(Object.keys(last).sort()).toEqual(['arch', 'cache_hit_rate', 'cache_hits', 'errors', 'instance', 'platform', 'requests', 'schema', 'uptime_s', 'version'].sort());
    expect(last).toMatchObject({ schema: 1, version: '2026.1122.0', requests: 4, errors: 2, cache_hits: 2, cache_hit_rate: 0.5, platform: process.platform });
    expect(received[n - 1]!.headers['content-type']).toBe('application/json');
    await new Promise((r) => setTimeout(r, 100));
    expect(received.length).toBe(n); // no timer after stop
  });

  it('reports a failing endpoint without throwing', async () => {
    status = 500;
    const errors: string[] = [];
    const t = createTelemetry({ enabled: true, endpoint, intervalMs: 1000, version: 'v', onError: (m) => errors.push(m) });
    expect(await t.send()).toBe(false);
    status = 204;
    const dead = createTelemetry({ enabled: true, endpoint: 'http://127.0.0.1:1/x', intervalMs: 1000, version: 'v', onError: (m) => errors.push(m) });
    expect(await dead.send()).toBe(false);
    expect(errors[0]).toBe('telemetry endpoint answered 500');
    expect(errors[1]).toMatch(/^telemetry send failed/);
  });
});

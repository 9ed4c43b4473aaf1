import { describe, expect, it } from 'vitest';
import { checkRequest, loopbackHosts, originAllowed, parseServerNames, presentedToken, readCookie, serverNameTrust, viewerOf, type TrustPolicy } from './auth.ts';

const policy: TrustPolicy = { token: 'tok-123', hosts: loopbackHosts(3000, '127.0.0.1'), origins: new Set(['app://cco']) };

describe('auth', () => {
  it.each([
    ['bearer ok', { host: '127.0.0.1:3000', authorization: 'Bearer tok-123' }, undefined, { ok: true }],
    ['cookie ok', { host: 'localhost:3000', cookie: 'a=b; cco_token=tok-123' }, undefined, { ok: true }],
    ['query token ok', { host: '[::1]:3000' }, 'tok-123', { ok: true }],
    ['no token', { host: '127.0.0.1:3000' }, undefined, { ok: false, status: 401 }],
    ['wrong token', { host: '127.0.0.1:3000', authorization: 'Bearer tok-124' }, undefined, { ok: false, status: 401 }],
    ['rebinding host', { host: 'evil.example:3000', authorization: 'Bearer tok-123' }, undefined, { ok: false, status: 403 }],
    ['other port', { host: '127.0.0.1:3001', authorization: 'Bearer tok-123' }, undefined, { ok: false, status: 403 }],
    ['no host', { authorization: 'Bearer tok-123' }, undefined, { ok: false, status: 403 }],
    ['foreign origin', { host: '127.0.0.1:3000', origin: 'http://evil.example', cookie: 'cco_token=tok-123' }, undefined, { ok: false, status: 403 }],
    ['own origin', { host: '127.0.0.1:3000', origin: 'http://127.0.0.1:3000', cookie: 'cco_token=tok-123' }, undefined, { ok: true }],
    ['app origin', { host: '127.0.0.1:3000', origin: 'app://cco', authorization: 'Bearer tok-123' }, undefined, { ok: true }],
  ])('%s', (_name, headers, query, expected) => {
    expect(checkRequest(policy, headers, query)).toMatchObject(expected);
  });

  it('treats lookalike origins as foreign', () => {
    expect(originAllowed(policy, 'http://127.0.0.1:3000.evil.example')).toBe(false);
    expect(originAllowed(policy, 'https://127.0.0.1:3000')).toBe(false);
    expect(originAllowed(policy, 'null')).toBe(false);
  });

  it('tells the daemon token (local or admin) from a user token and from neither', () => {
    const team: TrustPolicy = { ...policy, userOf: (t) => (t === 'cco_alice' ? 'alice' : null), gateway: () => true };
    expect(viewerOf(policy, 'tok-123')).toEqual({ kind: 'local' });
    expect(viewerOf(policy, 'cco_alice')).toBeNull(); // no user logins without a user directory
    expect(viewerOf(team, 'tok-123')).toEqual({ kind: 'admin' });
    expect(viewerOf(team, 'cco_alice')).toEqual({ kind: 'user', user: 'alice' });
    expect(viewerOf(team, 'cco_bob')).toBeNull();
    expect(viewerOf(team, '')).toBeNull();
    expect(checkRequest(team, { host: '127.0.0.1:3000', cookie: 'cco_token=cco_alice' })).toEqual({ ok: true, viewer: { kind: 'user', user: 'alice' } });
    expect(checkRequest(team, { host: 'evil.example:3000', authorization: 'Bearer cco_alice' })).toMatchObject({ ok: false, status: 403 });
  });

  it.each([
    ['cco.internal', ['cco.internal']],
    [' CCO.Example.com , cco.internal:8080 ', ['cco.example.com', 'cco.internal:8080']],
    ['[fd00::1]:3000,10.0.0.5', ['[fd00::1]:3000', '10.0.0.5']],
    ['', []],
    ['http://cco.internal', null],
    ['cco.internal/path', null],
    ['*.internal', null],
    ['cco internal', null],
    ['-cco.internal', null],
  ])('[server] names %j → %j', (text, names) => {
    expect(parseServerNames(text)).toEqual(names);
  });

  it('lets a configured name in as Host (direct and behind a proxy) and as a TLS origin', () => {
    const t = serverNameTrust(['cco.internal', 'cco.example.com:8443'], 3000);
    expect(t.hosts).toEqual(['cco.internal', 'cco.internal:3000', 'cco.example.com:8443']);
    expect(t.origins).toEqual(['https://cco.internal', 'https://cco.example.com:8443']);
    const p: TrustPolicy = { ...policy, hosts: new Set([...policy.hosts, ...t.hosts]), origins: new Set([...policy.origins, ...t.origins]) };
    expect(checkRequest(p, { host: 'cco.internal:3000', origin: 'http://cco.internal:3000', cookie: 'cco_token=tok-123' })).toMatchObject({ ok: true });
    expect(checkRequest(p, { host: 'cco.internal', origin: 'https://cco.internal', cookie: 'cco_token=tok-123' })).toMatchObject({ ok: true });
    expect(checkRequest(p, { host: 'evil.internal:3000', cookie: 'cco_token=tok-123' })).toMatchObject({ ok: false, status: 403 });
    expect(checkRequest(p, { host: 'cco.internal:3000', origin: 'https://evil.internal', cookie: 'cco_token=tok-123' })).toMatchObject({ ok: false, status: 403 });
  });

  it('parses cookies and prefers the bearer header', () => {
    expect(readCookie('x=1; cco_token=a%20b', 'cco_token')).toBe('a b');
    expect(presentedToken({ authorization: 'Bearer h', cookie: 'cco_token=c' }, 'q')).toBe('h');
  });
});

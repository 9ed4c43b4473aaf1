import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAppProtocolHandler, resolveAppRequest } from './app-protocol.ts';

const ROOT = path.resolve('/srv/renderer');

describe('resolveAppRequest', () => {
  it.each([
    ['app://cco/', path.join(ROOT, 'index.html')],
    ['app://cco/index.html', path.join(ROOT, 'index.html')],
    ['app://cco/assets/app.js', path.join(ROOT, 'assets', 'app.js')],
    ['app://cco/assets/a%20b.css', path.join(ROOT, 'assets', 'a b.css')],
    ['app://cco/popover', path.join(ROOT, 'index.html')],
    ['app://cco/index.html#/popover', path.join(ROOT, 'index.html')],
    ['app://cco/./assets/./x.js?v=1', path.join(ROOT, 'assets', 'x.js')],
  ])('%s → file', (url, file) => {
    expect(resolveAppRequest(ROOT, 'GET', url)).toEqual({ ok: true, file });
  });

  it.each([
    ['app://cco/../etc/passwd.txt', 0], // the URL parser resolves dot segments (also %2e%2e): stays inside root
    ['app://cco/%2e%2e/%2e%2e/etc/passwd.txt', 0],
    ['app://cco/assets/..%2f..%2fsecret.txt', 403],
    ['app://cco/..%5c..%5csecret.txt', 403],
    ['app://cco/C:%5cWindows%5cwin.ini', 403],
    ['app://cco/a%00.js', 400],
    ['app://cco/%E0%A4%A', 400],
    ['app://evil/index.html', 403],
    ['app://cco:8080/index.html', 403],
    ['app://user:pw@cco/index.html', 403],
    ['https://cco/index.html', 403],
    ['not a url', 400],
  ])('%s → %d', (url, status) => {
    const r = resolveAppRequest(ROOT, 'GET', url);
    if (url === 'app://cco/../etc/passwd.txt' || url === 'app://cco/%2e%2e/%2e%2e/etc/passwd.txt') {
      // WHATWG URL parsing already removes the dot segment: it must stay inside the root.
      expect(r).toEqual({ ok: true, file: path.join(ROOT, 'etc', 'passwd.txt') });
      return;
    }
    expect(r).toEqual({ ok: false, status });
  });

  it('refuses other methods', () => {
    expect(resolveAppRequest(ROOT, 'POST', 'app://cco/index.html')).toEqual({ ok: false, status: 405 });
    expect(resolveAppRequest(ROOT, 'HEAD', 'app://cco/index.html').ok).toBe(true);
  });

  it('guards with Windows path semantics too', () => {
    const winRoot = 'C:\\app\\renderer';
    expect(resolveAppRequest(winRoot, 'GET', 'app://cco/assets/x.js', path.win32)).toEqual({ ok: true, file: 'C:\\app\\renderer\\assets\\x.js' });
    expect(resolveAppRequest(winRoot, 'GET', 'app://cco/..%5C..%5Cx.js', path.win32)).toEqual({ ok: false, status: 403 });
    expect(resolveAppRequest(winRoot, 'GET', 'app://cco/D:%5Cx.js', path.win32)).toEqual({ ok: false, status: 403 });
  });
});

describe('createAppProtocolHandler', () => {
  let dir: string;
  let root: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cco-proto-'));
    root = path.join(dir, 'renderer');
    fs.mkdirSync(path.join(root, 'assets'), { recursive: true });
    fs.writeFileSync(path.join(root, 'index.html'), '<!doctype html><title>cco</title>');
    fs.writeFileSync(path.join(root, 'assets', 'app.js'), 'console.log(1)');
    fs.writeFileSync(path.join(dir, 'secret.txt'), 'top secret');
    fs.symlinkSync(path.join(dir, 'secret.txt'), path.join(root, 'assets', 'link.txt'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('serves files with type and CSP', async () => {
    const handle = createAppProtocolHandler(root);
    const res = await handle(new Request('app://cco/assets/app.js'));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(await res.text()).toBe('console.log(1)');
    const page = await handle(new Request('app://cco/popover'));
    expect(await page.text()).toContain('<title>cco</title>');
  });

  it('404 for missing files, 403 for traversal and for symlinks leading out', async () => {
    const handle = createAppProtocolHandler(root);
    expect((await handle(new Request('app://cco/assets/none.js'))).status).toBe(404);
    expect((await handle(new Request('app://cco/..%2fsecret.txt'))).status).toBe(403);
    expect((await handle(new Request('app://cco/%2e%2e/secret.txt'))).status).toBe(404); // normalised to /secret.txt in root
    const viaLink = await handle(new Request('app://cco/assets/link.txt'));
    expect(viaLink.status).toBe(403);
    expect(await viaLink.text()).not.toContain('secret');
    expect((await handle(new Request('app://cco/index.html', { method: 'POST', body: 'x' }))).status).toBe(405);
  });
});

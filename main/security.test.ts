import { describe, expect, it } from 'vitest';
import { contentSecurityPolicy, isAllowedNavigation, isLoopbackDashboardUrl, isSafeExternalUrl, isTrustedSender } from './security.ts';
import { denyAllPermissions } from './security.ts';

describe('security', () => {
  it.each([
    ['https://docs.anthropic.com/en/api', true],
    ['https://github.com/cco-app/cco/releases', true],
    ['http://example.com', false],
    ['file:///etc/passwd', false],
    ['javascript:alert(1)', false],
    ['smb://host/share', false],
    ['https://user:pass@example.com', false],
    ['https://', false],
    ['ms-settings:privacy', false],
    ['  https://example.com', true], // URL parser trims; still https
    ['app://cco/index.html', false],
  ])('isSafeExternalUrl(%s) = %s', (url, ok) => {
    expect(isSafeExternalUrl(url)).toBe(ok);
  });

  it.each([
    ['http://127.0.0.1:3000/?token=x', true],
    ['http://localhost:3000/', true],
    ['http://127.0.0.1.evil.com/', false],
    ['http://evil.com/127.0.0.1', false],
    ['https://127.0.0.1:3000/', false],
  ])('isLoopbackDashboardUrl(%s) = %s', (url, ok) => {
    expect(isLoopbackDashboardUrl(url)).toBe(ok);
  });

  it.each([
    ['app://cco/index.html#/popover', true],
    ['app://cco/', true],
    ['app://cco.evil/index.html', false],
    ['app://evil/index.html', false],
    ['https://cco/', false],
    ['http://127.0.0.1:3000/', false],
    ['file:///index.html', false],
    ['garbage', false],
  ])('isAllowedNavigation(%s) = %s', (url, ok) => {
    expect(isAllowedNavigation(url)).toBe(ok);
  });

  it('allows the dev-server origin only when configured', () => {
    expect(isAllowedNavigation('http://localhost:5173/#/popover')).toBe(false);
    expect(isAllowedNavigation('http://localhost:5173/#/popover', ['app://cco', 'http://localhost:5173'])).toBe(true);
  });

  it('trusts only known web contents, main frame, app origin', () => {
    const ids = new Set([3]);
    expect(isTrustedSender({ webContentsId: 3, frameUrl: 'app://cco/index.html', isMainFrame: true }, ids)).toBe(true);
    expect(isTrustedSender({ webContentsId: 4, frameUrl: 'app://cco/index.html', isMainFrame: true }, ids)).toBe(false);
    expect(isTrustedSender({ webContentsId: 3, frameUrl: 'app://cco/index.html', isMainFrame: false }, ids)).toBe(false);
    expect(isTrustedSender({ webContentsId: 3, frameUrl: 'https://evil.example/', isMainFrame: true }, ids)).toBe(false);
    expect(isTrustedSender({ webContentsId: 3, frameUrl: null, isMainFrame: true }, ids)).toBe(false);
  });

  it('CSP allows only self scripts and loopback connections', () => {
    const csp = contentSecurityPolicy();
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-eval');
    expect(csp).toMatch(/connect-src [^;]*ws:\/\/127\.0\.0\.1:\*/);
    expect(csp).toContain("object-src 'none'");
  });

  it('permissions: only clipboard-sanitized-write, only for the app\'s own origin (the first-run Copy button)', () => {
    const handlers: { request?: (wc: unknown, p: string, cb: (ok: boolean) => void, d: { requestingUrl: string }) => void; check?: (wc: unknown, p: string, origin: string) => boolean } = {};
    denyAllPermissions({
      setPermissionRequestHandler: (h: unknown) => void (handlers.request = h as typeof handlers.request),
      setPermissionCheckHandler: (h: unknown) => void (handlers.check = h as typeof handlers.check),
    } as never);
    const ask = (permission: string, url: string) => {
      let answer: boolean | undefined;
      handlers.request!(null, permission, (ok) => (answer = ok), { requestingUrl: url });
      return answer;
    };
    expect(ask('clipboard-sanitized-write', 'app://cco/index.html#/popover')).toBe(true);
    expect(handlers.check!(null, 'clipboard-sanitized-write', 'app://cco')).toBe(true);
    expect(ask('clipboard-sanitized-write', 'https://evil.example/')).toBe(false);
    expect(handlers.check!(null, 'clipboard-sanitized-write', 'https://evil.example')).toBe(false);
    expect(ask('clipboard-read', 'app://cco/index.html')).toBe(false);
    expect(ask('media', 'app://cco/index.html')).toBe(false);
    expect(handlers.check!(null, 'notifications', 'app://cco')).toBe(false);
  });
});

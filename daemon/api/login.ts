/**
 * The dashboard's login and logout (docs/team.md, "Dashboard login"), for browsers that were not given the
 * `/?token=…` link: the no-token page's form POSTs a token to /api/login, which sets the same HttpOnly,
 * SameSite=Strict cookie as the link; /api/logout clears it. Both check Host and Origin like every other
 * route (a foreign page can neither log a browser in under its own token nor out).
 */
import express, { type Response } from 'express';
import type { ApiError } from '../../shared/contract.ts';
import { checkSite, TOKEN_COOKIE, viewerOf, type TrustPolicy } from './auth.ts';
import { noTokenPage } from './no-token-page.ts';

/** The session cookie: the token itself, never readable by scripts, never sent by another site. */
export function setTokenCookie(res: Response, token: string): void {
  res.cookie(TOKEN_COOKIE, token, { httpOnly: true, sameSite: 'strict', path: '/' });
}

function refuse(res: Response, status: number, type: string, message: string, html: boolean): void {
  res.setHeader('cache-control', 'no-store');
  if (html && status === 401) res.status(401).type('html').send(noTokenPage('invalid'));
  else res.status(status).json({ error: { type, message } } satisfies ApiError);
}

export function loginRoutes(policy: TrustPolicy): express.Router {
  const r = express.Router();
  const form = express.urlencoded({ extended: false, limit: '4kb', parameterLimit: 4 });
  r.post('/login', form, (req, res) => {
    const html = String(req.headers.accept ?? '').includes('text/html');
    const site = checkSite(policy, req.headers);
    if (!site.ok) return refuse(res, 403, 'permission_error', site.message, html);
    const token = typeof (req.body as { token?: unknown } | undefined)?.token === 'string' ? (req.body as { token: string }).token.trim() : '';
    if (!viewerOf(policy, token)) return refuse(res, 401, 'authentication_error', 'This token is not valid here (the daemon token, or a user token from `cco users add`)', html);
    setTokenCookie(res, token);
    res.setHeader('cache-control', 'no-store');
    res.redirect(303, '/');
  });
  r.post('/logout', (req, res) => {
    const site = checkSite(policy, req.headers);
    if (!site.ok) return refuse(res, 403, 'permission_error', site.message, false);
    res.clearCookie(TOKEN_COOKIE, { httpOnly: true, sameSite: 'strict', path: '/' });
    res.setHeader('cache-control', 'no-store');
    res.redirect(303, '/');
  });
  return r;
}

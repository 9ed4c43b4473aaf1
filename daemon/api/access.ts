/**
 * Who may use which of the daemon's own routes (docs/team.md, "Dashboard login"), one entry per API root.
 * The roots are also the list the HTTP server serves itself instead of forwarding (server.ts), so a root
 * cannot be added without a decision here.
 *
 * - `scoped`: a user token gets it, narrowed server-side to that user's records;
 * - `scoped-read`: reads (GET/HEAD) as `scoped`, writes `admin`;
 * - `open`: any viewer, no records in it;
 * - `admin`: the daemon token only; a user token gets a 403;
 * - `public`: no token at all (the login form and logout).
 */
import { EVERY_USER, type BudgetsResponse, type Viewer } from '../../shared/contract.ts';

export type RouteAccess = 'scoped' | 'scoped-read' | 'open' | 'admin' | 'public';

export const API_ACCESS = {
  '/api/summary': 'scoped',
  '/api/requests': 'scoped', // list, and detail: another user's id answers 404
  '/api/export': 'scoped', // .csv and .json
  '/api/blocks': 'scoped',
  '/api/cache-coach': 'scoped',
  '/api/live': 'scoped', // only the user's request frames (live.ts)
  '/api/status': 'open', // health; `team` left out for a user
  '/api/prices': 'open',
  '/api/reprice': 'admin',
  '/api/import': 'admin',
  '/api/reconcile': 'admin',
  '/api/limits': 'admin', // plan limits of every credential the gateway saw
  '/api/budgets': 'scoped-read', // a user reads their own budgets (userBudgets); setting and overriding: admin
  '/api/alerts': 'admin',
  '/api/cache': 'admin', // the shared response cache's status and clear
  '/api/team': 'admin',
  '/api/login': 'public',
  '/api/logout': 'public',
} as const satisfies Record<string, RouteAccess>;

export type ApiRoot = keyof typeof API_ACCESS;
export const API_ROOTS = Object.keys(API_ACCESS) as ApiRoot[];

/** The root a path belongs to (`/api/requests/01…` → `/api/requests`, `/api/export.csv` → `/api/export`), or null. */
export function apiRootOf(path: string): ApiRoot | null {
  return API_ROOTS.find((root) => path === root || path.startsWith(root + '/') || path.startsWith(root + '.')) ?? null;
}

/** Access of a path under /api; unknown paths are `admin` (denied to users by default). */
export function accessOf(path: string): RouteAccess {
  const root = apiRootOf(path);
  return root === null ? 'admin' : API_ACCESS[root];
}

/** The user a viewer's records are narrowed to, or undefined for the daemon token (everything). */
export function scopeOf(viewer: Viewer | undefined): string | undefined {
  return viewer?.kind === 'user' ? viewer.user : undefined;
}

/** Whether `viewer` may use `method path` (metrics: `/metrics`, admin). */
export function mayUse(viewer: Viewer, method: string, path: string): boolean {
  if (viewer.kind !== 'user') return true;
  const access = path === '/metrics' ? 'admin' : accessOf(path);
  if (access === 'scoped-read') return method === 'GET' || method === 'HEAD';
  return access !== 'admin';
}

/**
 * GET /api/budgets for a user: only the caps on their own spend (their own, or the per-user default's row for
 * them) and the rules that apply to them; no global or project budget (everyone's spend) and no paused
 * sessions (other users').
 */
export function userBudgets(r: BudgetsResponse, user: string): BudgetsResponse {
  return {
    ...r,
    budgets: r.budgets.filter((b) => b.user === user),
    rules: r.rules.filter((b) => b.user === user || b.user === EVERY_USER),
    pausedSessions: [],
  };
}

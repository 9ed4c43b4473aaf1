/**
 * Who is logged in, in the dashboard header: the admin (every user's records) or one user (their own), and
 * a Log out button when the browser is logged in by cookie (POST /api/logout clears it and goes back to the
 * login form). Nothing for the desktop's own token.
 */
import type { Viewer } from '../../../shared/contract.ts';

export function ViewerBadge({ viewer, cookie }: { viewer: Viewer | null; cookie: boolean }) {
  if (!viewer || viewer.kind === 'local') return null;
  return (
    <span className="viewer small" data-testid="viewer">
      {viewer.kind === 'admin' ? (
        <span title="The daemon token: every user's requests">Admin · all users</span>
      ) : (
        <span title="Your user token: only your own requests">
          Signed in as <strong>{viewer.user}</strong>
        </span>
      )}
      {cookie && (
        <form method="post" action="/api/logout" className="logout">
          <button type="submit" className="link">
            Log out
          </button>
        </form>
      )}
    </span>
  );
}

/**
 * The page a browser gets when it opens the dashboard without the token (or with a wrong one): what CCO
 * is, and how to get in: `cco dashboard` opens the URL with the token, or the form takes a token (the daemon
 * token, or on a team gateway a user's token from `cco users add`) and POSTs it to /api/login (login.ts).
 * Self-contained (inline style, no script), so it works whatever the dashboard build.
 */

const STYLE = `
:root { color-scheme: light dark; font-family: system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif; }
body { margin: 0; min-height: 100vh; display: grid; place-items: center; background: #f7f6f3; color: #1f1e1c; }
main { max-width: 520px; margin: 24px; padding: 24px 28px; background: #fff; border: 1px solid #e3e0da; border-radius: 12px; }
h1 { font-size: 20px; margin: 0 0 8px; }
p { line-height: 1.5; }
code { background: rgba(0, 0, 0, 0.06); padding: 2px 6px; border-radius: 4px; white-space: nowrap; }
.muted { color: #6b6862; font-size: 13px; }
form { display: flex; gap: 8px; margin: 16px 0 8px; }
input { flex: 1; font: inherit; padding: 6px 8px; border: 1px solid #c9c5bd; border-radius: 6px; background: inherit; color: inherit; }
button { font: inherit; padding: 6px 14px; border-radius: 6px; border: 1px solid #c9c5bd; background: #1f1e1c; color: #fff; cursor: pointer; }
@media (prefers-color-scheme: dark) {
  body { background: #1a1918; color: #ecebe8; }
  main { background: #242321; border-color: #3a3835; }
  code { background: rgba(255, 255, 255, 0.08); }
  .muted { color: #a29f98; }
}`;

export function noTokenPage(reason: 'missing' | 'invalid'): string {
  const why =
    reason === 'invalid'
      ? 'That token is not valid here: not this daemon’s token (it changes when the data folder does), nor a user’s.'
      : 'The dashboard needs the token the daemon made for you, so that other web pages cannot read your spend.';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>CCO: open the dashboard with its token</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<h1>CCO is running, but this link has no way in</h1>
<p>${why}</p>
<p>Run <code>cco dashboard</code> in a terminal: it opens this page with the token. Or use the tray icon’s <em>Open dashboard</em>.</p>
<form method="post" action="/api/login">
<input type="password" name="token" autocomplete="current-password" placeholder="Paste a token" aria-label="Token" required>
<button type="submit">Log in</button>
</form>
<p class="muted">The daemon’s token (in its data folder; <code>cco doctor</code> shows where) shows everything. On a team gateway, the token <code>cco users add NAME</code> printed shows that user’s requests only.</p>
</main>
</body>
</html>
`;
}

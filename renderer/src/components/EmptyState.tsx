import { useState } from 'react';

/** First-run help: the one line that points Claude Code at CCO. */
export function EmptyState({ port, compact = false }: { port: string; compact?: boolean }) {
  const line = `export ANTHROPIC_BASE_URL=http://127.0.0.1:${port}`;
  const [copied, setCopied] = useState(false);
  const copy = () => {
    void navigator.clipboard
      ?.writeText(line)
      .then(() => setCopied(true))
      .catch(() => setCopied(false));
  };
  return (
    <section className={compact ? 'empty-state compact' : 'empty-state'} aria-labelledby="empty-title">
      <h2 id="empty-title">No requests yet</h2>
      <p>Point Claude Code at CCO, then start a new session:</p>
      <div className="cmd">
        <code data-testid="setup-line">{line}</code>
        <button type="button" onClick={copy} aria-label="Copy command">
          {copied ? 'Copied' : 'Copy'}
        </button>
      </div>
      {!compact && <p className="muted">Requests appear here live as they pass through the proxy.</p>}
    </section>
  );
}

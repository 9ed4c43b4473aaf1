/** "3 errors · 2× 429 rate limited, 1× 529 overloaded": failed requests of a summary, shown apart (red). */
import type { ErrorCounts } from '../../../shared/contract.ts';
import { errorKindLabel } from '../../../daemon/api/outcome.ts';
import { formatCount } from '../format.ts';

export function errorCountText(e: ErrorCounts, maxKinds = 3): string {
  const kinds = e.byKind.slice(0, maxKinds).map((k) => `${formatCount(k.requests)}× ${errorKindLabel(k.kind)}`);
  if (e.byKind.length > maxKinds) kinds.push('…');
  return `${formatCount(e.requests)} ${e.requests === 1 ? 'error' : 'errors'}${kinds.length ? ` · ${kinds.join(', ')}` : ''}`;
}

/** Nothing when there were no failures. `onSelect` makes it a link (the dashboard filters the table to errors). */
export function ErrorCount({ errors, onSelect }: { errors: ErrorCounts | undefined; onSelect?: () => void }) {
  if (!errors || errors.requests === 0) return null;
  const text = errorCountText(errors);
  return onSelect ? (
    <button type="button" className="link error-count small" onClick={onSelect} data-testid="error-count">
      {text}
    </button>
  ) : (
    <div className="error-count small" data-testid="error-count">
      {text}
    </div>
  );
}

import { formatCount, formatUsd, formatUsdPrecise } from '../format.ts';

/** A cost; `null` is shown as a visible "unpriced" marker, never as $0. */
export function Money({ nano, precise = false, className }: { nano: number | null; precise?: boolean; className?: string }) {
  if (nano === null) {
    return (
      <span className="unpriced-tag" title="No price known for this model: not counted in totals">
        unpriced
      </span>
    );
  }
  return (
    <span className={className ? `money ${className}` : 'money'} title={formatUsdPrecise(nano)}>
      {precise ? formatUsdPrecise(nano) : formatUsd(nano)}
    </span>
  );
}

/** "+3 unpriced" beside a total; renders nothing when every request was priced. */
export function UnpricedCount({ count }: { count: number }) {
  if (count <= 0) return null;
  return (
    <span className="unpriced-count" title="Billable requests whose model has no known price; their cost is not in the total">
      +{formatCount(count)} unpriced
    </span>
  );
}

/** A group's cost: "unpriced" when none of its requests could be priced, else the priced sum. */
export function groupCost(g: { costNanoUsd: number; requests: number; unpricedRequests: number }): number | null {
  return g.requests > 0 && g.unpricedRequests === g.requests ? null : g.costNanoUsd;
}

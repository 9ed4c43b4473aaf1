import { UNPRICED_USAGE_UNREADABLE } from '../../../shared/contract.ts';
import { formatCount, formatUsd, formatUsdPrecise } from '../format.ts';

/** What an unpriced reason means, for people. */
export function unpricedExplanation(reason: string | null | undefined): string {
  if (reason === UNPRICED_USAGE_UNREADABLE) return 'usage unreadable: the response succeeded but its usage could not be read (bad compression, malformed stream or no usage); the cost is unknown and not in totals';
  return reason ? `${reason}: not counted in totals` : 'No price known for this model: not counted in totals';
}

/** A cost; `null` is shown as a visible "unpriced" (or "usage unreadable") marker, never as $0. */
export function Money({ nano, precise = false, className, reason }: { nano: number | null; precise?: boolean; className?: string; reason?: string | null }) {
  if (nano === null) {
    return (
      <span className="unpriced-tag" title={unpricedExplanation(reason)}>
        {reason === UNPRICED_USAGE_UNREADABLE ? 'usage unreadable' : 'unpriced'}
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
    <span className="unpriced-count" title="Billable requests with no known cost (a model without a price, or a response whose usage could not be read); their cost is not in the total">
      +{formatCount(count)} unpriced
    </span>
  );
}

/** A group's cost: "unpriced" when none of its requests could be priced, else the priced sum. */
export function groupCost(g: { costNanoUsd: number; requests: number; unpricedRequests: number }): number | null {
  return g.requests > 0 && g.unpricedRequests === g.requests ? null : g.costNanoUsd;
}

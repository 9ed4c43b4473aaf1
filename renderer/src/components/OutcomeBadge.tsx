import type { RequestRecord } from '../../../shared/contract.ts';
import { requestOutcome } from '../../../daemon/api/outcome.ts';

/** Red "429 rate limited" for an upstream error, the state otherwise (daemon/api/outcome.ts). */
export function OutcomeBadge({ record }: { record: Pick<RequestRecord, 'status' | 'state'> }) {
  const o = requestOutcome(record);
  return <span className={`state state-${o.kind}`}>{o.label}</span>;
}

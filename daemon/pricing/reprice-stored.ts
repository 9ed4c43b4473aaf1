/**
 * Reprice what the store holds, page by page (`cco reprice`, `POST /api/reprice`): the pure `reprice()`
 * per page, the changed rows written back (rollups follow in the same transaction), totals summed.
 */
import type { Store } from '../store/index.ts';
import type { Pricer } from './cost.ts';
import { reprice } from './reprice.ts';
import { UNPRICED_USAGE_UNREADABLE } from '../../shared/contract.ts';

export interface RepriceReport {
  priceVersion: string;
  since: number | null;
  rowsSeen: number;
  /** Rows rewritten: cost, priced state or price version changed. */
  rowsChanged: number;
  /** Of those, rows whose cost (or priced state) changed. */
  costChanged: number;
  newlyPriced: number;
  newlyUnpriced: number;
  totalBeforeNanoUsd: number;
  totalAfterNanoUsd: number;
  totalDeltaNanoUsd: number;
}

export async function repriceStored(
  store: Pick<Store, 'scanForReprice' | 'applyReprice'>,
  pricer: Pricer,
  opts: { since?: number; pageSize?: number; onProgress?: (rowsSeen: number) => void } = {},
): Promise<RepriceReport> {
  const report: RepriceReport = {
    priceVersion: pricer.version,
    since: opts.since ?? null,
    rowsSeen: 0,
    rowsChanged: 0,
    costChanged: 0,
    newlyPriced: 0,
    newlyUnpriced: 0,
    totalBeforeNanoUsd: 0,
    totalAfterNanoUsd: 0,
    totalDeltaNanoUsd: 0,
  };
  let cursor: string | undefined;
  do {
    const page = await store.scanForReprice({ since: opts.since, cursor, limit: opts.pageSize ?? 2000 });
    // Only billable rows with usage are priced; the rest stay at cost 0, and a row whose usage could not be
    // read stays unpriced (its zero token counts are not its usage).
    const result = reprice(page.rows.filter((r) => r.billable && r.unpricedReason !== UNPRICED_USAGE_UNREADABLE), pricer);
    if (result.changed.length > 0) {
      await store.applyReprice(
        result.changed.map((c) => ({
          id: c.id,
          costNanoUsd: c.costNanoUsd,
          priceVersion: c.priceVersion,
          cacheSavingsNanoUsd: c.cacheSavingsNanoUsd,
          unpricedReason: c.unpricedReason,
        })),
      );
    }
    report.rowsSeen += result.rowsSeen;
    report.rowsChanged += result.rowsChanged;
    report.costChanged += result.costChanged;
    report.newlyPriced += result.newlyPriced;
    report.newlyUnpriced += result.newlyUnpriced;
    report.totalBeforeNanoUsd += result.totalBeforeNanoUsd;
    report.totalAfterNanoUsd += result.totalAfterNanoUsd;
    report.totalDeltaNanoUsd += result.totalDeltaNanoUsd;
    opts.onProgress?.(report.rowsSeen);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return report;
}

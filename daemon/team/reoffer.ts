/**
 * Federated mode keeps two journals: the embedded store's (`<data>/journal/`) and the team outbox's
 * (`<data>/team-outbox/journal/`). A record is appended to both in the same event-loop turn, but they are two
 * files written one after the other, so a kill -9 that falls between the two writes leaves a record that the
 * local store replays at the next start and the outbox never saw: the team ledger would miss it for good.
 *
 * So at start, before the store replays its journal (and then folds and deletes it), every record still in
 * that journal is offered to the outbox again. The team database skips the ones it already has (the insert is
 * idempotent by record id and upstream request-id), so the only cost is re-sending what was journaled since
 * the last snapshot. After a clean stop the store's journal is empty and nothing is read.
 */
import type { RequestRecord } from '../../shared/contract.ts';
import { readSegment } from '../store/replay.ts';
import { listSegments, segmentPath } from '../store/segments.ts';

export interface OutboxSink {
  add(record: RequestRecord): void;
  whenWritten(done: () => void): void;
}

/**
 * Appends every record of the store journal in `dataDir` to `outbox` and resolves once they are written to
 * the outbox file; returns how many were offered. A segment that cannot be read is reported and skipped (the
 * store's own replay then reports it too); it never stops the start.
 */
export async function reofferStoreJournal(dataDir: string, outbox: OutboxSink, warn: (msg: string) => void): Promise<number> {
  let offered = 0;
  for (const seq of listSegments(dataDir)) {
    const file = segmentPath(dataDir, seq);
    try {
      await readSegment(
        file,
        (r) => {
          outbox.add(r);
          offered++;
        },
        () => undefined, // bad lines are the store replay's to report
      );
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') warn(`team: journal ${file} not re-offered to the outbox: ${(err as Error).message}`);
    }
  }
  if (offered > 0) await new Promise<void>((resolve) => outbox.whenWritten(resolve));
  return offered;
}
